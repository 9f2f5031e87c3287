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

mkdir -p {{ STATE_DIR }} "$(dirname {{ BOOTSTRAP_LOG }})"
exec > >(tee -a {{ BOOTSTRAP_LOG }}) 2>&1
current=start
trap failed ERR

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
# --no-block: cloud-init finishes now; provision then watches the stack become healthy.
systemctl start --no-block {{ STACK_UNIT }}

# The agent checks its role with ssm:UpdateInstanceInformation when it starts; if the role's
# policy had not reached SSM yet, it logs this line and sleeps 25-30 min before trying again
# (amazon-ssm-agent 3.3.987.0, core/app/credentialrefresher). By now this boot's S3 reads
# have passed with the same role, so a restart registers it at once.
step ssm-agent
if grep -qs 'before retrying retrieve credentials' {{ SSM_AGENT_LOG }}; then
  systemctl restart amazon-ssm-agent
fi

status state=done step=ssm-agent
