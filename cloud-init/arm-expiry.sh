set -eu
# Arms the expiry timer at every boot, from bootcmd: before write_files has run on the first
# boot and before runcmd could fail, so this script carries the unit text itself. The
# drop-in holding the time is written only when absent: `npm run extend` moves it later,
# and a reboot must not bring the first time back.
mkdir -p "$(dirname {{ EXPIRE_DROP_IN }})"
cat >{{ SYSTEMD_DIR }}/{{ EXPIRE_SERVICE }} <<'UNIT'
{{ EXPIRE_SERVICE_TEXT }}
UNIT
cat >{{ SYSTEMD_DIR }}/{{ EXPIRE_TIMER }} <<'UNIT'
{{ EXPIRE_TIMER_TEXT }}
UNIT
if [ ! -s {{ EXPIRE_DROP_IN }} ]; then
  cat >{{ EXPIRE_DROP_IN }} <<'UNIT'
{{ EXPIRY_DROP_IN }}
UNIT
fi
systemctl daemon-reload
# --no-block: cloud-init runs before sysinit.target, which a timer waits for; blocking here
# would wait on ourselves. The job runs as soon as sysinit is reached.
systemctl enable --now --no-block {{ EXPIRE_TIMER }}
