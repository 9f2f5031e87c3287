#!/bin/bash
# The first boot's work as one strict script (cloud-init's runcmd is plain sh without -e,
# so a failed step there still reported success). Before each step its name goes to
# {{ BOOTSTRAP_STATUS }}; on a failure the file says which step and its exit code, and
# {{ BOOTSTRAP_LOG }} holds its output, so provision's readiness wait can show both.
set -euo pipefail

status() { # key=value lines, replaced whole so a reader never sees half a file
  printf '%s\n' "$@" >{{ BOOTSTRAP_STATUS }}.tmp
  mv {{ BOOTSTRAP_STATUS }}.tmp {{ BOOTSTRAP_STATUS }}
}
step() {
  current=$1
  status state=running "step=$current"
  echo "== pillbox-bootstrap: $current"
}
failed() {
  local code=$?
  status state=failed "step=$current" "exit=$code"
  echo "== pillbox-bootstrap: $current failed (exit $code)" >&2
}

# The agent checks its role with ssm:UpdateInstanceInformation when it starts; if the role's
# policy had not reached SSM yet, it logs the back-off line below and sleeps 25-30 min before
# trying again (amazon-ssm-agent 3.3.1142.0, core/app/credentialrefresher/credentialrefresher.go:
# "Sleeping for %v before retrying retrieve credentials"; a later success logs "Successfully
# connected with ..." from common/identity/credentialproviders/ec2roleprovider/ec2_role_provider.go).
# Only when its LAST word on credentials is the back-off is it restarted: a registered agent
# may be running commands a restart would cut.
agent_backed_off() {
  [ "$(awk '/before retrying retrieve credentials/ { last = "backoff" } /Successfully connected with/ { last = "connected" } END { print last }' {{ SSM_AGENT_LOG }} 2>/dev/null)" = backoff ]
}
# On EXIT, so a failed bootstrap still brings the agent back and reaches the operator through SSM;
# by then this boot's S3 reads have run with the same role.
wake_agent() {
  if agent_backed_off; then
    echo "== pillbox-bootstrap: the SSM agent backed off after its role was refused; restarting it"
    systemctl restart amazon-ssm-agent || echo "== pillbox-bootstrap: restarting amazon-ssm-agent failed" >&2
  fi
}

mkdir -p {{ STATE_DIR }} "$(dirname {{ BOOTSTRAP_LOG }})"
exec > >(tee -a {{ BOOTSTRAP_LOG }}) 2>&1
current=start
trap failed ERR
trap wake_agent EXIT

step kernel-settings
sysctl --system

step docker
systemctl enable --now docker.service

step docker-plugins
{{ INSTALL_PLUGINS_BIN }}

# The commit's archive from the project bucket, checked against its SHA-256, then activated.
step source
{{ SOURCE_BIN }}

step stack-unit
systemctl daemon-reload
systemctl enable {{ STACK_UNIT }}
systemctl enable --now {{ BACKUP_TIMER }}
systemctl enable --now {{ EDGE_CHECK_TIMER }}
systemctl enable --now {{ BOX_STATUS_TIMER }}
# --no-block: cloud-init finishes now; provision then watches the stack become healthy.
systemctl start --no-block {{ STACK_UNIT }}

status state=done step=stack-unit
