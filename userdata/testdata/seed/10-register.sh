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
