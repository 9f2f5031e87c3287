// The shell scripts deploy sends, run for real under sh with a stand-in for docker.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { APP_BUILDER, buildCommand, builderName, observeCommand, parseObserved, parseRollbackTarget } from '../../../scripts/lib/deploy/plan.js';
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
    const NAME = builderName();
    // The stand-in docker logs each call and keeps buildx's store as files: one per builder, named for it.
    // `buildx ls` prints a builder row (name, driver) and a node row (name0, endpoint) per builder, as buildx v0.32.1
    // commands/ls.go does for `--format '{{.Name}} {{.DriverEndpoint}}'`.
    const dockerLog = () => join(dir(), 'docker.log');
    const store = () => join(dir(), 'builders');
    function stubDocker({ builders = [] as string[], buildExit = 0, createExit = 0 } = {}) {
      mkdirSync(store(), { recursive: true });
      for (const b of builders) writeFileSync(join(store(), b), '');
      stub(
        'docker',
        `echo "$*" >>"${dockerLog()}"
case "$*" in
  "buildx ls --format {{.Name}} {{.DriverEndpoint}}")
    for b in $(ls "${store()}"); do echo "$b docker-container"; echo "\${b}0 unix:///var/run/docker.sock"; done ;;
  "buildx inspect "*) [ -f "${store()}/$3" ] ;;
  "buildx rm "*) [ -f "${store()}/$3" ] && rm "${store()}/$3" ;;
  "buildx create "*)
    config=$(echo "$*" | sed -n 's/.*--buildkitd-config \\([^ ]*\\).*/\\1/p')
    cp "$config" "${dir()}/buildkitd.toml"
    [ ${createExit} -eq 0 ] || exit ${createExit}
    : >"${store()}/$4" ;;
  *" build --builder ${NAME} app") exit ${buildExit} ;;
  "buildx stop ${NAME}") ;;
  *) echo "unexpected docker $*" >&2; exit 9 ;;
esac`,
      );
    }
    const calls = () => readFileSync(dockerLog(), 'utf8').trim().split('\n');

    it('names the builder for its settings, so a change of cap, image or parallelism makes a new one', () => {
      expect(NAME).to.equal('pillbox-build-320m-1024m-p1-v0.28.0');
      expect(builderName({ ...APP_BUILDER, memory: '256m' })).to.not.equal(NAME);
      expect(builderName({ ...APP_BUILDER, image: 'moby/buildkit:v0.29.0' })).to.not.equal(NAME);
      expect(builderName({ ...APP_BUILDER, maxParallelism: 2 })).to.not.equal(NAME);
    });

    it('creates a capped docker-container builder on first use, one build step at a time, not restarted by a reboot, builds the app in it, then stops it', async () => {
      stubDocker();
      const out = await runScript(buildCommand());
      expect(out.code, out.stderr).to.equal(0);
      const log = calls();
      expect(log[0]).to.equal('buildx ls --format {{.Name}} {{.DriverEndpoint}}');
      expect(log[1]).to.equal(`buildx inspect ${NAME}`);
      expect(log[2]).to.match(
        new RegExp(
          `^buildx create --name ${NAME} --driver docker-container --driver-opt image=moby/buildkit:v0\\.28\\.0 --driver-opt memory=320m ` +
            '--driver-opt memory-swap=1024m --driver-opt restart-policy=no --driver-opt default-load=true --buildkitd-config /\\S+$',
        ),
      );
      expect(readFileSync(join(dir(), 'buildkitd.toml'), 'utf8')).to.equal('[worker.oci]\n  max-parallelism = 1\n');
      expect(log[3]).to.match(new RegExp(`^compose --project-directory /opt/pillbox/compose .*--env-file /etc/pillbox/secrets.env build --builder ${NAME} app$`));
      expect(log[4]).to.equal(`buildx stop ${NAME}`);
      expect(log).to.have.length(5);
    });

    it('removes the temporary buildkitd.toml once buildx has read it', async () => {
      stubDocker();
      const out = await runScript(buildCommand());
      expect(out.code, out.stderr).to.equal(0);
      const config = /--buildkitd-config (\S+)/.exec(calls()[2] ?? '')?.[1] ?? '';
      expect(config).to.not.equal('');
      expect(existsSync(config)).to.equal(false);
    });

    it('reuses the builder (and its cache) on later deploys', async () => {
      stubDocker({ builders: [NAME] });
      const out = await runScript(buildCommand());
      expect(out.code, out.stderr).to.equal(0);
      expect(calls().filter((c) => c.startsWith('buildx create') || c.startsWith('buildx rm'))).to.deep.equal([]);
    });

    it('removes the builders of earlier settings, and nobody else\'s', async () => {
      stubDocker({ builders: [NAME, 'pillbox-build', 'pillbox-build-256m-1024m-p1-v0.27.0', 'someone-else'] });
      const out = await runScript(buildCommand());
      expect(out.code, out.stderr).to.equal(0);
      expect(calls().filter((c) => c.startsWith('buildx rm'))).to.deep.equal(['buildx rm pillbox-build', 'buildx rm pillbox-build-256m-1024m-p1-v0.27.0']);
      expect(readdirSync(store()).sort()).to.deep.equal([NAME, 'someone-else']);
    });

    it('stops, naming the builder, when the builder cannot be created, and builds nothing', async () => {
      stubDocker({ createExit: 5 });
      const out = await runScript(buildCommand());
      expect(out.code).to.equal(5);
      expect(out.stderr).to.include(`could not create the BuildKit builder ${NAME} (exit 5)`);
      expect(calls().filter((c) => c.includes(' build --builder'))).to.deep.equal([]);
    });

    it("fails with the build's exit status, and still stops the builder so it holds no memory", async () => {
      stubDocker({ builders: [NAME], buildExit: 17 });
      const out = await runScript(buildCommand());
      expect(out.code).to.equal(17);
      expect(calls().at(-1)).to.equal(`buildx stop ${NAME}`);
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

describe("the box's answers a deploy reads", () => {
  const COMMIT = '1111111111111111111111111111111111111111';
  const ID = 'sha256:abc';

  it('reads what runs with the blanks a shell leaves around it', () => {
    expect(parseObserved(`  ${COMMIT}  \n  ${ID} pillbox-app  \n`)).to.deep.equal({ commit: COMMIT, imageId: ID, imageName: 'pillbox-app' });
    expect(parseObserved(`\n${COMMIT}\n${ID} pillbox-app\n`)).to.deep.equal({ commit: COMMIT, imageId: ID, imageName: 'pillbox-app' });
  });

  for (const [what, stdout] of [
    ['a short commit', `1111111\n${ID} pillbox-app\n`],
    ['a commit with more after it', `${COMMIT}0\n${ID} pillbox-app\n`],
    ['a commit with something before it', `x${COMMIT}\n${ID} pillbox-app\n`],
    ['an image that is not an id', `${COMMIT}\npillbox-app pillbox-app\n`],
    ['no image name', `${COMMIT}\n${ID}\n`],
    ['nothing at all', ''],
  ] as const) {
    it(`refuses ${what} as what runs, quoting the answer`, () => {
      expect(() => parseObserved(stdout)).to.throw(`unexpected answer from the box: ${JSON.stringify(stdout)}`);
    });
  }

  it('reads the kept version with the blanks a shell leaves around it', () => {
    expect(parseRollbackTarget(`\n ${COMMIT} \n ${ID} \n`)).to.deep.equal({ commit: COMMIT, imageId: ID });
  });

  for (const [what, stdout] of [
    ['a short commit', `1111111\n${ID}\n`],
    ['a commit with more after it', `${COMMIT}0\n${ID}\n`],
    ['a commit with something before it', `x${COMMIT}\n${ID}\n`],
    ['an image that is not an id', `${COMMIT}\npillbox-app:rollback\n`],
    ['nothing at all', ''],
  ] as const) {
    it(`refuses ${what} as the kept version, quoting the answer`, () => {
      expect(() => parseRollbackTarget(stdout)).to.throw(`unexpected answer from the box: ${JSON.stringify(stdout)}`);
    });
  }

  it('quotes at most 200 characters of a long answer', () => {
    const long = 'x'.repeat(300);
    expect(() => parseObserved(long)).to.throw(`unexpected answer from the box: ${JSON.stringify(long.slice(0, 200))}`);
    expect(() => parseRollbackTarget(long)).to.throw(`unexpected answer from the box: ${JSON.stringify(long.slice(0, 200))}`);
  });
});
