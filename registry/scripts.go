package registry

import (
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"path"
	"regexp"
	"strings"
	"time"
)

// DefaultStateDir is where the generated scripts keep the member token, the
// instance id and the registry's last answer, readable by root only.
const DefaultStateDir = "/var/lib/udkit"

// Script defaults.
const (
	DefaultRegisterAttempts  = 10
	DefaultRegisterMaxTime   = 10 * time.Second
	DefaultDeregisterMaxTime = 20 * time.Second
	DefaultRenewMaxTime      = 10 * time.Second
)

// ScriptSpec says what the generated register and deregister scripts talk
// to. URL, Cluster and JoinTokenFile are required; the rest have defaults.
type ScriptSpec struct {
	// URL is the registry's base URL, e.g. "https://registry.internal:8180".
	// Prefer https: the join and member tokens travel in its requests.
	URL string
	// Cluster is the cluster the instance joins.
	Cluster string
	// JoinTokenFile is the absolute path, on the instance, of the file that
	// holds the cluster's join token (written by cloud-init, mode 0600).
	JoinTokenFile string
	// CAFile is the absolute path, on the instance, of a PEM CA bundle that
	// curl trusts for the https URL; empty uses the system's CAs.
	CAFile string
	// StateDir is where the scripts keep their state; DefaultStateDir if
	// empty.
	StateDir string
	// Labels are sent with the registration.
	Labels map[string]string
	// RegisterAttempts bounds the register script's attempts;
	// DefaultRegisterAttempts if 0.
	RegisterAttempts int
	// RegisterMaxTime bounds each attempt (curl --max-time), whole
	// seconds; DefaultRegisterMaxTime if 0.
	RegisterMaxTime time.Duration
	// DeregisterMaxTime bounds the deregister script's single attempt
	// (curl --max-time), whole seconds; DefaultDeregisterMaxTime if 0. Keep
	// it well below the stop unit's TimeoutStopSec.
	DeregisterMaxTime time.Duration
	// RenewMaxTime bounds the renew script's single attempt (curl
	// --max-time), whole seconds; DefaultRenewMaxTime if 0. Keep it well
	// below the renewal interval.
	RenewMaxTime time.Duration
	// RegisterScript is the absolute path, on the instance, of the
	// register script, which the renew script runs when the registry no
	// longer holds the member (its lease expired while the instance lived:
	// a partition longer than the TTL). Empty: the renew script only
	// reports it and fails.
	RegisterScript string
	// StopHookUnit is the stop hook's unit name ("NAME-deregister.service").
	// When set, the renew script registers again only while that unit is
	// active: an instance whose stop hook ran (it left the cluster on
	// purpose, or is shutting down) stays out.
	StopHookUnit string
}

// Files the scripts keep under StateDir.
const (
	MemberTokenFileName = "member-token"
	InstanceIDFileName  = "instance-id"
)

