// The secret files compose writes, checked against the rule of each image that reads one (the table lives in
// scripts/lib/box/secret-files.ts, each row with its source; STEPS.md, "the stack", has the versions read).
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { OperatorError } from '../../scripts/lib/core/operator-error.js';
import { assertSecretFiles, fileFor, grantProblem, IMAGE_SECRET_RULES, readableBy, ruleFor, secretFileProblems, type SecretFile } from '../../scripts/lib/box/secret-files.js';
import { grantedSecrets, loadCompose, readText } from './compose-files.js';

const compose = loadCompose('compose/compose.yaml');
const composeText = readText('compose/compose.yaml');
const consumers = Object.entries(compose.services).filter(([, s]) => grantedSecrets(s).length > 0);

describe('compose secret files and the images that read them', () => {
  describe('the rule table', () => {
    it('names the user and the source of every rule', () => {
      for (const rule of IMAGE_SECRET_RULES) {
        expect(rule.uid, rule.source).to.equal(1000);
        expect(rule.source).to.match(/\S+\/\S+ /);
      }
    });

    it("matches the setup image's user to its Dockerfile (USER node)", () => {
      const users = readText('elk/setup/Dockerfile').match(/^USER .*$/gm) ?? [];
      expect(users.at(-1)).to.equal('USER node');
    });

    it('has a rule for every service that is granted a secret file', () => {
      expect(consumers.map(([n]) => n).sort()).to.deep.equal(['elasticsearch', 'heartbeat-setup', 'kibana-setup', 'setup']);
      for (const [name, s] of consumers) expect(ruleFor(s), name).to.not.equal(undefined);
    });
  });

  describe('what compose writes (docker/compose v5.1.0 pkg/compose/secrets.go, createTar)', () => {
    it('writes a short-syntax grant as root:root 0444, which Elasticsearch refuses (the first-boot blocker)', () => {
      expect(fileFor('elastic_password')).to.deep.equal({ uid: 0, gid: 0, mode: 0o444 });
      expect(grantProblem('elasticsearch', compose.services['elasticsearch'] ?? {}, 'elastic_password')).to.equal(
        'elasticsearch refuses the secret elastic_password (uid 0, mode 0444): its image accepts mode 0400 or 0600 only',
      );
    });

    it('reads a quoted mode as octal (compose-go v2.10.1 FileMode), and refuses a bare number that YAML reads as decimal', () => {
      expect(fileFor({ source: 's', uid: '1000', mode: '0400' })).to.deep.equal({ uid: 1000, gid: 0, mode: 0o400 });
      expect(fileFor({ source: 's', mode: 400 })).to.match(/quoted octal string/);
    });

    it('refuses a 0400 file owned by root for an image that runs as uid 1000: it cannot read it', () => {
      const setup = compose.services['setup'] ?? {};
      expect(grantProblem('setup', setup, { source: 'elastic_password', mode: '0400' })).to.equal(
        'setup cannot read the secret elastic_password (uid 0, mode 0400): its image reads it as uid 1000',
      );
      expect(grantProblem('setup', setup, { source: 'elastic_password', uid: '1000', mode: '0400' })).to.equal(undefined);
    });
  });

  describe('compose.yaml', () => {
    for (const [name, service] of consumers) {
      it(`grants ${name} its secret owned by the uid its image runs as, with a mode the image accepts`, () => {
        for (const grant of service.secrets ?? []) {
          expect(typeof grant, `${name} uses the long syntax`).to.equal('object');
          expect(grantProblem(name, service, grant)).to.equal(undefined);
        }
      });
    }

    it('has no grant that breaks its rule', () => {
      expect(secretFileProblems(composeText)).to.deep.equal([]);
    });

    it('is refused with one line naming the grant when a grant falls back to the short syntax', () => {
      const broken = composeText.replace(/- source: elastic_password\n\s+uid: "1000"\n\s+mode: "0400"/, '- elastic_password');
      expect(broken).to.not.equal(composeText);
      const problems = secretFileProblems(broken);
      expect(problems).to.have.length(1);
      expect(problems[0]).to.match(/^elasticsearch refuses the secret elastic_password \(uid 0, mode 0444\)/);
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
      const broken = composeText.replace(/(- source: elastic_password\n\s+uid: "1000"\n\s+mode:) "0400"/, '$1 "0444"');
      const err = await assertSecretFiles(gitWith(broken), SHA).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(OperatorError);
      expect((err as OperatorError).message).to.equal(
        'compose/compose.yaml: elasticsearch refuses the secret elastic_password (uid 1000, mode 0444): its image accepts mode 0400 or 0600 only.',
      );
      expect((err as OperatorError).message).to.not.include('\n');
      expect((err as OperatorError).hint).to.include('mode: "0400"');
    });
  });

  describe("Elasticsearch's entrypoint rule, reproduced with the tool it uses (stat -L -c '%a' in elasticsearch-env-from-file)", () => {
    let dir = '';
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'pillbox-secret-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    const elasticsearch = IMAGE_SECRET_RULES.find((r) => r.image?.includes('/elasticsearch/'));
    // What the upstream script compares against: the permission digits stat prints, "400" or "600".
    const UPSTREAM_ACCEPTS = ['400', '600'];

    for (const mode of [0o444, 0o400, 0o600, 0o640, 0o440]) {
      it(`agrees with the script on a file written ${mode.toString(8).padStart(4, '0')}`, () => {
        const file = join(dir, 'elastic_password');
        writeFileSync(file, 'secret');
        chmodSync(file, mode);
        const printed = execFileSync('stat', ['-L', '-c', '%a', file], { encoding: 'utf8' }).trim();
        const ours: SecretFile = { uid: 1000, gid: 0, mode };
        const accepted = readableBy(ours, 1000) && (elasticsearch?.modes ?? []).includes(mode);
        expect(accepted, `stat printed ${printed}`).to.equal(UPSTREAM_ACCEPTS.includes(printed));
      });
    }
  });
});
