#!/bin/sh
# Prepares the edge before every start of {{ STACK_UNIT }} (no argument), each finding in one line (the unit's
# journal):
# - names the site Caddy serves, PILLBOX_SITE in {{ SETTINGS_ENV }}: the domain when one is set, else this
#   instance's public IPv4 from the instance metadata (IMDSv2), which changes only when the instance is stopped
#   and started or an Elastic IP is attached;
# - sets an expired certificate aside, out of Caddy's storage (certmagic's storage cleaner deletes expired
#   certificates under certificates/<issuer>/): the Caddyfile redirects to HTTPS while the file is there, and
#   Caddy obtains a new one (checked here: the caddy image has no openssl, AL2023 has);
# - removes a blue/green route naming app-next, which a stack start never runs (a deploy cut short).
# With `certificate`, only the certificate check, hourly from {{ EDGE_CHECK_TIMER }} while the stack runs: the
# redirect's file matcher looks at the disk on every request, so no reload is needed.
set -eu
. {{ SETTINGS_ENV }}
mode=${1:-start}
if [ "$mode" = certificate ]; then
  site=${PILLBOX_SITE:?PILLBOX_SITE is not set in {{ SETTINGS_ENV }}: start {{ STACK_UNIT }} once, it writes it}
else
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
fi

# Caddy's data volume (inspect prints JSON; no --format template, whose braces user-data keeps for placeholders).
# None before the first start: nothing to check.
inspect=$(docker volume inspect {{ EDGE_DATA_VOLUME }} 2>/dev/null) || exit 0
data=$(printf '%s\n' "$inspect" | sed -n 's/^ *"Mountpoint": "\(.*\)",*$/\1/p')
[ -n "$data" ] || { echo "docker volume inspect {{ EDGE_DATA_VOLUME }} named no Mountpoint: the certificate and route were not checked" >&2; exit 0; }
for crt in "$data"/caddy/certificates/*/"$site"/"$site".crt; do
  [ -f "$crt" ] || continue
  openssl x509 -checkend 0 -noout -in "$crt" >/dev/null && continue
  ended=$(openssl x509 -enddate -noout -in "$crt" | sed 's/^notAfter=//')
  issuer=$(basename "$(dirname "$(dirname "$crt")")")
  aside="$data/{{ EDGE_EXPIRED_DIR }}/$issuer/$site.expired-$(date -u +%Y%m%dT%H%M%SZ)"
  mkdir -p "$(dirname "$aside")"
  mv "$(dirname "$crt")" "$aside"
  echo "the certificate for $site expired ($ended): set aside as $aside; port 80 answers 503 instead of redirecting until Caddy obtains a new one (Let's Encrypt must reach port 80)" >&2
done
[ "$mode" = certificate ] && exit 0
route="$data/{{ EDGE_ROUTE_PATH }}"
if [ -e "$route" ]; then
  rm -f "$route"
  echo "the edge route named app-next, which is not started with the stack (a deploy cut short): removed, traffic goes to app" >&2
fi
