package unit_test

import (
	"fmt"
	"log"
	"time"

	"github.com/udkit/udkit/unit"
)

func ExampleNewTimer() {
	tm, err := unit.NewTimer(unit.TimerConfig{
		Name:    "web-renew",
		Command: []string{"/usr/local/sbin/web-renew"},
		Every:   30 * time.Second,
		After:   []string{"web-deregister.service"},
		PartOf:  "web-deregister.service",
	})
	if err != nil {
		log.Fatal(err)
	}
	timer, _ := tm.Unit.Marshal()
	service, _ := tm.Service.Marshal()
	fmt.Printf("# %s\n%s\n# %s\n%s", tm.Path, timer, tm.ServicePath, service)
	fmt.Printf("runcmd: %q\n", tm.Arm[1])
	fmt.Println("lint findings:", len(unit.LintTimer(tm.Unit)))
	// Output:
	// # /etc/systemd/system/web-renew.timer
	// [Unit]
	// Description=Run web-renew periodically
	// PartOf=web-deregister.service
	//
	// [Timer]
	// OnBootSec=30
	// OnUnitActiveSec=30
	// RandomizedDelaySec=3
	// AccuracySec=1
	//
	// [Install]
	// WantedBy=timers.target
	//
	// # /etc/systemd/system/web-renew.service
	// [Unit]
	// Description=Run web-renew periodically
	// Wants=network-online.target
	// After=network-online.target web-deregister.service
	//
	// [Service]
	// Type=oneshot
	// ExecStart=/usr/local/sbin/web-renew
	// TimeoutStartSec=30
	// SyslogIdentifier=web-renew
	// runcmd: ["systemctl" "enable" "--now" "--no-block" "web-renew.timer"]
	// lint findings: 0
}
