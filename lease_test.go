package udkit_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/udkit/udkit"
	"github.com/udkit/udkit/internal/realtools"
	"github.com/udkit/udkit/unit"
)

func leaseSpec(renew time.Duration) *udkit.Spec {
	return &udkit.Spec{Name: "web", Registry: &udkit.RegistryHook{
		URL: "https://192.0.2.10:8180", Cluster: "web", JoinTokenFile: "/etc/udkit/join-token",
		EveryBoot: true, Renew: renew,
	}}
}

// TestRegistryRenewTimer: RegistryHook.Renew writes the renew script, the
// timer and its service, and arms the timer in the stop hook's enable
// command; the three units pass the real systemd-analyze verify together
// and the timer lints clean.
func TestRegistryRenewTimer(t *testing.T) {
	b, err := udkit.Build(leaseSpec(30 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, f := range b.CloudConfig.WriteFiles {
		files[f.Path] = f.Content
	}
	timer, service, script := files["/etc/systemd/system/web-renew.timer"], files["/etc/systemd/system/web-renew.service"], files["/usr/local/sbin/web-renew"]
	if timer == "" || service == "" || !strings.HasPrefix(script, "#!/bin/sh") {
		t.Fatalf("renewal files missing: %v", len(files))
	}
	for _, want := range []string{"OnUnitActiveSec=30\n", "OnBootSec=30\n", "AccuracySec=1\n", "RandomizedDelaySec=3\n", "PartOf=web-deregister.service\n", "WantedBy=timers.target\n"} {
		if !strings.Contains(timer, want) {
			t.Errorf("timer lacks %q:\n%s", want, timer)
		}
	}
	if !strings.Contains(service, "After=network-online.target web-deregister.service\n") || !strings.Contains(service, "ExecStart=/usr/local/sbin/web-renew\n") {
		t.Errorf("service:\n%s", service)
	}
	if !strings.Contains(script, "register_script='/usr/local/sbin/web-register'") || !strings.Contains(script, "stop_hook='web-deregister.service'") {
		t.Errorf("the renew script does not name the register script and the stop hook")
	}
	var armed bool
	for _, c := range b.CloudConfig.Runcmd {
		s := strings.Join(c.Args, " ")
		if strings.HasPrefix(s, "systemctl enable --now --no-block ") {
			armed = s == "systemctl enable --now --no-block web-deregister.service web-renew.timer"
		}
	}
	if !armed {
		t.Errorf("the timer is not armed with the stop hook: %v", b.CloudConfig.Runcmd)
	}
	u, err := unit.Parse(strings.NewReader(timer))
	if err != nil {
		t.Fatal(err)
	}
	if d := unit.LintTimer(u); len(d) != 0 {
		t.Errorf("LintTimer: %v", d)
	}
	if d := b.Diagnostics.Errors(); len(d) != 0 {
		t.Errorf("errors: %v", d)
	}
	hook, _ := b.Hook.Unit.Marshal()
	out := realtools.SystemdVerifyUnits(t, map[string][]byte{
		"web-renew.timer": []byte(timer), "web-renew.service": []byte(service), "web-deregister.service": hook,
	})
	if out != "" {
		t.Errorf("systemd-analyze verify:\n%s", out)
	}
	// Without Renew nothing of it is written.
	b, err = udkit.Build(leaseSpec(0))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range b.CloudConfig.WriteFiles {
		if strings.Contains(f.Path, "renew") {
			t.Errorf("%s written without Renew", f.Path)
		}
	}
}

func TestRegistryRenewErrors(t *testing.T) {
	for _, d := range []time.Duration{time.Second, 2 * time.Hour, 1500 * time.Millisecond} {
		_, err := udkit.Build(leaseSpec(d))
		var se *udkit.SpecError
		if !errors.As(err, &se) || len(se.Problems) != 1 || se.Problems[0].Path != "registry.renew" {
			t.Errorf("renew %v: %v", d, err)
		}
	}
}
