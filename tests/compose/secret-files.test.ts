// The secret files the Elastic containers read, checked against the rule of each image (the table lives in
// scripts/lib/box/secret-files.ts, each row with its source; STEPS.md, "the stack", has the versions read), and the
// host file the box writes for them, written and checked by the real cloud-init scripts.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { OperatorError } from '../../scripts/lib/core/operator-error.js';
import { CHECK_SECRETS_BIN, ELASTIC_PASSWORD_FILE, ETC_DIR, FETCH_SECRETS_BIN, SECRETS_ENV, SETTINGS_ENV, STACK_UNIT, SYSTEMD_DIR } from '../../scripts/lib/box/layout.js';
import {
  assertSecretFiles,
  boxPath,
  fileFor,
  grantProblem,
  HOST_SECRET_FILES,
  IMAGE_SECRET_RULES,
  readableBy,
  ruleFor,
  secretFileProblems,
  type SecretFile,
} from '../../scripts/lib/box/secret-files.js';
import { BoxRoot, fileIn, rendered } from '../cloud-init/box-root.js';
import { grantedSecrets, loadCompose, readText } from './compose-files.js';

const compose = loadCompose('compose/compose.yaml');
const composeText = readText('compose/compose.yaml');
const consumers = Object.entries(compose.services).filter(([, s]) => grantedSecrets(s).length > 0);
const service = (name: string) => compose.services[name] ?? {};
const rule = (name: string) => {
  const r = ruleFor(service(name));
  if (!r) throw new Error(`no rule for ${name}`);
  return r;
};
const ENV_SECRET = { environment: 'ELASTIC_PASSWORD' };
const FILE_SECRET = { file: '${PILLBOX_ELASTIC_PASSWORD_FILE:-/etc/pillbox/elastic_password}' };

/** compose.yaml as this stack had it before: an environment secret granted with uid and mode. */
const asEnvironmentSecret = (text: string): string =>
  text
    .replace(/file: \$\{PILLBOX_ELASTIC_PASSWORD_FILE:-[^}]*\}/, 'environment: ELASTIC_PASSWORD')
    .replace(/^(\s+)- elastic_password$/gm, '$1- source: elastic_password\n$1  uid: "1000"\n$1  mode: "0400"');

