#!/bin/sh
# The stack is healthy, so the first boot's burst is over: switch this box's CPU credits to
# "standard", which caps a runaway box at its baseline instead of billing surplus credits.
# Whoever sees the stack healthy first (this box or provision) switches; doing it twice is
# harmless. Runs after every successful start of {{ STACK_UNIT }}; its failure is logged only.
set -eu
. {{ SETTINGS_ENV }}
imds=http://169.254.169.254/latest
token=$(curl --fail --silent --show-error --max-time 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' "$imds/api/token")
meta() { curl --fail --silent --show-error --max-time 5 -H "X-aws-ec2-metadata-token: $token" "$imds/meta-data/$1"; }
type=$(meta instance-type)
case "$type" in
  t[0-9]*) ;;
  *) echo "$type has no CPU credits; nothing to switch"; exit 0 ;;
esac
id=$(meta instance-id)
# A refused item does not make the call fail: its error comes back in the answer.
refused=$(timeout 60 aws ec2 modify-instance-credit-specification --region "$AWS_REGION" \
  --instance-credit-specifications "InstanceId=$id,CpuCredits=standard" \
  --query 'UnsuccessfulInstanceCreditSpecifications[].Error.[Code,Message]' --output text)
if [ -n "$refused" ] && [ "$refused" != None ]; then
  echo "could not switch $id to standard credits: $refused" >&2
  exit 1
fi
echo "$id now uses standard CPU credits"
