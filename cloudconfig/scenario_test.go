package cloudconfig_test

import "github.com/udkit/udkit/cloudconfig"

// hookUnit is the canonical stop-hook unit of the seed scenario
// (../../shared/STOPHOOK.md), as the composition writes it.
const hookUnit = `[Unit]
Description=Deregister app-server at shutdown
Wants=network-online.target
After=network-online.target network.target remote-fs.target
RequiresMountsFor=/mnt/shared

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/true
ExecStop=/mnt/shared/bin/deregister
TimeoutStopSec=60
EnvironmentFile=-/etc/default/app-server
SyslogIdentifier=app-server

[Install]
WantedBy=multi-user.target
`

// seedScenario is the cloud-config of the seed scenario: a managed server
// that registers at launch and deregisters at shutdown through a stop hook
// on an NFS share.
func seedScenario() *cloudconfig.Config {
	return &cloudconfig.Config{
		WriteFiles: []cloudconfig.WriteFile{
			{Path: "/etc/systemd/system/app-server-deregister.service", Content: hookUnit, Permissions: "0644"},
			{Path: "/etc/default/app-server", Content: "ADMIN_URL=https://admin.example.internal:7001\nCLUSTER=app-cluster\n", Permissions: "0640"},
			{Path: "/usr/local/sbin/register", Content: "#!/bin/sh\nset -eu\n. /etc/default/app-server\nexec /mnt/shared/bin/register --cluster \"$CLUSTER\" --admin-url \"$ADMIN_URL\"\n", Permissions: "0755"},
		},
		Mounts: [][]string{
			{"nfs.example.internal:/export/shared", "/mnt/shared", "nfs4", "defaults,_netdev,nofail", "0", "0"},
		},
		PackageUpdate: cloudconfig.Bool(true),
		Packages:      []string{"nfs-common", "curl"},
		Runcmd: []cloudconfig.Command{
			cloudconfig.Argv("systemctl", "daemon-reload"),
			cloudconfig.Argv("systemctl", "enable", "--now", "--no-block", "app-server-deregister.service"),
			cloudconfig.Argv("/usr/local/sbin/register"),
		},
		FinalMessage: "app-server registered after $UPTIME seconds",
	}
}
