import { expect } from 'chai';
import { ALERT_SERVICE, pauseAlertsCommand, RESUME_BACKSTOP_UNIT, resumeAlertsCommand } from '../../../scripts/lib/deploy/alerts-pause.js';
import { useStubBin } from '../fakes/stub-bin.js';
import { loadCompose } from '../../compose/compose-files.js';

// A docker stand-in: `ps` lists the engine's containers by state, like the engine, and every other call is logged.
const DOCKER = `
log="$(dirname "$0")/calls"
case "$1" in
  ps)
    case "$*" in
      *com.docker.compose.project=pillbox*com.docker.compose.service=elastalert*) ;;
      *) echo "unexpected filter: $*" >&2; exit 2 ;;
    esac
    case "$*" in
      *status=exited*) [ -z "$EXITED" ] || printf '%s\\n' $EXITED ;;
      *) [ -z "$RUNNING" ] || printf '%s\\n' $RUNNING ;;
    esac ;;
  *) echo "$*" >>"$log" ;;
esac`;
// systemd-run and systemctl stand-ins: the transient timer's command is kept, to be run as systemd would when it fires;
// a unit name already loaded is refused, as systemd-run refuses it, until systemctl stops it.
const SYSTEMD_RUN = `
dir="$(dirname "$0")"
for a in "$@"; do case "$a" in --unit=*) unit=\${a#--unit=} ;; esac; done
[ ! -e "$dir/armed" ] || { echo "Failed to start transient timer unit: Unit $unit.timer was already loaded" >&2; exit 1; }
echo "systemd-run $*" >>"$dir/calls"
while [ "$#" -gt 0 ]; do case "$1" in --*) shift ;; *) break ;; esac; done
printf '%s\\0' "$@" >"$dir/armed"`;
const SYSTEMCTL = `
dir="$(dirname "$0")"
echo "systemctl $*" >>"$dir/calls"
case "$1" in stop) rm -f "$dir/armed" ;; esac`;

describe('deploy: the alert engine paused for the build and swap', () => {
  const bin = useStubBin();
  const calls = async () => {
    const { readFile } = await import('node:fs/promises');
    return readFile(`${bin.dir()}/calls`, 'utf8').then((text) => text.trim().split('\n'), () => []);
  };

  it('names the service compose.yaml defines, whose limit the budget leaves out during a deploy', () => {
    expect(loadCompose('compose/compose.yaml').services[ALERT_SERVICE]?.restart).to.equal('unless-stopped');
  });

  beforeEach(() => {
    bin.stub('systemd-run', SYSTEMD_RUN);
    bin.stub('systemctl', SYSTEMCTL);
  });
  const disarm = `systemctl stop ${RESUME_BACKSTOP_UNIT}.timer ${RESUME_BACKSTOP_UNIT}.service`;
  const arm = (seconds: number) => `systemd-run --quiet --unit=${RESUME_BACKSTOP_UNIT} --on-active=${seconds}s --timer-property=AccuracySec=10s /bin/sh -c`;
  const engineCalls = async () => (await calls()).filter((c) => !c.startsWith('systemctl reset-failed'));

  it('stops the running engine container, and starts the stopped one again, disarming its backstop', async () => {
    bin.stub('docker', `RUNNING=c0ffee EXITED= ${DOCKER}`);
    expect((await bin.run(pauseAlertsCommand(3600))).code).to.equal(0);
    bin.stub('docker', `RUNNING= EXITED=c0ffee ${DOCKER}`);
    expect((await bin.run(resumeAlertsCommand())).code).to.equal(0);
    expect(await engineCalls()).to.deep.equal([disarm, `${arm(3600)} docker ps --quiet --all --filter status=exited --filter label=com.docker.compose.project=pillbox --filter label=com.docker.compose.service=elastalert | xargs -r docker start`, 'stop c0ffee', disarm, 'start c0ffee']);
  });

  it('arms a timer on the box that starts the engine again when the deploy never does (the operator\'s machine lost, Ctrl-C)', async () => {
    bin.stub('docker', `RUNNING=c0ffee EXITED= ${DOCKER}`);
    expect((await bin.run(pauseAlertsCommand(5400))).code).to.equal(0);
    const { readFile } = await import('node:fs/promises');
    const armed = (await readFile(`${bin.dir()}/armed`, 'utf8')).split('\0').slice(0, -1);
    expect(armed.slice(0, 2)).to.deep.equal(['/bin/sh', '-c']);
    // The timer fires: what systemd runs then.
    bin.stub('docker', `RUNNING= EXITED=c0ffee ${DOCKER}`);
    expect((await bin.run(armed)).code).to.equal(0);
    expect((await engineCalls()).slice(-1)).to.deep.equal(['start c0ffee']);
  });

  it('pauses again after a deploy that never resumed: the old timer is replaced, not refused', async () => {
    bin.stub('docker', `RUNNING=c0ffee EXITED= ${DOCKER}`);
    expect((await bin.run(pauseAlertsCommand(60))).code).to.equal(0);
    expect((await bin.run(pauseAlertsCommand(60))).code).to.equal(0);
    expect((await engineCalls()).filter((c) => c === 'stop c0ffee')).to.have.length(2);
  });

  it('stops nothing when the backstop cannot be armed (fault: systemd-run fails), so alerts are never left off for good', async () => {
    bin.stub('systemd-run', 'echo "Failed to connect to bus" >&2; exit 1');
    bin.stub('docker', `RUNNING=c0ffee EXITED= ${DOCKER}`);
    const paused = await bin.run(pauseAlertsCommand(60));
    expect(paused.code).to.not.equal(0);
    expect(paused.stderr).to.include('Failed to connect to bus');
    expect(await engineCalls()).to.not.include('stop c0ffee');
  });

  it('does nothing to the engine, successfully, on a box without it (a release from before it)', async () => {
    bin.stub('docker', `RUNNING= EXITED= ${DOCKER}`);
    expect((await bin.run(pauseAlertsCommand(60))).code).to.equal(0);
    expect((await bin.run(resumeAlertsCommand())).code).to.equal(0);
    expect((await engineCalls()).filter((c) => !c.startsWith('system'))).to.deep.equal([]);
  });
});
