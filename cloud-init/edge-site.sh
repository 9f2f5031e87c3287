#!/bin/sh
# Names the site Caddy serves, PILLBOX_SITE in {{ SETTINGS_ENV }}, before every start of {{ STACK_UNIT }}:
# the domain when one is set, else this instance's public IPv4 from the instance metadata (IMDSv2), which
# changes only when the instance is stopped and started or an Elastic IP is attached.
set -eu
. {{ SETTINGS_ENV }}
site=${PILLBOX_DOMAIN:-}
if [ -z "$site" ]; then
  imds=http://169.254.169.254/latest
  token=$(curl -sf --max-time 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' "$imds/api/token")
  site=$(curl -sf --max-time 5 -H "X-aws-ec2-metadata-token: $token" "$imds/meta-data/public-ipv4") || {
    echo 'this instance has no public IPv4 address: no certificate can name it; launch it in a subnet that assigns one' >&2
    exit 1
  }
fi
tmp=$(mktemp {{ ETC_DIR }}/.settings.XXXXXX)
trap 'rm -f "$tmp"' EXIT
grep -v '^PILLBOX_SITE=' {{ SETTINGS_ENV }} >"$tmp" || true
printf 'PILLBOX_SITE=%s\n' "$site" >>"$tmp"
chmod 0644 "$tmp"
mv "$tmp" {{ SETTINGS_ENV }}
trap - EXIT
