// npm run logs as a user runs it (main with argv), against the fake account and a box with logs:
// the compose command sent over SSM, what is printed, and --follow's polls until Ctrl-C.
import { expect } from 'chai';
import { main as logs } from '../../../scripts/logs.js';
import { main as provision } from '../../../scripts/provision.js';
import { liveInstances, rejection, useFakeAws, type FakeAws, type World } from '../fakes/fake-aws.js';
import { cliDeps } from '../fakes/fake-cli.js';
import { logBox, type LogLine } from '../fakes/fake-log-box.js';

const MIN = 60_000;
const LOGS = 'docker compose --project-directory /opt/pillbox/compose --file /opt/pillbox/compose/compose.yaml --env-file /opt/pillbox/compose/.env --env-file /etc/pillbox/pillbox.env --env-file /etc/pillbox/secrets.env logs --no-color';

describe('npm run logs', () => {
  let world: World;
  let fake: FakeAws;
  let lines: LogLine[];
  let sent: string[];
  let services: string[];
  useFakeAws((w, f) => ((world = w), (fake = f)));
  beforeEach(async () => {
    await provision(['--env', 'dev', '--ci'], cliDeps(fake));
    const now = fake.clock.now();
    // 250 app lines a minute apart, then a line from each of two other services.
    lines = [
      ...Array.from({ length: 250 }, (_, i) => ({ service: 'app', at: now - (250 - i) * MIN, text: `{"message":"request ${i}"}` })),
      { service: 'postgres', at: now - 30 * MIN, text: 'LOG:  checkpoint starting: time' },
      { service: 'caddy', at: now - 5 * MIN, text: '{"msg":"certificate obtained successfully"}' },
    ];
    services = ['app', 'caddy', 'elasticsearch', 'kibana', 'postgres'];
    sent = logBox(world, lines, services);
  });
  const printed = (out: string, service: string) => out.split('\n').filter((l) => l.startsWith(`${service}-1  | `));

  it('by default prints the last 200 lines of every service, once, in time order', async () => {
    const cli = cliDeps(fake);
    await logs(['--env', 'dev'], cli);
    expect(sent).to.have.length(1);
    expect(sent[0]).to.match(new RegExp(`^${LOGS} --tail 200$`));
    expect(printed(cli.out(), 'app')).to.have.length(200);
    expect(printed(cli.out(), 'app')[0]).to.equal('app-1  | {"message":"request 50"}');
    expect(cli.out().split('\n').slice(-7, -1), 'in time order').to.deep.equal([
      'app-1  | {"message":"request 245"}',
      'caddy-1  | {"msg":"certificate obtained successfully"}',
      'app-1  | {"message":"request 246"}',
      'app-1  | {"message":"request 247"}',
      'app-1  | {"message":"request 248"}',
      'app-1  | {"message":"request 249"}',
    ]);
    expect(printed(cli.out(), 'postgres')).to.deep.equal(['postgres-1  | LOG:  checkpoint starting: time']);
    expect(cli.err(), 'no follow notice without --follow').to.equal('');
  });

  it('takes the service as the first word, with --tail and --since, and prints only its lines', async () => {
    const cli = cliDeps(fake);
    await logs(['app', '--env', 'dev', '--tail', '3', '--since', '15m'], cli);
    expect(sent[0]).to.match(new RegExp(`^${LOGS} --tail 3 --since 15m app$`));
    expect(cli.out()).to.equal('app-1  | {"message":"request 247"}\napp-1  | {"message":"request 248"}\napp-1  | {"message":"request 249"}\n');
  });

  it('takes the default line count from PILLBOX_LOGS_TAIL', async () => {
    const cli = cliDeps(fake, { env: { AWS_REGION: 'eu-west-1', PILLBOX_LOGS_TAIL: 'all' } });
    await logs(['--env', 'dev', '--service', 'app'], cli);
    expect(sent[0]).to.match(/ --tail all app$/);
    expect(printed(cli.out(), 'app')).to.have.length(250);
  });

  it('names the fix when the service does not exist on the box', async () => {
    const err = await rejection(logs(['web', '--env', 'dev'], cliDeps(fake)));
    expect(err.message).to.equal('docker compose logs failed on the box: no such service: web');
    expect(err.hint).to.equal('`npm run status` lists the services; pass one of those names.');
  });

  it('refuses a bad --tail before asking AWS anything', async () => {
    world.log.length = 0;
    const err = await rejection(logs(['--env', 'dev', '--tail', '0'], cliDeps(fake)));
    expect(err.message).to.equal('--tail=0: expected a number of lines (1 or more) or all');
    expect(world.log).to.deep.equal([]);
  });

  it('with --follow prints the requested lines, then only new ones every 5 s, until Ctrl-C', async () => {
    const cli = cliDeps(fake);
    const started = fake.clock.now();
    const listeners = process.listenerCount('SIGINT');
    let polls = 0;
    world.onCall = (command) => {
      if (command !== 'SendCommand') return;
      polls += 1;
      // Before the second poll runs on the box, the app logs a line; Ctrl-C comes during the third.
      if (polls === 2) lines.push({ service: 'app', at: fake.clock.now() - 1_000, text: '{"message":"new"}' });
      if (polls === 3) process.emit('SIGINT');
    };
    await logs(['app', '--env', 'dev', '--tail', '2', '--follow'], cli);
    expect(cli.err()).to.equal(`Following the logs of app on ${liveInstances(world)[0]!.id}; Ctrl-C stops.\n`);
    expect(cli.out()).to.equal('app-1  | {"message":"request 248"}\napp-1  | {"message":"request 249"}\napp-1  | {"message":"new"}\n');
    expect(sent).to.have.length(3);
    expect(sent[0]).to.match(new RegExp(`^${LOGS} --tail 2 --timestamps app$`));
    expect(sent[1]).to.match(new RegExp(`^${LOGS} --tail all --since ${new Date(lines[249]!.at - 2_000).toISOString().replace('Z', '000000Z')} --timestamps app$`));
    expect(fake.clock.now() - started, 'a poll every 5 s').to.be.within(10_000, 10_000 + 3 * MIN);
    expect(process.listenerCount('SIGINT'), 'Ctrl-C is the terminal\'s again').to.equal(listeners);
  });

  it('with --follow and no service follows every service, and says so', async () => {
    const cli = cliDeps(fake);
    world.onCall = (command) => void (command === 'SendCommand' && process.emit('SIGINT'));
    await logs(['--env', 'dev', '--follow', '--tail', '1'], cli);
    expect(cli.err()).to.equal(`Following the logs of every service on ${liveInstances(world)[0]!.id}; Ctrl-C stops.\n`);
    expect(sent).to.have.length(1);
    expect(sent[0]).to.match(new RegExp(`^${LOGS} --tail 1 --timestamps$`));
    expect(printed(cli.out(), 'caddy')).to.have.length(1);
  });

  it('with --follow stops at a poll that fails, saying why, and gives Ctrl-C back', async () => {
    const listeners = process.listenerCount('SIGINT');
    let polls = 0;
    world.onCall = (command) => {
      // The second poll finds the service gone (the stack was changed meanwhile).
      if (command === 'SendCommand' && ++polls === 2) services.splice(services.indexOf('app'), 1);
    };
    const err = await rejection(logs(['app', '--env', 'dev', '--follow'], cliDeps(fake, { env: { AWS_REGION: 'eu-west-1' } })));
    expect(err.message).to.equal('docker compose logs failed on the box: no such service: app');
    expect(polls).to.equal(2);
    expect(process.listenerCount('SIGINT')).to.equal(listeners);
  });
});
