import { SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import { ssmRunner } from '../../../scripts/lib/box/ssm-output.js';
import { toShellLine } from '../../../scripts/lib/box/ssm-run.js';
import { OperatorError } from '../../../scripts/lib/core/operator-error.js';
import { splitExecArgv } from '../../../scripts/lib/exec/config.js';
import { checkComposeWords, execCommand } from '../../../scripts/lib/exec/plan.js';
import { remoteExitLine, runComposeCommand } from '../../../scripts/lib/exec/run.js';
import { fakeBox, type SsmMock } from '../fakes/fake-box.js';
import { fakeClock } from '../fakes/fake-clock.js';

const COMPOSE =
  'docker compose --project-directory /opt/pillbox/compose --file /opt/pillbox/compose/compose.yaml --env-file /opt/pillbox/compose/.env --env-file /etc/pillbox/pillbox.env --env-file /etc/pillbox/secrets.env';

const FIELDS = {
  env: { flag: 'env', description: 'environment' },
  timeout: { flag: 'timeout', description: 'seconds' },
  help: { flag: 'help', boolean: true, description: 'help' },
};

function refusal(words: string[]): OperatorError {
  try {
    checkComposeWords(words);
  } catch (err) {
    if (err instanceof OperatorError) return err;
    throw err;
  }
  throw new Error(`expected ${words.join(' ')} to be refused`);
}

describe('exec', () => {
  describe('reading the command line', () => {
    it('takes pillbox flags first and everything from the first bare word on as compose words', () => {
      expect(splitExecArgv(['--env', 'main', 'exec', 'app', 'node', '-v'], FIELDS)).to.deep.equal({ own: ['--env', 'main'], words: ['exec', 'app', 'node', '-v'] });
    });

    it('starts the compose words after --, so they may begin like a flag', () => {
      expect(splitExecArgv(['--env=main', '--help', '--', 'ps', '--all'], FIELDS)).to.deep.equal({ own: ['--env=main', '--help'], words: ['ps', '--all'] });
    });

    it('leaves an unknown flag before the subcommand to the config parser, which refuses it', () => {
      expect(splitExecArgv(['--profile', 'x', 'ps'], FIELDS)).to.deep.equal({ own: ['--profile'], words: ['x', 'ps'] });
    });

    it('has no compose words when only flags are given', () => {
      expect(splitExecArgv(['--timeout', '30'], FIELDS)).to.deep.equal({ own: ['--timeout', '30'], words: [] });
    });
  });

  describe('what it sends', () => {
    it('puts the words after the one compose invocation, each quoted once', () => {
      expect(toShellLine(execCommand(['exec', 'postgres', 'psql', '-U', 'postgres', '-c', "select count(*) from medications where name = 'x'"]))).to.equal(
        `${COMPOSE} exec postgres psql -U postgres -c 'select count(*) from medications where name = '\\''x'\\'''`,
      );
    });

    it('keeps shell syntax in a word as text for the container, never for the box', () => {
      expect(toShellLine(execCommand(['exec', 'app', 'sh', '-c', 'echo $HOME; rm -rf / && `id`']))).to.equal(`${COMPOSE} exec app sh -c 'echo $HOME; rm -rf / && \`id\`'`);
    });

    it('passes the allowed read commands through unchanged', () => {
      expect(toShellLine(execCommand(['ps', '--all', '--format', 'json']))).to.equal(`${COMPOSE} ps --all --format json`);
      expect(toShellLine(execCommand(['logs', '--tail', '5', 'app']))).to.equal(`${COMPOSE} logs --tail 5 app`);
      expect(toShellLine(execCommand(['stats', '--no-stream']))).to.equal(`${COMPOSE} stats --no-stream`);
    });
  });

  describe('what it refuses', () => {
    it('refuses an empty command and says how to give one', () => {
      expect(refusal([]).message).to.equal('No compose command given.');
    });

    it('refuses a subcommand that changes what deploy and provision manage', () => {
      for (const sub of ['down', 'up', 'rm', 'build', 'pull', 'run', 'kill']) {
        const err = refusal([sub, 'app']);
        expect(err.message).to.equal(`exec does not run \`docker compose ${sub}\`.`);
        expect(err.hint).to.contain('npm run deploy').and.to.contain('npm run session');
      }
    });

    it('refuses subcommands that never end on their own', () => {
      for (const sub of ['events', 'watch', 'attach', 'wait']) expect(refusal([sub]).message).to.match(/exec does not run/);
      expect(refusal(['logs', '-f', 'app']).hint).to.equal('Use `npm run logs -- --follow`.');
      expect(refusal(['logs', 'app', '--follow']).hint).to.equal('Use `npm run logs -- --follow`.');
      expect(refusal(['logs', '-tf']).message).to.match(/never ends/);
      expect(refusal(['stats']).hint).to.match(/--no-stream/);
    });

    it('refuses compose options before the subcommand, which would replace the project or env files', () => {
      expect(refusal(['--file', '/tmp/other.yaml', 'ps']).message).to.match(/^Compose options before the subcommand \(--file\)/);
    });

    it('says how to give a command, where to start it, and which subcommands it runs', () => {
      expect(refusal([]).hint).to.equal('Pass one after --, e.g. `npm run exec -- ps` or `npm run exec -- exec app node -v`.');
      expect(refusal(['-p', 'other', 'ps']).hint).to.equal('Start with the subcommand, e.g. `npm run exec -- ps --all`.');
      expect(refusal(['down']).hint).to.match(/^It runs: ps, logs, top, stats, .*, start\. `npm run deploy` changes what runs; /);
      expect(refusal(['stats', '--no-color']).message).to.equal('`docker compose stats` streams until stopped, and exec waits for the end.');
    });

    it('knows a follow flag in every spelling compose takes, and nothing that only looks like one', () => {
      for (const words of [['logs', '--follow=true'], ['logs', '--follow=1'], ['logs', '-tf'], ['logs', '-f']]) expect(refusal(words).message, words.join(' ')).to.match(/never ends/);
      for (const words of [['logs', 'x--follow='], ['logs', '--tail=5', 'f'], ['logs', 'app-f'], ['logs', '-t5f'], ['logs', '--', 'f']]) {
        expect(checkComposeWords(words), words.join(' ')).to.deep.equal(words);
      }
      expect(checkComposeWords(['stats', '--no-stream=true'])).to.have.length(2);
      expect(checkComposeWords(['logs', '-t', 'app'])).to.deep.equal(['logs', '-t', 'app']);
    });

    it('does not mistake a follow flag given to the container command for one of logs', () => {
      expect(checkComposeWords(['exec', 'app', 'tail', '-f', '/tmp/x'])).to.deep.equal(['exec', 'app', 'tail', '-f', '/tmp/x']);
      expect(checkComposeWords(['logs', '--follow=false', 'app'])).to.have.length(3);
    });
  });

  describe('on the box', () => {
    let ssm: SsmMock;
    beforeEach(() => (ssm = mockClient(SSMClient)));
    afterEach(() => ssm.restore());
    const run = () => ssmRunner(new SSMClient({ region: 'eu-west-1' }), 'i-0abc', { clock: fakeClock() });

    it('runs the command on the instance with the timeout asked for and returns its output', async () => {
      const box = fakeBox(ssm, (line) => (line === `${COMPOSE} ps` ? { stdout: 'NAME  STATUS\npillbox-app-1  Up 3 hours (healthy)\n' } : { exitCode: 9, stderr: `unexpected ${line}` }));
      const result = await runComposeCommand(run(), ['ps'], { id: '0a1b2c3d', timeoutSeconds: 600 });
      expect(result).to.deep.equal({ exitCode: 0, stdout: 'NAME  STATUS\npillbox-app-1  Up 3 hours (healthy)\n', stderr: '' });
      const sent = ssm.commandCalls(SendCommandCommand)[0]?.args[0].input;
      expect(sent?.InstanceIds).to.deep.equal(['i-0abc']);
      expect(sent?.Parameters?.executionTimeout).to.deep.equal(['600']);
      expect(box.lines()[0]).to.contain('/tmp/pillbox-output-0a1b2c3d.gz');
    });

    it('carries a non-zero remote exit code home with the output and ends in one line naming it', async () => {
      fakeBox(ssm, () => ({ exitCode: 3, stdout: 'partial\n', stderr: 'service "web" is not running\n' }));
      const result = await runComposeCommand(run(), ['exec', 'web', 'true'], { id: '0a1b2c3e', timeoutSeconds: 120 });
      expect(result).to.deep.equal({ exitCode: 3, stdout: 'partial\n', stderr: 'service "web" is not running\n' });
      expect(remoteExitLine(['exec', 'web', 'true'], result.exitCode)).to.equal('✖ `docker compose exec web true` exited with 3 on the box.\n');
    });

    it('sends nothing for a refused command', async () => {
      const box = fakeBox(ssm, () => ({}));
      let caught: unknown;
      try {
        await runComposeCommand(run(), ['down', '-v'], { id: '0a1b2c3f', timeoutSeconds: 120 });
      } catch (err) {
        caught = err;
      }
      expect(caught).to.be.instanceOf(OperatorError);
      expect(box.lines()).to.deep.equal([]);
    });
  });
});
