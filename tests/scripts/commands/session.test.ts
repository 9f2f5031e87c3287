// npm run session as a user runs it (main with argv), against the fake account and a fake terminal:
// the shell session the AWS CLI is started with, and how it ends.
import { expect } from 'chai';
import { main as provision } from '../../../scripts/provision.js';
import { main as session } from '../../../scripts/session.js';
import { liveInstances, rejection, useFakeAws, type FakeAws, type World } from '../fakes/fake-aws.js';
import { cliDeps } from '../fakes/fake-cli.js';
import { fakeTerminal, type TerminalOptions } from '../fakes/fake-terminal.js';

describe('npm run session', () => {
  let world: World;
  let fake: FakeAws;
  useFakeAws((w, f) => ((world = w), (fake = f)));
  beforeEach(() => provision(['--env', 'dev', '--ci'], cliDeps(fake)));

  async function run(argv: string[], options: TerminalOptions = {}, regions: (string | undefined)[] = []) {
    const terminal = fakeTerminal(options);
    const cli = cliDeps(fake, { awsClients: (region) => (regions.push(region), fake.clients) });
    await session(argv, { ...cli, terminal: terminal.desktop });
    return { ...terminal, cli };
  }

  it('starts `aws ssm start-session` on the running box with the default shell document, and says how to leave on stderr', async () => {
    const { started, cli } = await run(['--env', 'dev']);
    const box = liveInstances(world)[0]!;
    expect(started).to.deep.equal([{ command: 'aws', args: ['ssm', 'start-session', '--target', box.id, '--region', 'eu-west-1'] }]);
    expect(cli.err()).to.equal(`Opening a shell on ${box.id} through SSM Session Manager (exit to leave; Ctrl-C goes to the remote shell).\n`);
    expect(cli.out()).to.equal('');
  });

  it('ends quietly when the operator types exit', async () => {
    const { started } = await run(['--env', 'dev'], { end: { code: 0, signal: null } });
    expect(started).to.have.length(1);
  });

  it('asks the region given with --region, and by default the one the SDK resolves', async () => {
    const regions: (string | undefined)[] = [];
    await run(['--env', 'dev', '--region', 'eu-west-1'], {}, regions);
    await run(['--env', 'dev'], {}, regions);
    expect(regions).to.deep.equal(['eu-west-1', undefined]);
  });

  it('says the session failed, and what TargetNotConnected means, when the AWS CLI ends with an error', async () => {
    const err = await rejection(run(['--env', 'dev'], { end: { code: 254, signal: null } }));
    expect(err.message).to.equal(`The SSM session to ${liveInstances(world)[0]!.id} ended with exit 254.`);
    expect(err.hint).to.match(/^If AWS said TargetNotConnected/);
  });

  it('names what to install when the AWS CLI is v1, and starts nothing', async () => {
    const err = await rejection(run(['--env', 'dev'], { programs: { aws: 'aws-cli/1.29.0 Python/3.9', 'session-manager-plugin': '1.2.650.0' } }));
    expect(err.message).to.equal('The AWS CLI on PATH is version 1 (aws-cli/1.29.0); sessions need v2.');
  });

  it('stops before starting anything when the box is not running', async () => {
    liveInstances(world)[0]!.state = 'stopped';
    const terminal = fakeTerminal();
    const err = await rejection(session(['--env', 'dev'], { ...cliDeps(fake), terminal: terminal.desktop }));
    expect(err.message).to.equal('Environment "dev" in eu-west-1 is stopped, not running.');
    expect(terminal.started).to.deep.equal([]);
  });
});
