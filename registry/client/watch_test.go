package client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/udkit/udkit/registry"
	"github.com/udkit/udkit/registry/client"
	"github.com/udkit/udkit/registry/internal/regtest"
	"github.com/udkit/udkit/registry/store"
)

// TestWatch follows a real registry: it lists first, sees each change,
// survives a dropped connection without losing a change, and lists again
// when it resumes from an index the registry no longer keeps.
func TestWatch(t *testing.T) {
	svc := regtest.NewService(t, nil, store.Options{ChangeWindow: 8, MaxBatch: 1})
	ctx := regtest.Ctx(t)
	joiner := svc.Client.WithToken(svc.Join)
	tok := map[string]string{}
	reg := func(id string) {
		t.Helper()
		if tok[id] == "" {
			tok[id] = regtest.MustToken(t, registry.MemberTokenPrefix)
		}
		// Retried as a launch script would: the test drops every
		// connection to the server once, idle ones included.
		var err error
		for range 3 {
			if _, err = joiner.Register(ctx, "web", registry.RegisterRequest{InstanceID: id, MemberToken: tok[id]}); err == nil {
				return
			}
		}
		t.Fatal(err)
	}
	reg("i-00")
	events := make(chan client.WatchEvent, 100)
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	watcher, err := client.New(svc.Srv.URL, svc.Admin, &http.Client{Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	start := func(after uint64) {
		go func() {
			done <- watcher.Watch(wctx, "web", after, func(ev client.WatchEvent) error {
				events <- ev
				return nil
			})
		}()
	}
	next := func(what string) client.WatchEvent {
		t.Helper()
		for {
			select {
			case ev := <-events:
				if ev.Err != nil {
					t.Logf("%s: retried after %v", what, ev.Err)
					continue
				}
				return ev
			case <-time.After(30 * time.Second):
				t.Fatalf("%s: no event in 30s", what)
			}
		}
	}
	waitWatching := func() {
		for svc.Store.Watchers() == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	start(0)
	ev := next("start")
	if !ev.Listed || len(ev.Members) != 1 || ev.Members[0].InstanceID != "i-00" || ev.Index == 0 {
		t.Fatalf("first event: %+v", ev)
	}
	waitWatching()
	reg("i-01")
	ev = next("i-01")
	if ev.Listed || len(ev.Changes) != 1 || ev.Changes[0].InstanceID != "i-01" || ev.Changes[0].Kind != registry.ChangeJoined {
		t.Fatalf("after i-01: %+v", ev)
	}
	// Drop the watcher's connection while it waits; a change made
	// meanwhile still arrives.
	waitWatching()
	svc.Srv.CloseClientConnections()
	reg("i-02")
	ev = next("i-02 after a dropped connection")
	if len(ev.Changes) != 1 || ev.Changes[0].InstanceID != "i-02" {
		t.Fatalf("after the reconnect: %+v", ev)
	}
	last := ev.Index
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Watch after cancel: %v", err)
	}
	// Away for longer than the registry keeps changes: resuming lists.
	for i := 3; i < 20; i++ {
		reg(fmt.Sprintf("i-%02d", i))
	}
	wctx, cancel = context.WithCancel(ctx)
	defer cancel()
	start(last)
	ev = next("resume behind the window")
	if !ev.Listed || len(ev.Members) != 20 {
		t.Fatalf("resume from %d: %+v", last, ev)
	}
	cancel()
	<-done
}

// TestWatchStopsOnRefusal: a wrong token ends the watch with the
// registry's error, not an endless retry.
func TestWatchStopsOnRefusal(t *testing.T) {
	svc := regtest.NewService(t, nil, store.Options{})
	ctx, cancel := context.WithTimeout(regtest.Ctx(t), 20*time.Second)
	defer cancel()
	err := svc.Client.WithToken(svc.Join).Watch(ctx, "web", 1, func(ev client.WatchEvent) error {
		t.Errorf("event %+v", ev)
		return nil
	})
	if !registry.IsCode(err, registry.CodeForbidden) {
		t.Fatalf("Watch with a join token: %v, want forbidden", err)
	}
}
