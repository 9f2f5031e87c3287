#!/bin/sh
# The app's source on this box: `git archive` of one commit, fetched from the project bucket
# with the instance role and checked against its SHA-256 (no clone, no access to the
# repository). Each commit unpacks into its own folder under {{ RELEASES_DIR }};
# {{ BOX_DIR }} is a symlink to the active one, switched by one rename.
#   {{ SOURCE_BIN }}                                this box's own commit, fetched and activated
#   {{ SOURCE_BIN }} fetch <commit> <sha256> <key>  unpacks a commit beside the active one
#   {{ SOURCE_BIN }} activate <commit>              makes an unpacked commit the active one
set -eu
. {{ SETTINGS_ENV }}

release() {
  case "$1" in
    *[!0-9a-f]* | '') echo "not a commit sha: $1" >&2; exit 64 ;;
  esac
  echo "{{ RELEASES_DIR }}/$1"
}

# True while any process on the box (a container, through its bind mounts) holds a mount from the release: the
# kernel resolved the symlink when the container started, so the container reads that folder until it is recreated.
mounted() { # release folder
  cat /proc/[0-9]*/mountinfo 2>/dev/null | grep -qF "/$(basename "$1")/"
}

fetch() { # commit sha256 key
  dir=$(release "$1")
  active=$(readlink {{ BOX_DIR }} || true)
  # The active release and the new one stay (a rollback goes back one step), and every release a container mounts.
  for old in {{ RELEASES_DIR }}/*; do
    [ -e "$old" ] || continue
    [ "$old" = "$dir" ] || [ "$old" = "$active" ] || mounted "$old" || rm -rf "$old"
  done
  [ -f "$dir/{{ COMMIT_FILE }}" ] && return 0
  archive={{ WORK_DIR }}/source-$1.tar.gz
  {{ S3_BIN }} get "$3" "$2" "$archive"
  rm -rf "$dir.new"
  mkdir -p "$dir.new"
  tar -xzf "$archive" -C "$dir.new" --no-same-owner
  rm -f "$archive"
  echo "$1" >"$dir.new/{{ COMMIT_FILE }}"
  mv "$dir.new" "$dir"
}

activate() { # commit
  dir=$(release "$1")
  [ -f "$dir/{{ COMMIT_FILE }}" ] || { echo "commit $1 is not unpacked on this box" >&2; exit 66; }
  ln -sfn "$dir" {{ BOX_DIR }}.next
  mv -T {{ BOX_DIR }}.next {{ BOX_DIR }}
}

case "${1:-}" in
  '') fetch "$PILLBOX_GIT_SHA" "$PILLBOX_SOURCE_SHA256" "$PILLBOX_SOURCE_KEY" && activate "$PILLBOX_GIT_SHA" ;;
  fetch) [ $# -eq 4 ] || { echo "usage: $0 fetch <commit> <sha256> <key>" >&2; exit 64; }; fetch "$2" "$3" "$4" ;;
  activate) [ $# -eq 2 ] || { echo "usage: $0 activate <commit>" >&2; exit 64; }; activate "$2" ;;
  *) echo "usage: $0 [fetch <commit> <sha256> <key> | activate <commit>]" >&2; exit 64 ;;
esac
