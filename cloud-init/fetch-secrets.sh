#!/bin/sh
# Writes the environment's secrets from SSM Parameter Store (SecureString, read with the
# instance role, which may read only this environment's path) to {{ SECRETS_ENV }}
# as NAME=value, mode 0600, and the elastic password alone to {{ ELASTIC_PASSWORD_FILE }}.
# Runs before every start of {{ STACK_UNIT }}.
set -eu
. {{ SETTINGS_ENV }}
umask 077
tmp=$(mktemp {{ ETC_DIR }}/.secrets.XXXXXX)
pw=$(mktemp {{ ETC_DIR }}/.elastic.XXXXXX)
trap 'rm -f "$tmp" "$pw"' EXIT
# Retried while the role propagates; a call that still fails stops here with its own error,
# so a denied read is never reported as "no secrets found".
params=$({{ AWS_RETRY_BIN }} "$PILLBOX_SECRETS_PATH" \
  aws ssm get-parameters-by-path --region "$AWS_REGION" --path "$PILLBOX_SECRETS_PATH" \
  --with-decryption --query 'Parameters[].[Name,Value]' --output text)
printf '%s\n' "$params" |
  while IFS="$(printf '\t')" read -r name value; do
    if [ -z "$name" ]; then continue; fi
    printf '%s=%s\n' "${name##*/}" "$value"
    if [ "${name##*/}" = ELASTIC_PASSWORD ]; then printf '%s' "$value" >"$pw"; fi
  done >"$tmp"
if [ ! -s "$tmp" ]; then
  echo "no secrets found under $PILLBOX_SECRETS_PATH" >&2
  exit 1
fi
if [ ! -s "$pw" ]; then
  echo "no ELASTIC_PASSWORD under $PILLBOX_SECRETS_PATH: run npm run provision again to create it" >&2
  exit 1
fi
chmod 0600 "$tmp"
mv "$tmp" {{ SECRETS_ENV }}
# A compose file secret is a bind mount: this owner and mode are what the Elastic containers see (uid 1000;
# Elasticsearch's entrypoint accepts mode 400 or 600 only). scripts/lib/box/secret-files.ts holds the values.
install -o {{ ELASTIC_PASSWORD_UID }} -g {{ ELASTIC_PASSWORD_GID }} -m {{ ELASTIC_PASSWORD_MODE }} "$pw" {{ ELASTIC_PASSWORD_FILE }}
rm -f "$pw"
trap - EXIT
