#!/bin/sh
# Fail loudly at launch if the stop hook is not armed: a unit that is not
# active now never runs its ExecStop at shutdown.
set -u
unit=appsrv-deregister.service
for i in 1 2 3 4 5 6 7 8 9 10; do
	state=$(systemctl is-active "$unit" || true)
	[ "$state" = active ] && exit 0
	sleep 2
done
echo "$unit is $state, not active: deregistration will not run at shutdown" >&2
logger -t appsrv "$unit is $state after launch"
exit 1
