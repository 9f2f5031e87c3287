import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import { parse } from 'yaml';
import { pickLocalPort, waitForLocalPort } from '../../../scripts/lib/box/port-forward.js';
import type { ChildEnd, Probe } from '../../../scripts/lib/box/session-manager.js';
import { OperatorError } from '../../../scripts/lib/core/operator-error.js';
import { systemClipboard, systemOpener } from '../../../scripts/lib/kibana/desktop.js';
import { APM_SERVICE_NAME, kibanaPages } from '../../../scripts/lib/kibana/links.js';
import { openKibana, type OpenKibanaDeps } from '../../../scripts/lib/kibana/open.js';
import { awsError, rejection } from '../fakes/fake-aws.js';
import type { SsmMock } from '../fakes/fake-box.js';

const PASSWORD = 'Xq3_vR9-secretValue-0123456789abcdefghijklm';
const PARAMETER = '/pillbox/main/secrets/ELASTIC_PASSWORD';
const APM = 'http://localhost:5601/app/apm/services/pillbox/overview?rangeFrom=now-1h&rangeTo=now';
const UPTIME = 'http://localhost:5601/app/uptime';
const LOGS = "http://localhost:5601/app/discover#/?_g=(time:(from:now-1h,to:now))&_a=(dataSource:(dataViewId:'pillbox-logs',type:dataView))";
const target = { instanceId: 'i-0abc', region: 'eu-west-1' };
const BOTH: Probe = async (command) => ({ found: true, output: command === 'aws' ? 'aws-cli/2.17.20 Python/3.11.9' : '1.2.650.0' });

/** The OperatorError a promise rejects with. */
async function failure(promise: Promise<unknown>): Promise<OperatorError> {
  const err = await rejection(promise);
  expect(err).to.be.instanceOf(OperatorError);
  return err as OperatorError;
}

