#!/bin/sh
# Writes the environment's secrets from SSM Parameter Store (SecureString, read with the
# instance role, which may read only this environment's path) to {{ SECRETS_ENV }}
# as NAME=value, mode 0600. Runs before every start of {{ STACK_UNIT }}.
set -eu
. {{ SETTINGS_ENV }}
umask 077
tmp=$(mktemp {{ ETC_DIR }}/.secrets.XXXXXX)
trap 'rm -f "$tmp"' EXIT
# Retried while the role propagates; a call that still fails stops here with its own error,
# so a denied read is never reported as "no secrets found".
params=$({{ AWS_RETRY_BIN }} "$PILLBOX_SECRETS_PATH" \
  aws ssm get-parameters-by-path --region "$AWS_REGION" --path "$PILLBOX_SECRETS_PATH" \
  --with-decryption --query 'Parameters[].[Name,Value]' --output text)
printf '%s\n' "$params" |
  while IFS="$(printf '\t')" read -r name value; do
    if [ -n "$name" ]; then printf '%s=%s\n' "${name##*/}" "$value"; fi
  done >"$tmp"
if [ ! -s "$tmp" ]; then
  echo "no secrets found under $PILLBOX_SECRETS_PATH" >&2
  exit 1
fi
chmod 0600 "$tmp"
mv "$tmp" {{ SECRETS_ENV }}
trap - EXIT
