// npm run kibana as a user runs it (main with argv), against the fake account and a fake terminal:
// the port forward the AWS CLI is started with, what is printed, and what the browser and clipboard get.
import { expect } from 'chai';
import { main as kibana } from '../../../scripts/kibana.js';
import { main as provision } from '../../../scripts/provision.js';
import { kibanaPages } from '../../../scripts/lib/kibana/links.js';
import { liveInstances, rejection, useFakeAws, type FakeAws, type World } from '../fakes/fake-aws.js';
import { cliDeps } from '../fakes/fake-cli.js';
import { fakeTerminal, type TerminalOptions } from '../fakes/fake-terminal.js';

const PASSWORD_PARAMETER = '/pillbox/dev/secrets/ELASTIC_PASSWORD';

describe('npm run kibana', () => {
  let world: World;
  let fake: FakeAws;
  useFakeAws((w, f) => ((world = w), (fake = f)));
  beforeEach(() => provision(['--env', 'dev', '--ci'], cliDeps(fake)));

  /** Runs the command on a fresh fake terminal; returns what it printed and what ran locally. */
  async function run(argv: string[], options: TerminalOptions = {}, env: Record<string, string> = {}) {
    const terminal = fakeTerminal(options);
    const cli = cliDeps(fake, { env: { AWS_REGION: 'eu-west-1', ...env } });
    world.log.length = 0;
    await kibana(argv, { ...cli, desktop: terminal.desktop });
    return { ...terminal, out: cli.out() };
  }
  const password = () => world.params.get(PASSWORD_PARAMETER)!.value;
  const forwardParameters = (args: string[]) => JSON.parse(args[args.indexOf('--parameters') + 1]!) as Record<string, string[]>;

  it('by default forwards local port 5601 to Kibana on the box, prints the URL and how to read the password, and opens nothing', async () => {
    const { started, portsAsked, opened, clipboard, out } = await run(['--env', 'dev']);
    const box = liveInstances(world)[0]!;
    expect(portsAsked).to.deep.equal([5601]);
    expect(started).to.deep.equal([
      {
        command: 'aws',
        args: ['ssm', 'start-session', '--target', box.id, '--region', 'eu-west-1', '--document-name', 'AWS-StartPortForwardingSession', '--parameters', '{"portNumber":["5601"],"localPortNumber":["5601"]}'],
      },
    ]);
    expect(out).to.match(/^Kibana of "dev": http:\/\/localhost:5601\n {2}user {6}elastic\n/);
    expect(out).to.include(`  password  aws ssm get-parameter --region eu-west-1 --with-decryption --name ${PASSWORD_PARAMETER} --query Parameter.Value --output text\n`);
    expect(out, 'the password itself is never printed by default').not.to.include(password());
    expect(world.log, 'the password does not pass through pillbox').not.to.include('GetParameter');
    expect(opened).to.deep.equal([]);
    expect(clipboard).to.deep.equal([]);
  });

  it('forwards from another local port when 5601 is taken, and prints that one', async () => {
    const { started, out } = await run(['--env', 'dev'], { busy: [5601] });
    expect(forwardParameters(started[0]!.args)).to.deep.equal({ portNumber: ['5601'], localPortNumber: ['49152'] });
    expect(out).to.match(/^Kibana of "dev": http:\/\/localhost:49152\n/);
  });

  it('takes the local port from --port, or PILLBOX_KIBANA_LOCAL_PORT, and refuses one below 1024', async () => {
    expect((await run(['--env', 'dev', '--port', '15601'])).portsAsked).to.deep.equal([15601]);
    expect((await run(['--env', 'dev'], {}, { PILLBOX_KIBANA_LOCAL_PORT: '25601' })).portsAsked).to.deep.equal([25601]);
    const err = await rejection(run(['--env', 'dev', '--port', '80']));
    expect(err.message).to.match(/^--port=80: /);
  });

  it('with --open puts the password on the clipboard, never prints it, and opens the APM, Uptime and logs pages', async () => {
    const { opened, clipboard, out } = await run(['--env', 'dev', '--open']);
    expect(clipboard).to.deep.equal([password()]);
    expect(out).to.include('  password  on the clipboard (--show-password prints it)\n');
    expect(out).not.to.include(password());
    expect(opened).to.deep.equal(kibanaPages('http://localhost:5601').map((p) => p.url));
    expect(out).to.match(/\nOpened in the browser:\n {2}APM, service pillbox +http:\/\/localhost:5601\/app\/apm\//);
  });

  it('with --open and no browser, lists the pages to open by hand', async () => {
    const { out } = await run(['--env', 'dev', '--open'], { opens: false });
    expect(out).to.include('No browser could be opened (xdg-open or open); open these yourself:\n  APM, service pillbox');
  });

  it('with --show-password prints the password read from Parameter Store, and opens nothing', async () => {
    const { out, opened, clipboard } = await run(['--env', 'dev', '--show-password']);
    expect(out).to.include(`  password  ${password()}\n`);
    expect(world.log).to.include('GetParameter');
    expect(opened).to.deep.equal([]);
    expect(clipboard).to.deep.equal([]);
  });

  it('names what to install when the Session Manager plugin is missing, and starts nothing', async () => {
    const terminal = fakeTerminal({ programs: { aws: 'aws-cli/2.17.20 Python/3.11.9' } });
    const err = await rejection(kibana(['--env', 'dev'], { ...cliDeps(fake), desktop: terminal.desktop }));
    expect(err.message).to.equal('The Session Manager plugin for the AWS CLI is not installed (`session-manager-plugin` is not on PATH).');
    expect(terminal.started).to.deep.equal([]);
  });

  it('says the forward failed when the AWS CLI ends with an error', async () => {
    const err = await rejection(run(['--env', 'dev'], { end: { code: 255, signal: null } }));
    expect(err.message).to.equal(`The SSM session to ${liveInstances(world)[0]!.id} ended with exit 255.`);
  });

  it('stops before starting anything when the environment has no running box', async () => {
    const terminal = fakeTerminal();
    const err = await rejection(kibana(['--env', 'nope'], { ...cliDeps(fake), desktop: terminal.desktop }));
    expect(err.message).to.equal('No pillbox environment "nope" in eu-west-1.');
    expect(terminal.started).to.deep.equal([]);
  });
});
