package registry_test

import (
	"context"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/udkit/udkit/registry"
	"github.com/udkit/udkit/registry/api"
	"github.com/udkit/udkit/registry/client"
	"github.com/udkit/udkit/registry/dqlitenode"
	"github.com/udkit/udkit/registry/store"
)

// An instance's life as the registry sees it: a dqlite node, the store on
// it, the HTTP API, and the Go client registering and deregistering.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "registry-example-")
	defer os.RemoveAll(dir)
	// Any free loopback port; udkitd uses dqlitenode.DefaultAddress.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	node, err := dqlitenode.Start(ctx, dqlitenode.Config{Dir: dir, Address: addr})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer node.Close(ctx)
	st, err := store.Open(ctx, node.DB(), store.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()
	srv := httptest.NewServer(api.NewHandler(st, nil))
	defer srv.Close()

	admin, _ := registry.NewToken(registry.AdminTokenPrefix)
	st.AddAdminToken(ctx, admin)
	operator, _ := client.New(srv.URL, admin, nil)
	jt, _ := operator.CreateJoinToken(ctx, "web")

	// At launch, with the cluster's join token.
	instance, _ := client.New(srv.URL, jt.Token, nil)
	reg, err := instance.Register(ctx, "web", registry.RegisterRequest{InstanceID: "i-0abc", Address: "10.0.0.7"})
	fmt.Println("registered:", reg.Created, err)

	members, _ := operator.Members(ctx, "web")
	for _, m := range members {
		fmt.Println("member:", m.InstanceID, m.Address)
	}

	// The join token cannot deregister; the member token can.
	_, err = instance.Deregister(ctx, "web", "i-0abc")
	fmt.Println("with the join token:", err)
	res, err := instance.WithToken(reg.MemberToken).Deregister(ctx, "web", "i-0abc")
	fmt.Println("with the member token:", res.Deregistered, err)
	// Output:
	// registered: true <nil>
	// member: i-0abc 10.0.0.7
	// with the join token: registry: deregister: a join token cannot deregister; use the member token returned at registration
	// with the member token: true <nil>
}

func ExampleParseToken() {
	for _, tok := range []string{
		"udkj_" + strings.Repeat("0f", 32),
		"udkm_" + strings.Repeat("0f", 32),
		"hunter2",
	} {
		kind, err := registry.ParseToken(tok)
		fmt.Println(kind, err)
	}
	// Output:
	// join <nil>
	// member <nil>
	//  registry: malformed token (7 bytes): want udka_, udkj_ or udkm_ and 64 lower-case hex digits
}

func ExampleRegisterRequest_Validate() {
	req := registry.RegisterRequest{InstanceID: "i-1", Address: "not an address", UserDataSHA256: "abc"}
	fmt.Println(req.Validate())
	// Output:
	// registry: address "not an address": want an IP address or host name, optionally with :port; user_data_sha256 "abc": want 64 lower-case hex digits
}

func ExampleDeregisterScript() {
	script, err := registry.DeregisterScript(registry.ScriptSpec{
		URL:           "https://registry.internal:8180",
		Cluster:       "web",
		JoinTokenFile: "/etc/udkit/join-token",
		CAFile:        "/etc/udkit/registry-ca.pem",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, line := range strings.Split(string(script), "\n") {
		if strings.Contains(line, "--max-time") || strings.HasPrefix(line, "url=") {
			fmt.Println(strings.TrimSpace(line))
		}
	}
	// Output:
	// url='https://registry.internal:8180'
	// --max-time "$max_time" --connect-timeout 5 --request DELETE \
}

func ExampleValidLabelValue() {
	for _, v := range []string{"frontend", "Zürich", "x,admin=true", "\u202etxt.exe", "a\u2028b", "\u009b2J"} {
		fmt.Printf("%+q %v\n", v, registry.ValidLabelValue(v))
	}
	// Output:
	// "frontend" true
	// "Z\u00fcrich" true
	// "x,admin=true" true
	// "\u202etxt.exe" false
	// "a\u2028b" false
	// "\u009b2J" false
}

func ExampleTokenID() {
	// The id that lists, revocations and audit lines show; the token
	// itself is never logged.
	fmt.Println(registry.TokenID("udkj_" + strings.Repeat("0f", 32)))
	// Output: 75ad55612cce337a
}

func ExampleRenewScript() {
	script, err := registry.RenewScript(registry.ScriptSpec{
		URL:            "https://registry.internal:8180",
		Cluster:        "web",
		JoinTokenFile:  "/etc/udkit/join-token",
		RegisterScript: "/usr/local/sbin/web-register",
		StopHookUnit:   "web-deregister.service",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, line := range strings.Split(string(script), "\n") {
		if strings.Contains(line, "/renew\")") || strings.HasPrefix(line, "register_script=") || strings.HasPrefix(line, "exec ") {
			fmt.Println(strings.TrimSpace(line))
		}
	}
	// Output:
	// register_script='/usr/local/sbin/web-register'
	// "$url/v1/clusters/$cluster/members/$instance_id/renew") || {
	// exec "$register_script"
}
