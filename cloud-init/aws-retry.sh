#!/bin/sh
# Runs one AWS CLI call with the instance role, retried with back-off (5 s doubling to 60 s,
# about five minutes) while the role may still be coming into effect: it is written seconds
# before the launch and IAM is eventually consistent, so the first calls may be denied or
# find no usable credentials yet. Any other failure stops at once. Prints the call's stdout.
#   {{ AWS_RETRY_BIN }} <what it reaches> aws <args...>
set -eu
what=$1
shift
out=$(mktemp)
err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
delay=5
waited=0
until "$@" >"$out" 2>"$err"; do
  case "$(cat "$err")" in
    *AccessDenied* | *Forbidden* | *"(403)"* | *InvalidAccessKeyId* | *ExpiredToken* | *"Unable to locate credentials"*) ;;
    *) cat "$err" >&2; exit 1 ;;
  esac
  if [ "$waited" -ge 300 ]; then
    cat "$err" >&2
    echo "still denied after ${waited}s: check the instance role's policy for $what" >&2
    exit 1
  fi
  echo "aws: denied or no credentials yet for $what, retrying in ${delay}s (the instance role may still be propagating)" >&2
  sleep "$delay"
  waited=$((waited + delay))
  delay=$((delay * 2 > 60 ? 60 : delay * 2))
done
cat "$out"
