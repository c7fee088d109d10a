// Package dist holds the files udkit ships for running its programs: the
// systemd unit of udkitd ([UdkitdService]), which `udkitd unit` prints
// and the e2e suite boots.
package dist

import _ "embed"

// UdkitdService is the hardened systemd unit of udkitd
// (dist/udkitd.service): Type=notify, DynamicUser=yes,
// StateDirectory=udkitd, ProtectSystem=strict, an empty capability
// bounding set, @system-service system calls, Restart=on-failure and a
// TimeoutStopSec= above twice udkitd's --shutdown-timeout. It runs
// /usr/local/bin/udkitd with its state in /var/lib/udkitd and takes
// more flags from UDKITD_OPTS in /etc/default/udkitd.
//
//go:embed udkitd.service
var UdkitdService string

// UdkitdServiceName is the name the unit is installed under.
const UdkitdServiceName = "udkitd.service"
