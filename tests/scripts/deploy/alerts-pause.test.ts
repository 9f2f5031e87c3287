import { expect } from 'chai';
import { ALERT_SERVICE, pauseAlertsCommand, resumeAlertsCommand } from '../../../scripts/lib/deploy/alerts-pause.js';
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

describe('deploy: the alert engine paused for the build and swap', () => {
  const bin = useStubBin();
  const calls = async () => {
    const { readFile } = await import('node:fs/promises');
    return readFile(`${bin.dir()}/calls`, 'utf8').then((text) => text.trim().split('\n'), () => []);
  };

  it('names the service compose.yaml defines, whose limit the budget leaves out during a deploy', () => {
    expect(loadCompose('compose/compose.yaml').services[ALERT_SERVICE]?.restart).to.equal('unless-stopped');
  });

  it('stops the running engine container, and starts the stopped one again', async () => {
    bin.stub('docker', `RUNNING=c0ffee EXITED= ${DOCKER}`);
    expect((await bin.run(pauseAlertsCommand())).code).to.equal(0);
    bin.stub('docker', `RUNNING= EXITED=c0ffee ${DOCKER}`);
    expect((await bin.run(resumeAlertsCommand())).code).to.equal(0);
    expect(await calls()).to.deep.equal(['stop c0ffee', 'start c0ffee']);
  });

  it('does nothing, successfully, on a box without the engine (a release from before it)', async () => {
    bin.stub('docker', `RUNNING= EXITED= ${DOCKER}`);
    expect((await bin.run(pauseAlertsCommand())).code).to.equal(0);
    expect((await bin.run(resumeAlertsCommand())).code).to.equal(0);
    expect(await calls()).to.deep.equal([]);
  });
});
