==> .ci/run <==
#!/usr/bin/env bash
# CI: the README's test command, on a clean clone, as root.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
# A fresh Debian with Go may lack make (the README names it as a prerequisite).
if ! command -v make >/dev/null; then
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq make
fi
make test
# The real boot: Debian + systemd + cloud-init in systemd-nspawn, fed udkit's
# user data (installs debootstrap and systemd-container when missing).
make e2e
==> .ci/apt-ensure <==
#!/bin/sh
# Installs the Debian packages in $PKGS that are not installed yet.
# Runs `apt-get update` first, as a fresh machine's lists may be empty.
set -eu
missing=
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0
if [ -n "${SUDO:-}" ] && ! command -v "$SUDO" >/dev/null 2>&1; then
	echo "missing Debian packages:$missing; install them as root (apt-get install$missing) or install sudo" >&2
	exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
${SUDO:-} apt-get -o DPkg::Lock::Timeout=600 update -qq
# shellcheck disable=SC2086
${SUDO:-} apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $missing
==> examples/managed-server/check-hook.sh <==
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
==> examples/managed-server/register.sh <==
#!/bin/sh
# Register this instance as a managed server of $CLUSTER with the admin
# server at $ADMIN_URL, through the domain's admin scripting tool on NFS.
# Runs at every boot as the stop hook's ExecStart=, with the variables of
# /etc/default/managed-server, once /mnt/domain is mounted.
set -eu
id=$(cat /var/lib/cloud/data/instance-id)
exec "$DOMAIN_HOME/bin/admin-tool" --timeout 45 add-server \
    --admin-url "$ADMIN_URL" --cluster "$CLUSTER" --name "ms-$id"
==> userdata/testdata/seed/10-register.sh <==
#!/bin/sh
# Register this instance with the cluster's registry at first boot.
set -eu
. /etc/default/appsrv
id=$(cat /var/lib/cloud/data/instance-id)
name="${SERVER_NAME_PREFIX}-${id}"
for attempt in 1 2 3 4 5; do
	if curl --fail --silent --show-error --max-time 10 \
		-X PUT -H 'Content-Type: application/json' \
		-d "{\"name\":\"${name}\",\"cluster\":\"${CLUSTER}\"}" \
		"${REGISTRY_URL}/v1/members/${name}"; then
		echo "registered ${name} in ${CLUSTER}"
		exit 0
	fi
	sleep $((attempt * 3))
done
echo "could not register ${name} after 5 attempts" >&2
exit 1
==> userdata/testdata/seed/20-check-hook.sh <==
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