describe('compose secret files and the images that read them', () => {
  describe('the rule table', () => {
    it("names each image's USER, the uid it runs as, and the source", () => {
      expect(IMAGE_SECRET_RULES.map((r) => [r.user, r.uid])).to.deep.equal([
        ['1000:0', 1000],
        ['node', 1000],
        ['heartbeat', 1000],
      ]);
      for (const r of IMAGE_SECRET_RULES) expect(r.source).to.match(/\S+\/\S+ /);
    });

    it("matches the setup image's user to its Dockerfile (USER node)", () => {
      const users = readText('elk/setup/Dockerfile').match(/^USER .*$/gm) ?? [];
      expect(users.at(-1)).to.equal(`USER ${rule('setup').user}`);
    });

    it('has a rule for every service that is granted a secret file', () => {
      expect(consumers.map(([n]) => n).sort()).to.deep.equal(['elasticsearch', 'heartbeat-setup', 'kibana-setup', 'setup']);
      for (const [name, s] of consumers) expect(ruleFor(s), name).to.not.equal(undefined);
    });
  });

  describe('an environment secret (docker/compose v5.1.0 pkg/compose/secrets.go)', () => {
    it('is written root:root 0444 without uid or gid, which Elasticsearch refuses', () => {
      expect(fileFor('elastic_password', ENV_SECRET, rule('elasticsearch'))).to.deep.equal({ uid: 0, gid: 0, mode: 0o444 });
      expect(grantProblem('elasticsearch', service('elasticsearch'), 'elastic_password', ENV_SECRET)).to.equal(
        'elasticsearch refuses the secret elastic_password (uid 0, mode 0444): its image accepts mode 0400 or 0600 only',
      );
    });

    it('with uid or gid, makes Docker 25 look up Elasticsearch\'s USER "1000:0" by name, which fails every start (the blocker)', () => {
      const grant = { source: 'elastic_password', uid: '1000', mode: '0400' };
      expect(grantProblem('elasticsearch', service('elasticsearch'), grant, ENV_SECRET, HOST_SECRET_FILES, 25)).to.equal(
        'elasticsearch\'s grant of elastic_password: uid/gid on an environment secret makes Docker 25 look up the image\'s USER "1000:0" by name, which fails; use a file secret',
      );
      expect(grantProblem('elasticsearch', service('elasticsearch'), { source: 'elastic_password', gid: '0', mode: '0400' }, ENV_SECRET, HOST_SECRET_FILES, 27)).to.match(/Docker 27/);
    });

    it("is chowned to the image's user from Docker 28 on, and for a USER that is a name (looked up in the image's passwd)", () => {
      const grant = { source: 'elastic_password', uid: '1000', mode: '0400' };
      expect(grantProblem('elasticsearch', service('elasticsearch'), grant, ENV_SECRET, HOST_SECRET_FILES, 28)).to.equal(undefined);
      expect(fileFor(grant, ENV_SECRET, rule('setup'), HOST_SECRET_FILES, 25)).to.deep.equal({ uid: 1000, gid: 0, mode: 0o400 });
    });

    it('reads a quoted mode as octal (compose-go v2.10.1 FileMode), and refuses a bare number that YAML reads as decimal', () => {
      expect(fileFor({ source: 's', mode: '0400' }, ENV_SECRET, rule('setup'))).to.deep.equal({ uid: 0, gid: 0, mode: 0o400 });
      expect(fileFor({ source: 's', mode: 400 }, ENV_SECRET, rule('setup'))).to.match(/quoted octal string/);
    });
  });

  describe('a file secret (docker/compose v5.1.0 pkg/compose/create.go, a read-only bind mount)', () => {
    it('is the host file, with the owner and mode the box writes it with', () => {
      expect(boxPath(FILE_SECRET.file)).to.equal(ELASTIC_PASSWORD_FILE);
      expect(fileFor('elastic_password', FILE_SECRET, rule('elasticsearch'))).to.deep.equal({ uid: 1000, gid: 0, mode: 0o400 });
    });

    it('is refused when the box would write it in a mode Elasticsearch refuses, or owned by root', () => {
      const hostWith = (f: Partial<SecretFile>) => [{ ...HOST_SECRET_FILES[0]!, ...f }];
      expect(grantProblem('elasticsearch', service('elasticsearch'), 'elastic_password', FILE_SECRET, hostWith({ mode: 0o444 }))).to.match(/accepts mode 0400 or 0600 only$/);
      expect(grantProblem('setup', service('setup'), 'elastic_password', FILE_SECRET, hostWith({ uid: 0 }))).to.equal(
        'setup cannot read the secret elastic_password (uid 0, mode 0400): its image reads it as uid 1000',
      );
    });

    it('is refused with uid, gid or mode on the grant, which compose ignores with a warning', () => {
      expect(grantProblem('setup', service('setup'), { source: 'elastic_password', uid: '1000' }, FILE_SECRET)).to.match(/compose ignores uid, gid and mode on a file secret/);
    });

    it('is refused when no box script writes its path', () => {
      expect(grantProblem('setup', service('setup'), 'elastic_password', { file: '/etc/pillbox/nowhere' })).to.equal(
        "setup's grant of elastic_password: no box script writes /etc/pillbox/nowhere",
      );
    });
  });

  describe('compose.yaml', () => {
    it('makes the elastic password a file secret at the box layout path', () => {
      expect(compose.secrets?.['elastic_password']).to.deep.equal(FILE_SECRET);
      expect(HOST_SECRET_FILES.map((f) => f.path)).to.deep.equal([ELASTIC_PASSWORD_FILE]);
    });

    it('has no grant that breaks its rule', () => {
      expect(secretFileProblems(composeText)).to.deep.equal([]);
    });

    it('is refused, one line per reader, as the environment secret with uid and mode it was', () => {
      const before = asEnvironmentSecret(composeText);
      expect(before).to.not.equal(composeText);
      const problems = secretFileProblems(before);
      expect(problems).to.have.length(1);
      expect(problems[0]).to.match(/^elasticsearch's grant of elastic_password: uid\/gid on an environment secret makes Docker 25/);
      expect(secretFileProblems(before, HOST_SECRET_FILES, 28)).to.deep.equal([]);
    });
  });

  describe('before provision or deploy ships a commit', () => {
    const SHA = 'a'.repeat(40);
    const gitWith = (text: string) => async (args: string[]) => {
      if (args.join(' ') === `show ${SHA}:compose/compose.yaml`) return text;
      throw new Error(`unexpected git ${args.join(' ')}`);
    };

    it("passes the repository's compose.yaml", async () => {
      await assertSecretFiles(gitWith(composeText), SHA);
    });

    it('refuses a commit whose grant breaks its image rule, with one line naming the service, the secret and the fix', async () => {
      const err = await assertSecretFiles(gitWith(asEnvironmentSecret(composeText)), SHA).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(OperatorError);
      expect((err as OperatorError).message).to.match(/^compose\/compose.yaml: elasticsearch's grant of elastic_password: .*; use a file secret\.$/);
      expect((err as OperatorError).message).to.not.include('\n');
      expect((err as OperatorError).hint).to.include('`file:` secret');
    });
  });

  describe('the host file, as the box writes and checks it (cloud-init/fetch-secrets.sh, check-secrets.sh)', () => {
    let box: BoxRoot;
    beforeEach(() => {
      box = new BoxRoot();
      box.writeFiles(rendered());
      box.write(SETTINGS_ENV, 'AWS_REGION=eu-west-1\nPILLBOX_SECRETS_PATH=/pillbox/dev/secrets\n');
    });
    afterEach(() => box.remove());

    // The stand-in prints what `--query 'Parameters[].[Name,Value]' --output text` prints: name TAB value per line.
    const fetchWith = (parameters: Record<string, string>) => {
      const lines = Object.entries(parameters).map(([n, v]) => `/pillbox/dev/secrets/${n}\t${v}`);
      box.standIn('aws', `printf '${lines.join('\\n')}\\n'`);
      return box.run('sh', box.read(FETCH_SECRETS_BIN));
    };
    const check = () => box.run('sh', box.read(CHECK_SECRETS_BIN));

    it('writes the elastic password alone, without a newline, owned and moded as HOST_SECRET_FILES says (stat)', () => {
      const run = fetchWith({ APP_DB_PASSWORD: 'app-pw', ELASTIC_PASSWORD: 'el-pw_1' });
      expect(run.status, run.stderr).to.equal(0);
      const file = box.path(ELASTIC_PASSWORD_FILE);
      const [owner, group, mode] = execFileSync('stat', ['-c', '%u %g %a', file], { encoding: 'utf8' }).trim().split(' ');
      const expected = HOST_SECRET_FILES.find((f) => f.path === ELASTIC_PASSWORD_FILE);
      expect([Number(owner), Number(group), parseInt(mode ?? '', 8)]).to.deep.equal([expected?.uid, expected?.gid, expected?.mode]);
      expect([owner, mode]).to.deep.equal(['1000', '400']);
      expect(box.read(ELASTIC_PASSWORD_FILE)).to.equal('el-pw_1');
      expect(statSync(box.path(SECRETS_ENV)).mode & 0o777).to.equal(0o600);
      expect(box.read(SECRETS_ENV)).to.equal('APP_DB_PASSWORD=app-pw\nELASTIC_PASSWORD=el-pw_1\n');
      expect(check().status).to.equal(0);
    });

    it('fails naming ELASTIC_PASSWORD when the parameter is missing, and leaves no temporary file', () => {
      const run = fetchWith({ APP_DB_PASSWORD: 'app-pw' });
      expect(run.status).to.equal(1);
      expect(run.stderr).to.equal('no ELASTIC_PASSWORD under /pillbox/dev/secrets: run npm run provision again to create it\n');
      expect(execFileSync('ls', ['-A', box.path(ETC_DIR)], { encoding: 'utf8' }).split('\n').filter((f) => f.startsWith('.'))).to.deep.equal([]);
    });

    for (const [what, uid, mode, ok] of [
      ['owner 1000, mode 0600', 1000, 0o600, true],
      ['owner 1000, mode 0444', 1000, 0o444, false],
      ['owner root, mode 0400', 0, 0o400, false],
    ] as const) {
      it(`${ok ? 'lets the stack start' : 'refuses to start the stack, in one line naming the file and the fix,'} with the file at ${what}`, () => {
        box.write(ELASTIC_PASSWORD_FILE, 'pw', mode);
        chownSync(box.path(ELASTIC_PASSWORD_FILE), uid, 0);
        const run = check();
        expect(run.status).to.equal(ok ? 0 : 1);
        if (!ok) {
          expect(run.stderr).to.equal(
            box.relocate(`${ELASTIC_PASSWORD_FILE} is ${uid} ${mode.toString(8)}, but the Elastic images need owner uid 1000 and mode 400 or 600: restart ${STACK_UNIT}, whose ${FETCH_SECRETS_BIN} rewrites it\n`),
          );
        }
      });
    }

    it('refuses to start the stack when the file is missing', () => {
      const run = check();
      expect(run.status).to.equal(1);
      expect(run.stderr).to.match(/elastic_password is missing, but the Elastic images need owner uid 1000/);
    });

    it('checks before compose starts, after the secrets are fetched', () => {
      const unit = fileIn(rendered(), `${SYSTEMD_DIR}/${STACK_UNIT}`);
      const at = (line: string) => unit.indexOf(line);
      expect(at(`ExecStartPre=${CHECK_SECRETS_BIN}\n`)).to.be.greaterThan(at(`ExecStartPre=${FETCH_SECRETS_BIN}\n`));
      expect(at(`ExecStartPre=${CHECK_SECRETS_BIN}\n`)).to.be.lessThan(at('ExecStart='));
    });
  });

  describe("Elasticsearch's entrypoint rule, reproduced with the tool it uses (stat -L -c '%a' in elasticsearch-env-from-file)", () => {
    let dir = '';
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'pillbox-secret-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    const elasticsearch = rule('elasticsearch');
    // What the upstream script compares against: the permission digits stat prints, "400" or "600".
    const UPSTREAM_ACCEPTS = ['400', '600'];

    for (const mode of [0o444, 0o400, 0o600, 0o640, 0o440]) {
      it(`agrees with the script on a file written ${mode.toString(8).padStart(4, '0')}`, () => {
        const file = join(dir, 'elastic_password');
        writeFileSync(file, 'secret');
        chmodSync(file, mode);
        const printed = execFileSync('stat', ['-L', '-c', '%a', file], { encoding: 'utf8' }).trim();
        const ours: SecretFile = { uid: 1000, gid: 0, mode };
        const accepted = readableBy(ours, 1000) && (elasticsearch.modes ?? []).includes(mode);
        expect(accepted, `stat printed ${printed}`).to.equal(UPSTREAM_ACCEPTS.includes(printed));
      });
    }
  });
});
