#!/bin/sh
# Reports the box's disk use and its containers' restarts to Elasticsearch, for the alert engine's disk and restart
# rules (elk/elastalert/rules/disk-high.yaml, container-restarting.yaml). On the host, because only the host sees its
# root filesystem (Docker's volumes, Elasticsearch's data) and Docker's restart counts; no collector container to
# budget memory for. Started each minute by {{ BOX_STATUS_TIMER }}.
# Writes as pillbox_box_status, which may only append to the one data stream (elk/setup), through curl inside the
# Elasticsearch container (never published on the host); the password reaches curl on stdin, never in a command line.
set -eu
stream=logs-pillbox.box-default
state={{ BOX_STATUS_STATE }}
secret=BOX_STATUS_ES_PASSWORD
pw=$(sed -n "s/^$secret=//p" {{ SECRETS_ENV }})
if [ -z "$pw" ]; then
  echo "$secret is not in {{ SECRETS_ENV }}: no disk or restart alerts (npm run provision creates it)" >&2
  exit 0
fi
# The compose project the box runs (scripts/lib/box/layout.ts COMPOSE_PROJECT).
project="label=com.docker.compose.project=pillbox"
es=$(docker ps --quiet --filter "$project" --filter label=com.docker.compose.service=elasticsearch | head -n 1)
if [ -z "$es" ]; then
  echo "Elasticsearch is not running: nothing reported" >&2
  exit 0
fi
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
# df -P: 1024-blocks, used, available; the share df itself shows (used of used + available).
used=$(df -P / | awk 'NR == 2 { printf "%.4f", $3 / ($3 + $4) }')
body=$(printf '{"create":{}}\n{"@timestamp":"%s","event":{"dataset":"pillbox.box","kind":"metric"},"system":{"filesystem":{"mount_point":"/","used":{"pct":%s}}}}\n' "$now" "$used")
# RestartCount grows each time Docker restarts a container by its restart policy; a container made anew starts at 0.
counts=$(docker ps --all --quiet --filter "$project" | xargs -r docker inspect --format '{{.Name}} {{.RestartCount}}' | sed 's|^/||' | sort)
restarted=$(printf '%s\n' "$counts" | awk -v state="$state" '
  BEGIN { while ((getline line < state) > 0) { split(line, f, " "); seen[f[1]] = f[2] } }
  NF == 2 && $2 > ($1 in seen ? seen[$1] : 0) { print $1, $2 }')
nl='
'
if [ -n "$restarted" ]; then
  body="$body$nl$(printf '%s\n' "$restarted" | while read -r name count; do
    printf '{"create":{}}\n{"@timestamp":"%s","event":{"dataset":"pillbox.box","kind":"event","action":"container-restarted"},"container":{"name":"%s","restart_count":%s}}\n' "$now" "$name" "$count"
  done)"
fi
reply=$(printf 'user = "pillbox_box_status:%s"\n' "$pw" |
  docker exec -i "$es" curl -sS --max-time 10 --config - -H 'Content-Type: application/x-ndjson' \
    --data-binary "$body$nl" "http://127.0.0.1:9200/$stream/_bulk")
case "$reply" in
  *'"errors":false'*) ;;
  *) echo "Elasticsearch did not take the box status: $(printf '%s' "$reply" | head -c 300)" >&2; exit 1 ;;
esac
# Only once reported: a restart is never lost to an Elasticsearch that was down.
printf '%s\n' "$counts" >"$state"
echo "disk $used used; restarted: ${restarted:-none}"
