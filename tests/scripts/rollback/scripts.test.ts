// The rollback record on the box, run for real under sh with a stand-in for docker: deploy writes it, rollback reads it.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { keepRollbackCommand, parseRollbackTarget, rollbackTargetCommand } from '../../../scripts/lib/deploy/plan.js';
import { useStubBin } from '../fakes/stub-bin.js';

const PREVIOUS = '1111111111111111111111111111111111111111';

describe('rollback record on the box', function () {
  this.timeout(15_000);
  const { dir, stub, run: runScript } = useStubBin();
  const file = () => join(dir(), 'rollback.commit');
  const releases = () => join(dir(), 'releases');

  it('deploy tags the serving image as pillbox-app:rollback and records its commit; rollback reads both back', async () => {
    stub(
      'docker',
      `case "$*" in
  "image tag sha256:abc pillbox-app:rollback") : ;;
  "image inspect --format {{.Id}} pillbox-app:rollback") echo sha256:abc ;;
  *) echo "unexpected docker $*" >&2; exit 9 ;;
esac`,
    );
    const kept = await runScript(keepRollbackCommand('sha256:abc', PREVIOUS, file()));
    expect(kept.code, kept.stderr).to.equal(0);
    expect(readFileSync(file(), 'utf8')).to.equal(`${PREVIOUS}\n`);
    mkdirSync(join(releases(), PREVIOUS), { recursive: true });
    writeFileSync(join(releases(), PREVIOUS, '.pillbox-commit'), `${PREVIOUS}\n`);
    const read = await runScript(rollbackTargetCommand(file(), releases()));
    expect(read.code, read.stderr).to.equal(0);
    expect(parseRollbackTarget(read.stdout)).to.deep.equal({ commit: PREVIOUS, imageId: 'sha256:abc' });
  });

  it('records nothing when the tag fails (fault: docker image tag exits 1)', async () => {
    stub('docker', 'echo "No such image" >&2; exit 1');
    const kept = await runScript(keepRollbackCommand('sha256:abc', PREVIOUS, file()));
    expect(kept.code).to.equal(1);
    expect(() => readFileSync(file())).to.throw(/ENOENT/);
  });

  it('exits 3 naming what is missing: no record, a removed release, or no rollback image', async () => {
    stub('docker', 'exit 1');
    const none = await runScript(rollbackTargetCommand(file(), releases()));
    expect([none.code, none.stderr.trim()]).to.deep.equal([3, 'no rollback recorded']);
    writeFileSync(file(), `${PREVIOUS}\n`);
    const gone = await runScript(rollbackTargetCommand(file(), releases()));
    expect([gone.code, gone.stderr.trim()]).to.deep.equal([3, `release ${PREVIOUS} is no longer on the box`]);
    mkdirSync(join(releases(), PREVIOUS), { recursive: true });
    writeFileSync(join(releases(), PREVIOUS, '.pillbox-commit'), `${PREVIOUS}\n`);
    const noImage = await runScript(rollbackTargetCommand(file(), releases()));
    expect([noImage.code, noImage.stderr.trim()]).to.deep.equal([3, 'no pillbox-app:rollback image']);
  });
});
