#!/bin/sh
# Backs up the app's database to this environment's backups in the project bucket:
# pg_dump -Fc inside the PostgreSQL container into a private file, its table of contents
# read back, then the dump (one checksummed PutObject) and, last, its manifest. The
# manifest is the commit point: a dump without one is never listed as a backup, so an
# interrupted run is never "latest". One backup at a time: the timer and the CLI may meet.
# Usage: {{ BACKUP_BIN }} [reason]   (default nightly); prints the manifest
set -eu
. {{ SETTINGS_ENV }}
reason=${1:-nightly}
case "$reason" in
  *[!a-z-]* | '') echo "the reason is lowercase words joined by -, not: $reason" >&2; exit 64 ;;
esac
umask 077
mkdir -p {{ WORK_DIR }}
exec 9>{{ WORK_DIR }}/backup.lock
# At expiry the box powers off within minutes whatever happens: a short wait leaves the rest of
# the expiry service's limit to this backup.
wait=900
[ "$reason" = expiry ] && wait={{ EXPIRY_LOCK_WAIT_S }}
flock --wait "$wait" 9 || { echo "another backup has run for ${wait}s; not starting a second one" >&2; exit 75; }
commit=$(cat {{ BOX_DIR }}/{{ COMMIT_FILE }} 2>/dev/null || echo unknown)
stamp=$(date -u +%Y%m%dT%H%M%SZ)
dump={{ WORK_DIR }}/backup-$stamp.dump
trap 'rm -f "$dump" "$dump.json"' EXIT
{{ PG_DUMP }} >"$dump"
{{ PG_LIST }} <"$dump" >/dev/null
sha=$({{ S3_BIN }} put "$dump" "$PILLBOX_BACKUP_PREFIX$stamp.dump" backup)
printf '{"key":"%s","sha256":"%s","bytes":%s,"reason":"%s","commit":"%s"}\n' \
  "$PILLBOX_BACKUP_PREFIX$stamp.dump" "$sha" "$(stat -c %s "$dump")" "$reason" "$commit" >"$dump.json"
{{ S3_BIN }} put "$dump.json" "$PILLBOX_BACKUP_PREFIX$stamp.json" backup >/dev/null
cat "$dump.json"
