package client_test

import (
	"testing"
	"time"

	"github.com/udkit/udkit/registry/client"
)

func TestClientDefaultTimeout(t *testing.T) {
	c, err := client.New("http://127.0.0.1:8180", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.HTTPTimeout(); got != 30*time.Second {
		t.Fatalf("a nil *http.Client gave a timeout of %v, want 30s", got)
	}
}
