import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { expect } from 'chai';
import { forwardKibana, pickLocalPort } from '../../../scripts/lib/box/port-forward.js';
import { assertSessionTools, openShell, systemProbe, type ChildEnd, type Probe } from '../../../scripts/lib/box/session-manager.js';
import { OperatorError } from '../../../scripts/lib/core/operator-error.js';

const target = { instanceId: 'i-0abc', region: 'eu-west-1' };
const tools =
  (have: Record<string, string | false>): Probe =>
  async (command) => {
    const output = have[command];
    return output === false || output === undefined ? { found: false, output: 'spawn ENOENT' } : { found: true, output };
  };
const BOTH = tools({ aws: 'aws-cli/2.17.20 Python/3.11.9 Linux/6.1 exe/x86_64.debian.12\n', 'session-manager-plugin': '1.2.650.0\n' });

function recorder(end: ChildEnd = { code: 0, signal: null }) {
  const calls: { command: string; args: string[] }[] = [];
  let printed = '';
  return {
    calls,
    printed: () => printed,
    deps: {
      spawn: async (command: string, args: string[]) => (calls.push({ command, args }), end),
      print: (t: string) => void (printed += t),
    },
  };
}

async function failure(promise: Promise<unknown>): Promise<OperatorError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof OperatorError) return err;
    throw err;
  }
  throw new Error('expected an OperatorError');
}

describe('session and kibana', () => {
  describe('missing tools', () => {
    it('names the AWS CLI v2 and its install page when aws is not on PATH', async () => {
      const err = await failure(assertSessionTools(tools({ 'session-manager-plugin': '1.2' })));
      expect(err.message).to.equal('The AWS CLI is not installed (`aws` is not on PATH).');
      expect(err.hint).to.equal('Install AWS CLI v2: https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html');
    });

    it('asks for v2 when the CLI on PATH is v1', async () => {
      const err = await failure(assertSessionTools(tools({ aws: 'aws-cli/1.29.0 Python/3.8.10 Linux/5.15 botocore/1.31.0', 'session-manager-plugin': '1.2' })));
      expect(err.message).to.match(/version 1 .*sessions need v2/);
    });

    it('names the Session Manager plugin and its install page when it is missing', async () => {
      const err = await failure(assertSessionTools(tools({ aws: 'aws-cli/2.17.20 Python/3.11.9' })));
      expect(err.message).to.contain('`session-manager-plugin` is not on PATH');
      expect(err.hint).to.equal('Install it: https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html');
    });

    it('starts nothing when a tool is missing', async () => {
      const r = recorder();
      await failure(openShell({ probe: tools({}), ...r.deps }, target));
      expect(r.calls).to.deep.equal([]);
    });
  });

  describe('probing the local tools', () => {
    it('runs a program on PATH and returns what it printed', async () => {
      const node = await systemProbe('node', ['-e', 'console.log("out"); console.error("err")']);
      expect(node.found).to.equal(true);
      expect(node.output).to.contain('out').and.to.contain('err');
    });

    it('reports a program that is not on PATH as not found', async () => {
      expect((await systemProbe('pillbox-no-such-program', ['--version'])).found).to.equal(false);
    });

    it('passes each argument as one word, however it is quoted', async () => {
      const probe = await systemProbe('node', ['-e', 'console.log(JSON.stringify(process.argv.slice(1)))', "it's a $HOME; `x`"]);
      expect(probe.output.trim()).to.equal(JSON.stringify(["it's a $HOME; `x`"]));
    });
  });

  it('opens the shell with aws ssm start-session on the instance, in the resolved region', async () => {
    const r = recorder();
    await openShell({ probe: BOTH, ...r.deps }, target);
    expect(r.calls).to.deep.equal([{ command: 'aws', args: ['ssm', 'start-session', '--target', 'i-0abc', '--region', 'eu-west-1'] }]);
  });

  it('explains a session that AWS refused (the CLI printed the reason itself)', async () => {
    const r = recorder({ code: 255, signal: null });
    const err = await failure(openShell({ probe: BOTH, ...r.deps }, target));
    expect(err.message).to.equal('The SSM session to i-0abc ended with exit 255.');
    expect(err.hint).to.contain('TargetNotConnected');
  });

  describe('kibana', () => {
    it('forwards Kibana with AWS-StartPortForwardingSession and prints URL, user and where the password is', async () => {
      const r = recorder();
      await forwardKibana({ probe: BOTH, ...r.deps, pickPort: async () => 5601 }, target, 'main', 5601);
      expect(r.calls[0]?.args).to.deep.equal([
        'ssm',
        'start-session',
        '--target',
        'i-0abc',
        '--region',
        'eu-west-1',
        '--document-name',
        'AWS-StartPortForwardingSession',
        '--parameters',
        '{"portNumber":["5601"],"localPortNumber":["5601"]}',
      ]);
      expect(r.printed()).to.contain('Kibana of "main": http://localhost:5601\n  user      elastic\n');
      expect(r.printed()).to.contain('aws ssm get-parameter --region eu-west-1 --with-decryption --name /pillbox/main/secrets/ELASTIC_PASSWORD --query Parameter.Value --output text');
    });

    it('treats Ctrl-C as the normal end of forwarding', async () => {
      const r = recorder({ code: null, signal: 'SIGINT' });
      await forwardKibana({ probe: BOTH, ...r.deps, pickPort: async () => 5601 }, target, 'main', 5601);
      expect(r.calls).to.have.length(1);
    });

    it('uses another free local port when the preferred one is taken', async () => {
      const busy: Server = createServer();
      await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
      const taken = (busy.address() as { port: number }).port;
      try {
        const port = await pickLocalPort(taken);
        expect(port).to.be.a('number').and.not.equal(taken);
        const r = recorder();
        await forwardKibana({ probe: BOTH, ...r.deps, pickPort: pickLocalPort }, target, 'main', taken);
        expect(r.calls[0]?.args.at(-1)).to.not.contain(`"localPortNumber":["${taken}"]`);
      } finally {
        busy.close();
      }
    });
  });

  it('ignores Ctrl-C in the wrapper while the child runs, and exits with how the child ended', async function () {
    this.timeout(15_000);
    // A wrapper process of its own, so the signal cannot reach the test runner.
    const spawner = new URL('../../../scripts/lib/box/session-manager.ts', import.meta.url).href;
    const code = `const { terminalSpawner } = await import(${JSON.stringify(spawner)});
      const end = await terminalSpawner(process.execPath, ['-e', 'process.on("SIGINT", () => {}); console.log("child up"); setTimeout(() => process.exit(7), 1500)']);
      console.log("listeners after", process.listenerCount("SIGINT"));
      process.exit(end.code);`;
    const wrapper = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    wrapper.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('child up') && !out.includes('sent')) {
        out += 'sent';
        wrapper.kill('SIGINT');
      }
    });
    const [exitCode, signal] = await new Promise<[number | null, string | null]>((resolve) => wrapper.on('exit', (c, s) => resolve([c, s])));
    expect(signal).to.equal(null);
    expect(exitCode).to.equal(7);
    expect(out).to.contain('listeners after 0');
  });
});