func (s ScriptSpec) withDefaults() (ScriptSpec, error) {
	var probs []string
	u, err := url.Parse(s.URL)
	switch {
	case s.URL == "":
		probs = append(probs, "URL: required (e.g. https://registry.internal:8180)")
	case err != nil:
		probs = append(probs, fmt.Sprintf("URL %q: %v", truncate(s.URL), err))
	case (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "":
		probs = append(probs, fmt.Sprintf("URL %q: want http(s)://host[:port][/prefix], without user, query or fragment", truncate(s.URL)))
	case strings.ContainsAny(s.URL, "'\"\\`$ \t\r\n") || strings.ContainsFunc(s.URL, isControl):
		probs = append(probs, fmt.Sprintf("URL %q: must not contain quotes, backslashes, $, ` or white space", truncate(s.URL)))
	case strings.ContainsAny(strings.TrimPrefix(s.URL, u.Scheme+"://"+u.Host), "[]{}") || strings.ContainsAny(u.Host, "{}") ||
		strings.HasPrefix(u.Host, "[") && net.ParseIP(u.Hostname()) == nil:
		// curl expands {a,b} and [1-3] into several requests; the
		// scripts pass --globoff, and refuse these anyway: no registry
		// URL needs them.
		probs = append(probs, fmt.Sprintf("URL %q: must not contain {, }, [ or ] except around an IPv6 address (https://[fd00::1]:8180)", truncate(s.URL)))
	}
	if err := ValidateCluster(s.Cluster); err != nil {
		probs = append(probs, strings.TrimPrefix(err.Error(), "registry: "))
	}
	checkPath := func(field, p string, required bool) {
		if p == "" {
			if required {
				probs = append(probs, field+": required (an absolute path on the instance)")
			}
			return
		}
		if !path.IsAbs(p) || path.Clean(p) != p || strings.ContainsFunc(p, isControl) || p == "/" {
			probs = append(probs, fmt.Sprintf("%s %q: want a clean absolute path without control characters", field, truncate(p)))
		}
	}
	checkPath("JoinTokenFile", s.JoinTokenFile, true)
	checkPath("CAFile", s.CAFile, false)
	checkPath("RegisterScript", s.RegisterScript, false)
	if s.StopHookUnit != "" && !stopHookUnitRE.MatchString(s.StopHookUnit) {
		probs = append(probs, fmt.Sprintf("StopHookUnit %q: want a service name such as web-deregister.service (letters, digits, :_.@-)", truncate(s.StopHookUnit)))
	}
	if s.StateDir == "" {
		s.StateDir = DefaultStateDir
	}
	checkPath("StateDir", s.StateDir, false)
	if strings.HasPrefix(s.StateDir, "/tmp/") || s.StateDir == "/tmp" {
		probs = append(probs, fmt.Sprintf("StateDir %q: not under /tmp, which is cleaned at boot", s.StateDir))
	}
	if s.CAFile != "" && u != nil && u.Scheme != "https" {
		probs = append(probs, "CAFile: given, but the URL is not https")
	}
	req := RegisterRequest{InstanceID: "i-0", Labels: s.Labels}
	if err := req.Validate(); err != nil {
		probs = append(probs, strings.TrimPrefix(err.Error(), "registry: "))
	}
	if s.RegisterAttempts == 0 {
		s.RegisterAttempts = DefaultRegisterAttempts
	}
	if s.RegisterAttempts < 1 || s.RegisterAttempts > 100 {
		probs = append(probs, fmt.Sprintf("RegisterAttempts %d: want 1 to 100", s.RegisterAttempts))
	}
	if s.RegisterMaxTime == 0 {
		s.RegisterMaxTime = DefaultRegisterMaxTime
	}
	if s.DeregisterMaxTime == 0 {
		s.DeregisterMaxTime = DefaultDeregisterMaxTime
	}
	if s.RenewMaxTime == 0 {
		s.RenewMaxTime = DefaultRenewMaxTime
	}
	for _, d := range []struct {
		field string
		v     time.Duration
	}{{"RegisterMaxTime", s.RegisterMaxTime}, {"DeregisterMaxTime", s.DeregisterMaxTime}, {"RenewMaxTime", s.RenewMaxTime}} {
		if d.v < time.Second || d.v > 10*time.Minute || d.v%time.Second != 0 {
			probs = append(probs, fmt.Sprintf("%s %v: want whole seconds from 1s to 10m", d.field, d.v))
		}
	}
	if len(probs) > 0 {
		return s, fmt.Errorf("registry: script spec: %s", strings.Join(probs, "; "))
	}
	s.URL = strings.TrimSuffix(s.URL, "/")
	return s, nil
}

// RegisterTimeout returns the longest the register script can spend on
// the registry: every attempt at its full --max-time plus the pauses
// between attempts (2 s, doubling, at most 30 s). With the defaults: 280 s.
// Bound whatever runs the script (cloud-init's runcmd has no timeout of
// its own) accordingly.
func (s ScriptSpec) RegisterTimeout() time.Duration {
	s, _ = s.withDefaults()
	total := time.Duration(s.RegisterAttempts) * s.RegisterMaxTime
	delay := 2 * time.Second
	for i := 1; i < s.RegisterAttempts; i++ {
		total += delay
		delay = min(2*delay, 30*time.Second)
	}
	return total
}

// DeregisterTimeout returns the longest the deregister script spends on
// the registry (its single attempt's --max-time). The stop unit's
// TimeoutStopSec must be longer, with a margin for starting the script.
func (s ScriptSpec) DeregisterTimeout() time.Duration {
	s, _ = s.withDefaults()
	return s.DeregisterMaxTime
}

// shQuote quotes s as one word for a POSIX shell.
func shQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// RegisterScript returns the register script: a POSIX sh script for
// cloud-init's runcmd (or a boot-time ExecStart) that registers the
// instance with the registry. It reads the instance id with `cloud-init
// query v1.instance_id`, makes a member token once per instance id and
// keeps it (0600) with that id under StateDir before the first attempt, so
// that every retry sends the same token and a repeated registration is
// recognised as one; an instance whose stored id is another's (cloned from
// an image of a registered instance) makes its own token. It tries at
// most RegisterAttempts times, each bounded by `curl --fail-with-body
// --max-time` (curl 7.76 or later; Debian 12 has 7.88),
// backing off between attempts, and gives up early on an answer that
// retrying cannot change (400, 401, 403, 409, 413, 415). Tokens never
// appear on a command line (the join token goes to curl on stdin, the
// body with the member token in a 0600 file) nor in its log lines: an
// error reports the registry's answer to that attempt (a fresh file per
// attempt), printable ASCII only, with anything shaped like a token
// blanked. curl runs with --globoff. Same spec, same bytes.
func RegisterScript(spec ScriptSpec) ([]byte, error) {
	s, err := spec.withDefaults()
	if err != nil {
		return nil, err
	}
	labels := "{}"
	if len(s.Labels) > 0 {
		b, _ := json.Marshal(s.Labels) // encoding/json sorts map keys
		labels = string(b)
	}
	var b strings.Builder
	b.WriteString(`#!/bin/sh
# Registers this instance with the udkit registry. Generated by udkit: do not
# edit. Safe to run again: the member token kept under the state directory
# makes a repeated registration a no-op.
set -eu

`)
	writeCommonVars(&b, s)
	fmt.Fprintf(&b, "join_token_file=%s\n", shQuote(s.JoinTokenFile))
	fmt.Fprintf(&b, "labels=%s\n", shQuote(labels))
	fmt.Fprintf(&b, "attempts=%d\n", s.RegisterAttempts)
	fmt.Fprintf(&b, "max_time=%d\n", int(s.RegisterMaxTime/time.Second))
	b.WriteString(`
log() { printf 'udkit-register: %s\n' "$*" >&2; }
# said prints what the registry answered, from file $1: printable ASCII
# only, at most 300 bytes, anything shaped like a token blanked out.
said() {
	if [ -s "$1" ]; then
		LC_ALL=C tr -c ' -~' ' ' <"$1" | head -c 300 | sed 's/udk[ajm]_[0-9a-fA-F]*/udk?_(redacted)/g'
	else
		printf '%s' 'no answer'
	fi
}

umask 077
instance_id=$(cloud-init query v1.instance_id) || { log "cloud-init query v1.instance_id failed"; exit 1; }
case $instance_id in
	'' | *[!A-Za-z0-9._:-]*) log "unusable instance id from cloud-init: '$instance_id'"; exit 1 ;;
esac
join_token=$(cat "$join_token_file") || { log "cannot read the join token file $join_token_file"; exit 1; }
case $join_token in
	udkj_*) ;;
	*) log "$join_token_file does not hold a join token (udkj_...)"; exit 1 ;;
esac
case ${join_token#udkj_} in
	*[!0-9a-f]*) log "$join_token_file does not hold a join token (udkj_...)"; exit 1 ;;
esac

mkdir -p "$state_dir"
chmod 700 "$state_dir"
# The member token belongs to the instance id it was made for. Made once per
# instance, before the first attempt, so that every retry and reboot sends
# the same token; made anew when the stored id is another instance's (an
# image baked from a registered instance): a clone must not hold a token
# that deregisters the original.
stored_id=$(cat "$state_dir/instance-id" 2>/dev/null) || stored_id=''
if [ "$stored_id" != "$instance_id" ] || [ ! -s "$state_dir/member-token" ]; then
	token="udkm_$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"
	printf '%s\n' "$token" >"$state_dir/member-token.new"
	printf '%s\n' "$instance_id" >"$state_dir/instance-id.new"
	mv "$state_dir/member-token.new" "$state_dir/member-token"
	mv "$state_dir/instance-id.new" "$state_dir/instance-id"
fi
member_token=$(cat "$state_dir/member-token")

address=$(cloud-init query v1.local_hostname 2>/dev/null) || address=''
case $address in
	*[!A-Za-z0-9.-]* | -* | *- | .* | *. | *..*) address='' ;;
esac
user_data_sha256=''
if [ -r /var/lib/cloud/instance/user-data.txt ]; then
	user_data_sha256=$(sha256sum /var/lib/cloud/instance/user-data.txt | cut -d ' ' -f 1)
fi
body=$(printf '{"instance_id":"%s","address":"%s","labels":%s,"user_data_sha256":"%s","member_token":"%s"}' \
	"$instance_id" "$address" "$labels" "$user_data_sha256" "$member_token")
# The body holds the member token: it goes to curl in a file (0600), never
# on a command line, where any local user could read it.
request="$state_dir/registration.request"
printf '%s' "$body" >"$request"
answer="$state_dir/registration.answer"

attempt=1
delay=2
while :; do
	# A fresh answer per attempt: an error reports what the registry said
	# this time, never an earlier answer (which holds the member token).
	rm -f "$answer"
	code=$(printf 'header = "Authorization: Bearer %s"\n' "$join_token" |
		curl --config - --globoff --fail-with-body --silent --show-error \
`)
	writeCurlTLS(&b, s, "\t\t\t")
	b.WriteString(`			--max-time "$max_time" --connect-timeout 5 \
			--header 'Content-Type: application/json' --data-binary "@$request" \
			--output "$answer" --write-out '%{http_code}' \
			"$url/v1/clusters/$cluster/members") && {
		mv "$answer" "$state_dir/registration.json"
		rm -f "$request"
		log "registered $instance_id in cluster $cluster (HTTP $code)"
		exit 0
	}
	case $code in
		400 | 401 | 403 | 409 | 413 | 415)
			log "the registry refused $instance_id (HTTP $code): $(said "$answer")"
			rm -f "$request"
			exit 1
			;;
	esac
	if [ "$attempt" -ge "$attempts" ]; then
		log "giving up after $attempt attempts (last HTTP status ${code:-none}: $(said "$answer"))"
		rm -f "$request"
		exit 1
	fi
	log "attempt $attempt failed (HTTP ${code:-none}: $(said "$answer")); retrying in $delay s"
	sleep "$delay"
	attempt=$((attempt + 1))
	delay=$((delay * 2))
	if [ "$delay" -gt 30 ]; then delay=30; fi
done
`)
	return []byte(b.String()), nil
}

// DeregisterScript returns the deregister script: a POSIX sh script for the
// stop hook's ExecStop. It makes one attempt, bounded by `curl
// --fail-with-body --max-time DeregisterMaxTime`, to remove the instance (its id from
// `cloud-init query v1.instance_id`, or cloud-init's per-boot
// /run/cloud-init/.instance-id if the query fails) with its member token, and exits 0 if
// the instance never registered: no member token, or one kept for another
// instance id (a clone of a registered instance).
// It keeps the member token, so that registering again after a reboot
// reuses it. Same spec, same bytes.
func DeregisterScript(spec ScriptSpec) ([]byte, error) {
	s, err := spec.withDefaults()
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString(`#!/bin/sh
# Deregisters this instance from the udkit registry at shutdown (the stop
# hook's ExecStop). Generated by udkit: do not edit. One bounded attempt:
# shutdown must not wait for an unreachable registry.
set -eu

`)
	writeCommonVars(&b, s)
	fmt.Fprintf(&b, "max_time=%d\n", int(s.DeregisterMaxTime/time.Second))
	b.WriteString(`
log() { printf 'udkit-deregister: %s\n' "$*" >&2; }
# said prints what the registry answered, from file $1: printable ASCII
# only, at most 300 bytes, anything shaped like a token blanked out.
said() {
	if [ -s "$1" ]; then
		LC_ALL=C tr -c ' -~' ' ' <"$1" | head -c 300 | sed 's/udk[ajm]_[0-9a-fA-F]*/udk?_(redacted)/g'
	else
		printf '%s' 'no answer'
	fi
}

umask 077
if [ ! -s "$state_dir/member-token" ]; then
	log "no member token in $state_dir: this instance never registered; nothing to do"
	exit 0
fi
# This instance's id, never the stored one: on an instance cloned from a
# registered one, the state directory holds the original's id and token.
# If cloud-init query fails this late, cloud-init's note of this boot's id
# (under /run, so never one baked into an image) is the fallback.
instance_id=$(cloud-init query v1.instance_id) ||
	instance_id=$(cat /run/cloud-init/.instance-id) || { log "cloud-init query v1.instance_id failed and /run/cloud-init/.instance-id is unreadable"; exit 1; }
case $instance_id in
	'' | *[!A-Za-z0-9._:-]*) log "unusable instance id from cloud-init: '$instance_id'"; exit 1 ;;
esac
stored_id=$(cat "$state_dir/instance-id" 2>/dev/null) || stored_id=''
if [ "$stored_id" != "$instance_id" ]; then
	log "the member token in $state_dir was made for instance '$stored_id', not $instance_id: this instance never registered; nothing to do"
	exit 0
fi
`)
	b.WriteString(readMemberToken)
	b.WriteString(`
answer="$state_dir/deregistration.json"
rm -f "$answer"
code=$(printf 'header = "Authorization: Bearer %s"\n' "$member_token" |
	curl --config - --globoff --fail-with-body --silent --show-error \
`)
	writeCurlTLS(&b, s, "\t\t")
	b.WriteString(`		--max-time "$max_time" --connect-timeout 5 --request DELETE \
		--output "$answer" --write-out '%{http_code}' \
		"$url/v1/clusters/$cluster/members/$instance_id") || {
	log "deregistering $instance_id failed (HTTP ${code:-none}): $(said "$answer")"
	exit 1
}
# Report what the registry said: false means it holds no member of this id
# that this token may remove (already gone, or registered with another
# token); nothing was removed, and there is nothing to retry.
case $(tr -d ' \t\r\n' <"$answer" 2>/dev/null) in
	*'"deregistered":true'*)
		log "deregistered $instance_id from cluster $cluster (HTTP $code)"
		;;
	*'"deregistered":false'*)
		log "the registry holds no member $instance_id in cluster $cluster for this member token (already deregistered, or registered with another token); nothing removed (HTTP $code)"
		;;
	*)
		log "unexpected answer to deregistering $instance_id (HTTP $code): $(said "$answer")"
		exit 1
		;;
esac
`)
	return []byte(b.String()), nil
}

var stopHookUnitRE = regexp.MustCompile(`^[A-Za-z0-9:_.@-]{1,240}\.service$`)

// RenewScript returns the renew script: a POSIX sh script, run by a
// systemd timer every renewal interval (a third of the cluster's lease
// TTL or less), that renews the instance's lease with its member token. It
// makes one attempt, bounded by `curl --fail-with-body --max-time
// RenewMaxTime` (with --globoff; the token goes to curl on stdin, never on a
// command line nor in a log line), and prints nothing when the lease is
// renewed. It exits 0 without asking the registry while the instance has
// not registered yet (no member token, one kept for another instance id,
// no registration.json) or while a registration is in progress (the
// register script's request file is there, and less than 10 minutes old). When the registry answers that it holds no such member (the lease
// expired and the member was evicted while the instance lived), it runs
// RegisterScript, if given, to register again with the kept member
// token, but only while StopHookUnit is active: never after the stop hook
// deregistered the instance. Same spec, same bytes.
func RenewScript(spec ScriptSpec) ([]byte, error) {
	s, err := spec.withDefaults()
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString(`#!/bin/sh
# Renews this instance's lease in the udkit registry (run by a systemd
# timer). Generated by udkit: do not edit. One bounded attempt; the timer
# runs it again at the next interval.
set -eu

`)
	writeCommonVars(&b, s)
	fmt.Fprintf(&b, "max_time=%d\n", int(s.RenewMaxTime/time.Second))
	fmt.Fprintf(&b, "register_script=%s\n", shQuote(s.RegisterScript))
	fmt.Fprintf(&b, "stop_hook=%s\n", shQuote(s.StopHookUnit))
	b.WriteString(`
log() { printf 'udkit-renew: %s\n' "$*" >&2; }
# said prints what the registry answered, from file $1: printable ASCII
# only, at most 300 bytes, anything shaped like a token blanked out.
said() {
	if [ -s "$1" ]; then
		LC_ALL=C tr -c ' -~' ' ' <"$1" | head -c 300 | sed 's/udk[ajm]_[0-9a-fA-F]*/udk?_(redacted)/g'
	else
		printf '%s' 'no answer'
	fi
}

umask 077
if [ ! -s "$state_dir/member-token" ]; then
	log "no member token in $state_dir: this instance has not registered yet; nothing to renew"
	exit 0
fi
instance_id=$(cloud-init query v1.instance_id) ||
	instance_id=$(cat /run/cloud-init/.instance-id) || { log "cloud-init query v1.instance_id failed and /run/cloud-init/.instance-id is unreadable"; exit 1; }
case $instance_id in
	'' | *[!A-Za-z0-9._:-]*) log "unusable instance id from cloud-init: '$instance_id'"; exit 1 ;;
esac
stored_id=$(cat "$state_dir/instance-id" 2>/dev/null) || stored_id=''
if [ "$stored_id" != "$instance_id" ]; then
	log "the member token in $state_dir was made for instance '$stored_id', not $instance_id: this instance has not registered yet; nothing to renew"
	exit 0
fi
if [ ! -s "$state_dir/registration.json" ]; then
	log "no registration.json in $state_dir: this instance has not registered yet; nothing to renew"
	exit 0
fi
# The register script keeps its request file while it tries (at most a few
# minutes): a registration in progress is left alone.
if [ -n "$(find "$state_dir" -maxdepth 1 -name registration.request -mmin -10 2>/dev/null)" ]; then
	log "a registration is in progress; not renewing now"
	exit 0
fi
`)
	b.WriteString(readMemberToken)
	b.WriteString(`
answer="$state_dir/renewal.json"
rm -f "$answer"
code=$(printf 'header = "Authorization: Bearer %s"\n' "$member_token" |
	curl --config - --globoff --fail-with-body --silent --show-error \
`)
	writeCurlTLS(&b, s, "\t\t")
	b.WriteString(`		--max-time "$max_time" --connect-timeout 5 --request POST \
		--output "$answer" --write-out '%{http_code}' \
		"$url/v1/clusters/$cluster/members/$instance_id/renew") || {
	log "renewing the lease of $instance_id failed (HTTP ${code:-none}): $(said "$answer"); the timer tries again"
	exit 1
}
case $(tr -d ' \t\r\n' <"$answer" 2>/dev/null) in
	*'"renewed":true'*)
		exit 0
		;;
	*'"renewed":false'*)
		;;
	*)
		log "unexpected answer to renewing $instance_id (HTTP $code): $(said "$answer")"
		exit 1
		;;
esac
# The registry holds no member $instance_id for this token: its lease
# expired (the registry lost touch with this instance for longer than the
# TTL) or someone deregistered it.
if [ -n "$stop_hook" ] && ! systemctl is-active --quiet "$stop_hook"; then
	log "the registry no longer holds $instance_id in cluster $cluster, and $stop_hook is not active (the instance deregistered or is shutting down): not registering again"
	exit 0
fi
if [ -z "$register_script" ]; then
	log "the registry no longer holds $instance_id in cluster $cluster (lease expired or deregistered); register again"
	exit 1
fi
log "the registry no longer holds $instance_id in cluster $cluster (lease expired or deregistered): registering again"
exec "$register_script"
`)
	return []byte(b.String()), nil
}

// readMemberToken is the shell that the deregister and renew scripts use
// to read the member token the register script kept, refusing anything
// that is not one (the token is never printed).
const readMemberToken = `member_token=$(cat "$state_dir/member-token")
case $member_token in
	udkm_*) ;;
	*) log "$state_dir/member-token does not hold a member token (udkm_...)"; exit 1 ;;
esac
case ${member_token#udkm_} in
	*[!0-9a-f]*) log "$state_dir/member-token does not hold a member token (udkm_...)"; exit 1 ;;
esac
`

func writeCommonVars(b *strings.Builder, s ScriptSpec) {
	fmt.Fprintf(b, "url=%s\n", shQuote(s.URL))
	fmt.Fprintf(b, "cluster=%s\n", shQuote(s.Cluster))
	fmt.Fprintf(b, "state_dir=%s\n", shQuote(s.StateDir))
}

func writeCurlTLS(b *strings.Builder, s ScriptSpec, indent string) {
	if s.CAFile != "" {
		fmt.Fprintf(b, "%s--cacert %s --proto =https \\\n", indent, shQuote(s.CAFile))
	}
}
