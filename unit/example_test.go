package unit_test

import (
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/udkit/udkit/unit"
)

func ExampleStopHook() {
	h, err := unit.StopHook(unit.StopHookConfig{
		Name:   "deregister",
		Stop:   []string{"/mnt/shared/bin/deregister", "--cluster", "web"},
		Mounts: []string{"/mnt/shared"},
	})
	if err != nil {
		log.Fatal(err)
	}
	text, err := h.Unit.Marshal()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("# %s\n%s", h.Path, text)
	for _, argv := range h.Arm {
		fmt.Printf("runcmd: %q\n", argv)
	}
	// Output:
	// # /etc/systemd/system/deregister.service
	// [Unit]
	// Description=Deregister deregister at shutdown
	// Wants=network-online.target
	// After=network-online.target network.target remote-fs.target
	// RequiresMountsFor=/mnt/shared
	//
	// [Service]
	// Type=oneshot
	// RemainAfterExit=yes
	// ExecStart=/bin/true
	// ExecStop=/mnt/shared/bin/deregister --cluster web
	// TimeoutStopSec=60
	// EnvironmentFile=-/etc/default/deregister
	// SyslogIdentifier=deregister
	//
	// [Install]
	// WantedBy=multi-user.target
	// runcmd: ["systemctl" "daemon-reload"]
	// runcmd: ["systemctl" "enable" "--now" "--no-block" "deregister.service"]
}

func ExampleExec() {
	for _, argv := range [][]string{
		{"/usr/bin/curl", "--max-time", "10", "-d", `{"node": "web 1"}`, "https://192.0.2.1/leave"},
		{"/bin/date", "+%Y-%m-%d"},
		{"/bin/echo", "$HOME", ">", "/tmp/x"},
	} {
		v, err := unit.Exec(argv)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(v)
	}
	v, _ := unit.Exec([]string{"/bin/echo", "${HOME}"}, unit.ExpandVariables(), unit.IgnoreFailure())
	fmt.Println(v)
	_, err := unit.Exec([]string{"deregister"})
	fmt.Println(err)
	// Output:
	// /usr/bin/curl --max-time 10 -d "{\"node\": \"web 1\"}" https://192.0.2.1/leave
	// /bin/date +%%Y-%%m-%%d
	// /bin/echo $$HOME > /tmp/x
	// -/bin/echo ${HOME}
	// unit: exec: program "deregister" is not an absolute path; systemd looks relative names up in a fixed PATH, write the full path instead
}

func ExampleEscapePath() {
	name, err := unit.EscapePath("/mnt/shared data")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(name + ".mount")
	// Output:
	// mnt-shared\x20data.mount
}

func ExampleLint() {
	u, err := unit.Parse(strings.NewReader(`[Unit]
After=network-online.target cloud-final.service

[Service]
Type=oneshot
ExecStart=/bin/true
ExecStop=/usr/local/bin/deregister --at %s
`))
	if err != nil {
		log.Fatal(err)
	}
	for _, d := range unit.Lint(u) {
		fmt.Println(d.Line, d.Severity, d.Rule)
	}
	// Output:
	// 0 error install-wanted-by
	// 2 error deadlock-after
	// 2 error network-online-wants
	// 4 warning timeout-stop-missing
	// 5 error remain-after-exit
	// 7 warning percent-specifier
}

func ExampleParse() {
	u, err := unit.Parse(strings.NewReader("[Service]\nExecStop=/bin/a \\\n  --flag\nExecStop\n"))
	fmt.Println(u, err)
	u, err = unit.Parse(strings.NewReader("[Service]\n# stop\nExecStop=/bin/a \\\n  --flag\n"))
	if err != nil {
		log.Fatal(err)
	}
	o := u.Options("Service", "ExecStop")[0]
	fmt.Printf("line %d: %q\n", o.Line, o.Value)
	os.Stdout.Write(must(u.Marshal()))
	// Output:
	// <nil> unit line 4: "ExecStop" is neither Key=Value nor a [Section] header; add the '=' or comment the line out with '#'
	// line 3: "/bin/a    --flag"
	// [Service]
	// ExecStop=/bin/a    --flag
}

func ExampleParseBytes() {
	text := []byte("[Unit]\nDescription=Deregister app\n\n[Service]\nType=oneshot\nExecStop=/usr/local/bin/deregister\n")
	u, err := unit.ParseBytes(text)
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range u.Sections {
		for _, o := range s.Options {
			fmt.Printf("line %d: [%s] %s=%s\n", o.Line, s.Name, o.Key, o.Value)
		}
	}
	// Output:
	// line 2: [Unit] Description=Deregister app
	// line 5: [Service] Type=oneshot
	// line 6: [Service] ExecStop=/usr/local/bin/deregister
}

func must(b []byte, err error) []byte {
	if err != nil {
		log.Fatal(err)
	}
	return b
}
