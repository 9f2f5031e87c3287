// The shell scripts deploy sends, run for real under sh with stand-ins for docker and git.
import { expect } from 'chai';
import { observeCommand, parseObserved } from '../../../scripts/lib/deploy/plan.js';
import { useStubBin } from '../fakes/stub-bin.js';

describe('deploy scripts on the box', function () {
  this.timeout(15_000);
  const { stub, run: runScript } = useStubBin();

  it('reads the commit and the app container image through the contract compose invocation', async () => {
    stub('git', '[ "$1 $2 $3 $4" = "-C /opt/pillbox rev-parse HEAD" ] && echo 1111111111111111111111111111111111111111');
    stub(
      'docker',
      `case "$*" in
  *"--env-file /etc/pillbox/secrets.env ps --all --quiet app") echo c0ffee ;;
  "inspect --format {{.Image}} {{.Config.Image}} c0ffee") echo "sha256:abc pillbox-app" ;;
  *) echo "unexpected docker $*" >&2; exit 9 ;;
esac`,
    );
    const out = await runScript(observeCommand());
    expect(out.code, out.stderr).to.equal(0);
    expect(parseObserved(out.stdout)).to.deep.equal({ commit: '1111111111111111111111111111111111111111', imageId: 'sha256:abc', imageName: 'pillbox-app' });
  });

  it('exits 3 when there is no app container', async () => {
    stub('git', 'echo 1111111111111111111111111111111111111111');
    stub('docker', 'exit 0');
    const out = await runScript(observeCommand());
    expect(out.code).to.equal(3);
    expect(out.stderr).to.contain('no app container on the box');
  });
});
