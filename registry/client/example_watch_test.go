package client_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"time"

	"github.com/udkit/udkit/registry"
	"github.com/udkit/udkit/registry/api"
	"github.com/udkit/udkit/registry/client"
	"github.com/udkit/udkit/registry/dqlitenode"
	"github.com/udkit/udkit/registry/store"
)

// An admin server follows a cluster: Watch lists it, then hands over
// each change as it happens. The registry here is a real one: a dqlite
// node on loopback, the store and the HTTP API.
func ExampleClient_Watch() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir, _ := os.MkdirTemp("", "udkit-watch-example")
	defer os.RemoveAll(dir)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	node, err := dqlitenode.Start(ctx, dqlitenode.Config{Dir: dir, Address: addr})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer node.Close(context.Background())
	st, err := store.Open(ctx, node.DB(), store.Options{Transient: dqlitenode.IsTransient})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()
	srv := httptest.NewServer(api.NewHandler(st, nil))
	defer srv.Close()
	admin, _ := registry.NewToken(registry.AdminTokenPrefix)
	st.AddAdminToken(ctx, admin)
	jt, _ := st.CreateJoinToken(ctx, "web")

	watcher, _ := client.New(srv.URL, admin, nil)
	joiner, _ := client.New(srv.URL, jt.Token, nil)
	listed := make(chan struct{})
	done := make(chan error)
	enough := errors.New("seen enough")
	go func() {
		seen := 0
		done <- watcher.Watch(ctx, "web", 0, func(ev client.WatchEvent) error {
			if ev.Listed {
				fmt.Printf("listed: %d member(s)\n", len(ev.Members))
				close(listed)
			}
			for _, c := range ev.Changes {
				fmt.Println(c.Kind, c.InstanceID)
				if seen++; seen == 3 {
					return enough
				}
			}
			return nil
		})
	}()
	<-listed
	r, _ := joiner.Register(ctx, "web", registry.RegisterRequest{InstanceID: "i-1"})
	joiner.Register(ctx, "web", registry.RegisterRequest{InstanceID: "i-2"})
	member := joiner.WithToken(r.MemberToken)
	member.Deregister(ctx, "web", "i-1")
	fmt.Println(<-done == enough)
	// Output:
	// listed: 0 member(s)
	// joined i-1
	// joined i-2
	// left i-1
	// true
}
