package api_test

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/udkit/udkit/registry/api"
)

// A flood of failing requests logs ten lines a second per message, then
// says how many it dropped.
func ExampleRateLimitLog() {
	h := api.RateLimitLog(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{} // steady output
			}
			return a
		}}), 2, time.Second)
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 5; i++ {
		h.Handle(context.Background(), slog.NewRecord(t0, slog.LevelError, "request failed", 0))
	}
	h.Handle(context.Background(), slog.NewRecord(t0.Add(time.Second), slog.LevelError, "request failed", 0))
	// Output:
	// level=ERROR msg="request failed"
	// level=ERROR msg="request failed"
	// level=ERROR msg="request failed" suppressed=3
}
