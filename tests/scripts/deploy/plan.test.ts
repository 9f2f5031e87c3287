// The shell scripts deploy sends, run for real under sh with a stand-in for docker.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { APP_BUILDER, buildCommand, observeCommand, parseObserved } from '../../../scripts/lib/deploy/plan.js';
import { loadCompose, mebibytes } from '../../compose/compose-files.js';
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

  describe('the app build', () => {
    // The stand-in docker logs each call; `buildx inspect` answers as if the builder exists when `exists` is there.
    const dockerLog = () => join(dir(), 'docker.log');
    function stubDocker({ exists, buildExit = 0 }: { exists: boolean; buildExit?: number }) {
      if (exists) writeFileSync(join(dir(), 'exists'), '');
      stub(
        'docker',
        `echo "$*" >>"${dockerLog()}"
case "$*" in
  "buildx inspect pillbox-build") [ -f "${join(dir(), 'exists')}" ] ;;
  "buildx create "*) : >"${join(dir(), 'exists')}" ;;
  *" build --builder pillbox-build app") exit ${buildExit} ;;
  "buildx stop pillbox-build") ;;
  *) echo "unexpected docker $*" >&2; exit 9 ;;
esac`,
      );
    }
    const calls = () => readFileSync(dockerLog(), 'utf8').trim().split('\n');

    it('creates a capped docker-container builder on first use, builds the app in it with the contract invocation, then stops it', async () => {
      stubDocker({ exists: false });
      const out = await runScript(buildCommand());
      expect(out.code, out.stderr).to.equal(0);
      const log = calls();
      expect(log[0]).to.equal('buildx inspect pillbox-build');
      expect(log[1]).to.equal(
        'buildx create --name pillbox-build --driver docker-container --driver-opt image=moby/buildkit:v0.28.0 --driver-opt memory=320m --driver-opt memory-swap=1024m --driver-opt default-load=true',
      );
      expect(log[2]).to.match(/^compose --project-directory \/opt\/pillbox\/compose .*--env-file \/etc\/pillbox\/secrets.env build --builder pillbox-build app$/);
      expect(log[3]).to.equal('buildx stop pillbox-build');
    });

    it('reuses the builder (and its cache) on later deploys', async () => {
      stubDocker({ exists: true });
      const out = await runScript(buildCommand());
      expect(out.code, out.stderr).to.equal(0);
      expect(calls().filter((c) => c.startsWith('buildx create'))).to.deep.equal([]);
    });

    it("fails with the build's exit status, and still stops the builder so it holds no memory", async () => {
      stubDocker({ exists: true, buildExit: 17 });
      const out = await runScript(buildCommand());
      expect(out.code).to.equal(17);
      expect(calls().at(-1)).to.equal('buildx stop pillbox-build');
    });

    it('caps the build at the RAM of the second color, which starts only after it: the deploy budget holds', () => {
      const compose = loadCompose('compose/compose.yaml');
      const appNext = compose.services['app-next']?.deploy?.resources?.limits?.memory ?? '0m';
      expect(mebibytes(APP_BUILDER.memory)).to.be.within(1, mebibytes(appNext));
      expect(mebibytes(APP_BUILDER.memorySwap)).to.be.greaterThan(mebibytes(APP_BUILDER.memory));
      expect(APP_BUILDER.image).to.match(/^moby\/buildkit:v\d+\.\d+\.\d+$/);
    });
  });
});
