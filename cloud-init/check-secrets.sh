#!/bin/sh
# Before every start of {{ STACK_UNIT }}, after the secrets are fetched: compose bind-mounts
# {{ ELASTIC_PASSWORD_FILE }} into the Elastic containers as it is, and Elasticsearch exits unless it is
# readable by uid {{ ELASTIC_PASSWORD_UID }} with mode 400 or 600. Refuse to start, in one line, otherwise.
f={{ ELASTIC_PASSWORD_FILE }}
found=$(stat -L -c '%u %a' "$f" 2>/dev/null) || found='missing'
case "$found" in
  {{ ELASTIC_PASSWORD_ACCEPTED }}) ;;
  *)
    echo "$f is $found, but the Elastic images need owner uid {{ ELASTIC_PASSWORD_UID }} and mode 400 or 600: restart {{ STACK_UNIT }}, whose {{ FETCH_SECRETS_BIN }} rewrites it" >&2
    exit 1
    ;;
esac
