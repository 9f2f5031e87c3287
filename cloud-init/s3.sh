#!/bin/sh
# Moves one object between this box and the project bucket, checked by SHA-256 end to end.
# The instance role reaches this environment's prefix only.
#   {{ S3_BIN }} get <key> <sha256> <file>   downloads (retried while the role propagates);
#                                           keeps the file only when its SHA-256 matches, else
#                                           removes it and exits 65
#   {{ S3_BIN }} put <file> <key> <kind>     one PutObject (S3 never shows a partial object; at
#                                           most 5 GiB, S3's cap for one PUT: a larger file
#                                           is refused before anything is sent, exit 66),
#                                           which S3 refuses unless the body matches the
#                                           SHA-256 sent; tagged for the lifecycle rule of
#                                           <kind>; prints the SHA-256
set -eu
. {{ SETTINGS_ENV }}
s3api() {
  aws s3api "$@" --region "$AWS_REGION" --bucket "$PILLBOX_BUCKET" --expected-bucket-owner "$PILLBOX_ACCOUNT_ID"
}
# A read with the instance role as it boots, which may not be in effect yet: {{ AWS_RETRY_BIN }}
# retries the failures of a role still propagating; any other stops at once.
read_retrying() {
  {{ AWS_RETRY_BIN }} "s3://$PILLBOX_BUCKET" aws s3api "$@" --region "$AWS_REGION" --bucket "$PILLBOX_BUCKET" --expected-bucket-owner "$PILLBOX_ACCOUNT_ID" >/dev/null
}
case "${1:-}" in
  get)
    [ $# -eq 4 ] || { echo "usage: $0 get <key> <sha256> <file>" >&2; exit 64; }
    mkdir -p "$(dirname "$4")"
    part="$4.part"
    trap 'rm -f "$part"' EXIT
    read_retrying get-object --key "$2" "$part"
    got=$(sha256sum "$part" | cut -d ' ' -f 1)
    if [ "$got" != "$3" ]; then
      echo "checksum mismatch: s3://$PILLBOX_BUCKET/$2 has SHA-256 $got, expected $3" >&2
      exit 65
    fi
    mv "$part" "$4"
    ;;
  put)
    [ $# -eq 4 ] || { echo "usage: $0 put <file> <key> <kind>" >&2; exit 64; }
    size=$(stat -c %s "$2")
    if [ "$size" -gt 5368709120 ]; then
      echo "$2 is $size bytes, over S3's 5 GiB cap for one PutObject: s3://$PILLBOX_BUCKET/$3 was not written" >&2
      exit 66
    fi
    sha=$(sha256sum "$2" | cut -d ' ' -f 1)
    # S3 takes the raw digest, base64-encoded; a checksum header given here is sent as is.
    b64=$(openssl dgst -sha256 -binary "$2" | base64)
    s3api put-object --key "$3" --body "$2" --checksum-sha256 "$b64" --metadata "sha256=$sha" --tagging "{{ KIND_TAG }}=$4" >/dev/null
    echo "$sha"
    ;;
  *)
    echo "usage: $0 get <key> <sha256> <file> | put <file> <key> <kind>" >&2
    exit 64
    ;;
esac
