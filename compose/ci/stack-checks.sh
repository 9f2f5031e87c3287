# Checks of the running stack, sourced by .github/workflows/stack.yml (bash, set -euo pipefail).
# Every probe may fail while the stack settles: failures are retried inside `if`, so `set -e` never ends a step on
# the first refused connection. `stack` is the compose wrapper the workflow writes (the box's exact invocation).

# es_get PATH [curl args...]: a GET on Elasticsearch as elastic, from inside its container (it is never published).
# The password is read there from the compose secret file and handed to curl on stdin.
es_get() {
  local path=$1
  shift
  stack exec -T elasticsearch bash -c \
    'p=$1; shift; curl -fsS --max-time 20 --config - "$@" "http://127.0.0.1:9200$p" <<< "user = \"elastic:$(< /run/secrets/elastic_password)\""' \
    _ "$path" "$@"
}

# es_count INDEX QUERY: the number of documents matching a query_string query, or a failure.
es_count() {
  local body count
  body="$(es_get "/$1/_count" -G --data-urlencode "q=$2")" || return 1
  count="$(sed -nE 's/.*"count":([0-9]+).*/\1/p' <<< "$body")"
  [[ -n $count ]] || return 1
  echo "$count"
}

# traced_log_line: an app log line in the container logs stream (Filebeat) carries a trace id that APM Server also
# stored a transaction under: a trace in Kibana shows its log lines. Prints the trace id.
traced_log_line() {
  local body id
  body="$(es_get '/logs-pillbox-default/_search' -G --data-urlencode 'q=container.labels.com_docker_compose_service:app AND _exists_:trace.id' \
    --data-urlencode 'size=1' --data-urlencode '_source=trace.id')" || return 1
  id="$(sed -nE 's/.*"trace":\{"id":"([0-9a-f]{32})".*/\1/p' <<< "$body")"
  [[ -n $id ]] || return 1
  has_documents 'traces-apm*' "processor.event:transaction AND trace.id:$id" || return 1
  echo "$id"
}

# retry ATTEMPTS DELAY_SECONDS COMMAND...: runs COMMAND until it succeeds; the last failure ends it.
retry() {
  local attempts=$1 delay=$2 attempt
  shift 2
  for ((attempt = 1; attempt <= attempts; attempt++)); do
    if "$@"; then return 0; fi
    echo "attempt $attempt/$attempts: not yet" >&2
    if ((attempt < attempts)); then sleep "$delay"; fi
  done
  return 1
}

# has_documents INDEX QUERY: at least one document matches.
has_documents() {
  local count
  count="$(es_count "$1" "$2")" || return 1
  echo "$1 [$2]: $count" >&2
  ((count > 0))
}

# cluster_is_green: _cluster/health says green (it answers 200 whatever the colour).
cluster_is_green() {
  local body
  body="$(es_get '/_cluster/health?wait_for_status=green&timeout=10s')" || return 1
  echo "$body" >&2
  [[ $body == *'"status":"green"'* ]]
}

# mebibytes SIZE: docker stats sizes ("512.3MiB", "1.02GiB", "900KiB", "0B") in MiB, rounded up.
mebibytes() {
  awk -v size="$1" 'BEGIN {
    n = size + 0; unit = size; sub(/^[0-9.]+/, "", unit)
    f["B"] = 1 / 1048576; f["KiB"] = 1 / 1024; f["kB"] = 1000 / 1048576; f["MiB"] = 1; f["MB"] = 1000000 / 1048576
    f["GiB"] = 1024; f["GB"] = 1000000000 / 1048576
    if (!(unit in f)) { print "unreadable size " size > "/dev/stderr"; exit 1 }
    v = n * f[unit]; printf "%d\n", (v == int(v)) ? v : int(v) + 1
  }'
}

# sample_memory FILE: appends "container MiB" for every running container (one `docker stats` snapshot).
sample_memory() {
  local name usage
  while read -r name usage; do
    echo "$name $(mebibytes "$usage")" >> "$1"
  done < <(docker stats --no-stream --format '{{.Name}} {{.MemUsage}}' | sed -E 's| / .*||')
}

# check_peaks FILE PERCENT: prints each container's peak against its limit; fails if one went above PERCENT.
check_peaks() {
  local samples=$1 percent=$2 failed=0 name peak limit_bytes limit
  printf '%-32s %10s %10s %6s\n' container 'peak MiB' 'limit MiB' '%'
  while read -r name peak; do
    limit_bytes="$(docker inspect --format '{{.HostConfig.Memory}}' "$name")"
    limit=$((limit_bytes / 1048576))
    if ((limit == 0)); then
      echo "::error::$name has no memory limit"
      failed=1
      continue
    fi
    printf '%-32s %10d %10d %6d\n' "$name" "$peak" "$limit" $((peak * 100 / limit))
    if ((peak * 100 > limit * percent)); then
      echo "::error::$name peaked at $peak MiB, above $percent% of its $limit MiB limit"
      failed=1
    fi
  done < <(awk '!($1 in peak) || $2 > peak[$1] { peak[$1] = $2 } END { for (c in peak) print c, peak[c] }' "$samples" | sort)
  return "$failed"
}

# start_alert_receiver FILE PORT: a webhook receiver on the runner (every interface, so containers reach it through
# their network's gateway) that answers 200 and appends each POSTed body to FILE as one line. Prints its pid.
start_alert_receiver() {
  python3 - "$1" "$2" <<'PY' > /dev/null 2>&1 &
import http.server, sys
out, port = sys.argv[1], int(sys.argv[2])
class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('content-length', 0)))
        with open(out, 'ab') as f:
            f.write(body.replace(b'\n', b' ') + b'\n')
        self.send_response(200)
        self.end_headers()
    def log_message(self, *args):
        pass
open(out, 'ab').close()
http.server.HTTPServer(('0.0.0.0', port), Receiver).serve_forever()
PY
  echo $!
}

# alert_received FILE RULE SINCE: an alert of RULE whose checked document is from SINCE (epoch seconds) or later
# reached the receiver.
alert_received() {
  python3 - "$1" "$2" "$3" <<'PY'
import datetime, json, sys
path, rule, since = sys.argv[1], sys.argv[2], int(sys.argv[3])
def at(alert):
    stamp = str(alert.get('checked_at', '')).replace('Z', '+00:00')
    try:
        return datetime.datetime.fromisoformat(stamp).timestamp()
    except ValueError:
        return 0
alerts = [json.loads(line) for line in open(path) if line.strip()]
found = [a for a in alerts if a.get('rule') == rule and at(a) >= since]
print(f'{len(alerts)} alerts received, {len(found)} {rule} since {since}', file=sys.stderr)
sys.exit(0 if found else 1)
PY
}

# box_status_reported: the box status script (cloud-init/box-status.sh, rendered for this runner) wrote the disk use.
box_status_reported() {
  sudo "$BOX_STATUS" >&2 || return 1
  has_documents 'logs-pillbox.box-default' 'event.kind:metric AND _exists_:system.filesystem.used.pct'
}
