#!/bin/sh
# Register this instance as a managed server of $CLUSTER with the admin
# server at $ADMIN_URL, through the domain's admin scripting tool on NFS.
# Runs at every boot as the stop hook's ExecStart=, with the variables of
# /etc/default/managed-server, once /mnt/domain is mounted.
set -eu
id=$(cat /var/lib/cloud/data/instance-id)
exec "$DOMAIN_HOME/bin/admin-tool" --timeout 45 add-server \
    --admin-url "$ADMIN_URL" --cluster "$CLUSTER" --name "ms-$id"