describe('kibana --open', () => {
  let ssm: SsmMock;
  beforeEach(() => (ssm = mockClient(SSMClient)));
  afterEach(() => ssm.restore());

  /** A desktop and a forward that records everything; the forward ends (Ctrl-C) once the test says. */
  function desktop({ opens = true, clips = true, listening = true, end = { code: null, signal: 'SIGINT' } as ChildEnd } = {}) {
    const events: string[] = [];
    let printed = '';
    const deps: OpenKibanaDeps = {
      probe: BOTH,
      spawn: async (command, args) => (events.push(`spawn ${command} ${args.slice(0, 2).join(' ')}`), end),
      print: (t) => void (printed += t),
      pickPort: async (p) => p,
      waitForPort: async (port) => (events.push(`wait ${port}`), listening),
      ssm: new SSMClient({ region: 'eu-west-1' }),
      opener: async (url) => (events.push(`open ${url}`), opens),
      clipboard: async (text) => (events.push(`clipboard ${text.length} chars`), clips),
    };
    return { deps, events, printed: () => printed };
  }

  it('reads the password with decryption, puts it on the clipboard, never prints it, and opens APM then Uptime once the forward listens', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Name: PARAMETER, Value: PASSWORD } });
    const d = desktop();
    await openKibana(d.deps, target, 'main', 5601, { open: true, showPassword: false });
    expect(ssm.commandCalls(GetParameterCommand).map((c) => c.args[0].input)).to.deep.equal([{ Name: PARAMETER, WithDecryption: true }]);
    expect(d.events).to.deep.equal([`clipboard ${PASSWORD.length} chars`, 'spawn aws ssm start-session', 'wait 5601', `open ${APM}`, `open ${UPTIME}`, `open ${LOGS}`]);
    expect(d.printed()).to.contain('  password  on the clipboard (--show-password prints it)\n');
    expect(d.printed()).to.contain(`Opened in the browser:\n  APM, service pillbox   ${APM}\n  Uptime monitors        ${UPTIME}\n`);
    expect(d.printed()).not.to.contain(PASSWORD);
  });

  it('prints the password only when asked with --show-password', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Name: PARAMETER, Value: PASSWORD } });
    const d = desktop();
    await openKibana(d.deps, target, 'main', 5601, { open: false, showPassword: true });
    expect(d.printed()).to.contain(`  password  ${PASSWORD}\n`);
    expect(d.events.filter((e) => e.startsWith('clipboard') || e.startsWith('open') || e.startsWith('wait'))).to.deep.equal([]);
  });

  it('reads no password without --open or --show-password and prints the command that does', async () => {
    const d = desktop();
    await openKibana(d.deps, target, 'main', 5601, { open: false, showPassword: false });
    expect(ssm.commandCalls(GetParameterCommand)).to.have.length(0);
    expect(d.printed()).to.contain(`  password  aws ssm get-parameter --region eu-west-1 --with-decryption --name ${PARAMETER} --query Parameter.Value --output text\n`);
  });

  it('lists the URLs in one line of explanation when no browser opener works', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Name: PARAMETER, Value: PASSWORD } });
    const d = desktop({ opens: false });
    await openKibana(d.deps, target, 'main', 5601, { open: true, showPassword: false });
    expect(d.printed()).to.contain(`No browser could be opened (xdg-open or open); open these yourself:\n  APM, service pillbox   ${APM}\n  Uptime monitors        ${UPTIME}\n`);
  });

  it('says the password was not shown when there is no clipboard program', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Name: PARAMETER, Value: PASSWORD } });
    const d = desktop({ clips: false });
    await openKibana(d.deps, target, 'main', 5601, { open: true, showPassword: false });
    expect(d.printed()).to.contain('  password  not shown: no clipboard program found; --show-password prints it\n');
    expect(d.printed()).not.to.contain(PASSWORD);
  });

  it('opens nothing and lists the URLs when the local port never opens', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Name: PARAMETER, Value: PASSWORD } });
    const d = desktop({ listening: false });
    await openKibana(d.deps, target, 'main', 5601, { open: true, showPassword: false });
    expect(d.events.filter((e) => e.startsWith('open'))).to.deep.equal([]);
    expect(d.printed()).to.contain(`The forward did not open http://localhost:5601 in time; once it does, open:\n  APM, service pillbox   ${APM}\n`);
  });

  it('opens nothing when AWS refuses the forward, and says why in one line', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Name: PARAMETER, Value: PASSWORD } });
    const d = desktop({ end: { code: 255, signal: null } });
    // The port never opens; the forward's end wins the race and stops the wait.
    let waitStopped = false;
    d.deps.waitForPort = (_port, signal) => new Promise((resolve) => signal.addEventListener('abort', () => ((waitStopped = true), resolve(false))));
    const err = await failure(openKibana(d.deps, target, 'main', 5601, { open: true, showPassword: false }));
    expect(err.message).to.equal('The SSM session to i-0abc ended with exit 255.');
    expect(d.events.filter((e) => e.startsWith('open'))).to.deep.equal([]);
    expect(waitStopped, 'the port wait was stopped').to.equal(true);
  });

  it('stops with one line, before forwarding, when the password parameter is missing', async () => {
    ssm.on(GetParameterCommand).rejects(awsError('ParameterNotFound'));
    const d = desktop();
    const err = await failure(openKibana(d.deps, target, 'main', 5601, { open: true, showPassword: false }));
    expect(err.message).to.equal(`The elastic password is missing from Parameter Store (${PARAMETER}).`);
    expect(err.hint).to.equal('Provision the environment again to create its secrets: `npm run provision -- --env main --region eu-west-1`.');
    expect(d.events).to.deep.equal([]);
  });

  it('names the permission when the credentials may not read the password', async () => {
    ssm.on(GetParameterCommand).rejects(awsError('AccessDeniedException', 'User: arn:aws:iam::123456789012:user/alice is not authorized to perform: ssm:GetParameter'));
    const err = await failure(openKibana(desktop().deps, target, 'main', 5601, { open: true, showPassword: false }));
    expect(err.message).to.equal(`Your AWS credentials may not read ${PARAMETER}.`);
    expect(err.hint).to.match(/ssm:GetParameter on parameter\/pillbox\/main\/\*/);
  });

  it('opens the APM page of the service name the stack reports under', () => {
    const compose = parse(readFileSync('compose/compose.yaml', 'utf8'), { merge: true }) as { services: { app: { environment: Record<string, string> } } };
    expect(compose.services.app.environment.ELASTIC_APM_SERVICE_NAME).to.equal(`\${ELASTIC_APM_SERVICE_NAME:-${APM_SERVICE_NAME}}`);
    expect(kibanaPages('http://localhost:5602').map((p) => p.url)).to.deep.equal([
      `http://localhost:5602/app/apm/services/${APM_SERVICE_NAME}/overview?rangeFrom=now-1h&rangeTo=now`,
      'http://localhost:5602/app/uptime',
      LOGS.replace('5601', '5602'),
    ]);
  });

  describe('on this machine', () => {
    let bin: string;
    let path: string | undefined;
    beforeEach(() => {
      bin = mkdtempSync(join(tmpdir(), 'pillbox-desktop-'));
      path = process.env.PATH;
    });
    afterEach(() => {
      process.env.PATH = path;
      rmSync(bin, { recursive: true, force: true });
    });
    /** A stand-in program that records its arguments and stdin. */
    const program = (name: string, exit = 0) => {
      writeFileSync(join(bin, name), `#!/bin/sh\nprintf '%s\\n' "$@" > "${bin}/${name}.args"\n/bin/cat > "${bin}/${name}.stdin"\nexit ${exit}\n`);
      chmodSync(join(bin, name), 0o755);
    };

    it('opens a URL with xdg-open as one argument', async function () {
      if (process.platform === 'darwin') this.skip(); // macOS uses `open`
      program('xdg-open');
      process.env.PATH = bin;
      expect(await systemOpener(`${APM}&x=$(id)`)).to.equal(true);
      expect(readFileSync(join(bin, 'xdg-open.args'), 'utf8')).to.equal(`${APM}&x=$(id)\n`);
    });

    it('reports no opener when none is on PATH, or when it fails', async () => {
      process.env.PATH = bin;
      expect(await systemOpener(APM)).to.equal(false);
      program('xdg-open', 3);
      program('open', 3);
      expect(await systemOpener(APM)).to.equal(false);
    });

    it('gives the clipboard the password on stdin, never as an argument', async () => {
      program('xclip');
      process.env.PATH = bin;
      expect(await systemClipboard(PASSWORD)).to.equal(true);
      expect(readFileSync(join(bin, 'xclip.stdin'), 'utf8')).to.equal(PASSWORD);
      expect(readFileSync(join(bin, 'xclip.args'), 'utf8')).to.equal('-selection\nclipboard\n');
    });

    it('reports no clipboard when none is on PATH', async () => {
      process.env.PATH = bin;
      expect(await systemClipboard(PASSWORD)).to.equal(false);
    });

    it('waits until something listens on the local port, and gives up after the timeout', async () => {
      const server = createServer((s) => s.destroy());
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const port = (server.address() as { port: number }).port;
      try {
        expect(await waitForLocalPort(port, undefined, 2000, 20)).to.equal(true);
      } finally {
        server.close();
      }
      expect(await waitForLocalPort(port, undefined, 100, 20)).to.equal(false);
    });

    it('stops waiting for the port as soon as the forward has ended', async () => {
      const forwardEnded = new AbortController();
      const started = Date.now();
      setTimeout(() => forwardEnded.abort(), 50);
      expect(await waitForLocalPort(await pickLocalPort(0), forwardEnded.signal, 30_000, 1000)).to.equal(false);
      expect(Date.now() - started).to.be.lessThan(2000);
    });
  });
});
