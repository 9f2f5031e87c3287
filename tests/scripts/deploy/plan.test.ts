// The shell scripts deploy sends, run for real under sh with a stand-in for docker.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { observeCommand, parseObserved } from '../../../scripts/lib/deploy/plan.js';
import { useStubBin } from '../fakes/stub-bin.js';

describe('deploy scripts on the box', function () {
  this.timeout(15_000);
  const { dir, stub, run: runScript } = useStubBin();

  it('reads the active release\'s commit and the app container image through the contract compose invocation', async () => {
    writeFileSync(join(dir(), 'commit'), '1111111111111111111111111111111111111111\n');
    stub(
      'docker',
      `case "$*" in
  *"--env-file /etc/pillbox/secrets.env ps --all --quiet app") echo c0ffee ;;
  "inspect --format {{.Image}} {{.Config.Image}} c0ffee") echo "sha256:abc pillbox-app" ;;
  *) echo "unexpected docker $*" >&2; exit 9 ;;
esac`,
    );
    const out = await runScript(observeCommand(join(dir(), 'commit')));
    expect(out.code, out.stderr).to.equal(0);
    expect(parseObserved(out.stdout)).to.deep.equal({ commit: '1111111111111111111111111111111111111111', imageId: 'sha256:abc', imageName: 'pillbox-app' });
  });

  it('exits 3 when there is no app container', async () => {
    writeFileSync(join(dir(), 'commit'), '1111111111111111111111111111111111111111\n');
    stub('docker', 'exit 0');
    const out = await runScript(observeCommand(join(dir(), 'commit')));
    expect(out.code).to.equal(3);
    expect(out.stderr).to.contain('no app container on the box');
  });
});
