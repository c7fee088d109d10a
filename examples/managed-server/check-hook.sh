#!/bin/sh
# Fail loudly at launch when the stop hook is not active: a unit that never
# started never runs its ExecStop at shutdown, and this one is failed when
# the registration (its ExecStart) failed. runcmd queued its start with
# --no-block and registration may take up to TimeoutStartSec=60, so wait a
# little longer than that.
unit=managed-server-deregister.service
state=unknown
n=0
while [ "$n" -lt 35 ]; do
	state=$(systemctl is-active "$unit") && exit 0
	[ "$state" = failed ] && break
	sleep 2
	n=$((n + 1))
done
echo "$unit is $state: this instance is not registered or will not deregister at shutdown" >&2
journalctl -u "$unit" -n 20 --no-pager >&2 || true
exit 1
