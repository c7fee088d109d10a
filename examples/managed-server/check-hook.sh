#!/bin/sh
# Fail loudly at launch when the stop hook is not active: a unit that never
# started never runs its ExecStop at shutdown. runcmd armed it with
# --no-block, so give it a moment.
unit=managed-server-deregister.service
state=unknown
for _ in 1 2 3 4 5 6 7 8 9 10; do
	state=$(systemctl is-active "$unit") && exit 0
	sleep 2
done
echo "$unit is $state: this instance will not deregister at shutdown" >&2
exit 1
