#!/bin/sh
# Register this instance as a managed server of $CLUSTER with the admin
# server at $ADMIN_URL, through the domain's admin scripting tool on NFS.
# Runs once per instance from runcmd, with /etc/default/managed-server
# sourced.
set -eu
id=$(cat /var/lib/cloud/data/instance-id)
exec "$DOMAIN_HOME/bin/admin-tool" --timeout 60 add-server \
    --admin-url "$ADMIN_URL" --cluster "$CLUSTER" --name "ms-$id"
