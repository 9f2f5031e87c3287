import { DescribeInstancesCommand, DescribeVolumesCommand, EC2Client, type Instance } from '@aws-sdk/client-ec2';
import { GetScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import { fakeClock } from '../fakes/fake-clock.js';
import { PS_TEMPLATE } from '../../../scripts/lib/box/compose-health.js';
import { collectStatus, renderStatus } from '../../../scripts/lib/status/report.js';
import { formatUtc } from '../../../scripts/lib/core/time.js';
import { tagDeployedCommit } from '../../../scripts/lib/aws/instance.js';
import { provision } from '../../../scripts/lib/provision/run.js';
import { awsError, failNext, renderComposePs, useFakeAws, type FakeAws, type World } from '../fakes/fake-aws.js';
import { aConfig, depsFor } from '../provision/fixtures.js';
import { fakeBox, useBoxMocks } from '../fakes/fake-box.js';
import { aLeafCertificate } from '../../support/certificate.js';

const NOW = new Date('2026-11-22T12:00:00Z');

function anInstance(over: { id: string; env: string; state?: string; launch?: string; expires?: string; type?: string; stoppedAt?: string }): Instance {
  return {
    ...(over.stoppedAt ? { StateTransitionReason: `User initiated (${over.stoppedAt} GMT)` } : {}),
    InstanceId: over.id,
    InstanceType: (over.type ?? 't3.medium') as Instance['InstanceType'],
    State: { Name: (over.state ?? 'running') as 'running' },
    LaunchTime: new Date(over.launch ?? '2026-11-22T09:00:00Z'),
    PublicDnsName: over.state === 'stopped' ? '' : `ec2-3-250-1-${over.id.slice(-1)}.eu-west-1.compute.amazonaws.com`,
    PublicIpAddress: over.state === 'stopped' ? undefined : `3.250.1.${over.id.slice(-1)}`,
    Tags: [
      { Key: 'Project', Value: 'pillbox' },
      { Key: 'Env', Value: over.env },
      { Key: 'ExpiresAt', Value: over.expires ?? '2026-11-23T09:00:00Z' },
      { Key: 'GitSha', Value: '3f2a1c0d9e8b7a6f5e4d3c2b1a0f9e8d7c6b5a49' },
    ],
  };
}

const SERVICES = [
  { Service: 'app', State: 'running', Health: 'healthy', ExitCode: 0, Publishers: null },
  { Service: 'elasticsearch', State: 'running', Health: 'healthy', ExitCode: 0, Publishers: [] },
  { Service: 'setup', State: 'exited', Health: '', ExitCode: 0, Publishers: null },
  { Service: 'kibana', State: 'running', Health: 'starting', ExitCode: 0, Publishers: [] },
];
/** What compose prints for the format the command asks for. */
const ps = (line: string) => ({ stdout: renderComposePs(SERVICES, line) });
// A Let's Encrypt certificate for the box's address (valid from the real clock's now).
const CERTIFICATE = aLeafCertificate("/O=Let's Encrypt/CN=3.250.1.1", 5);
/** The box: compose's services, and the edge probe's site and certificate. */
const theBox = (line: string) => (line.includes('PILLBOX_SITE=') ? { stdout: `site 3.250.1.1\n${CERTIFICATE}` } : ps(line));
const RUNNING_HOURLY = 0.0416 + (30 * 0.08) / 730 + 0.005;

describe('status', () => {
  const mocks = useBoxMocks();
  let scheduler: AwsClientStub<SchedulerClient>;
  beforeEach(() => {
    scheduler = mockClient(SchedulerClient);
    scheduler.on(GetScheduleCommand).resolves({ ScheduleExpression: 'at(2026-11-23T09:26:00)' });
  });
  afterEach(() => scheduler.restore());

  const deps = () => ({
    ec2: new EC2Client({ region: 'eu-west-1' }),
    ssm: new SSMClient({ region: 'eu-west-1' }),
    scheduler: new SchedulerClient({ region: 'eu-west-1' }),
    now: () => NOW,
    newId: () => 'abcdef01',
    clock: fakeClock(),
  });

  it('reports state, URL, age, time left, cost and service health of each environment', async () => {
    mocks.ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [{ Instances: [anInstance({ id: 'i-01', env: 'main' }), anInstance({ id: 'i-02', env: 'feature-x', state: 'stopped', launch: '2026-11-21T12:00:00Z' })] }],
    });
    mocks.ec2.on(DescribeVolumesCommand).resolves({
      Volumes: [
        { Size: 30, Attachments: [{ InstanceId: 'i-01' }] },
        { Size: 20, Attachments: [{ InstanceId: 'i-02' }] },
      ],
    });
    const box = fakeBox(mocks.ssm, (line) =>
      line.includes(`ps --all --format '${PS_TEMPLATE}'`) || line.includes('PILLBOX_SITE=') ? theBox(line) : { exitCode: 127, stderr: `unexpected: ${line}` },
    );

    const [main, feature] = await collectStatus(deps());

    // The URL the edge serves: its certificate's site, over HTTPS.
    expect(main).to.deep.include({ env: 'main', state: 'running', url: 'https://3.250.1.1/', ageMs: 3 * 3_600_000, timeLeftMs: 21 * 3_600_000, volumeGiB: 30 });
    expect(main?.edge).to.deep.include({ https: true });
    expect(main?.costSoFarUsd).to.be.closeTo(3 * RUNNING_HOURLY, 1e-9);
    expect(main?.services?.map((s) => [s.service, s.state, s.health])).to.deep.equal([
      ['app', 'running', 'healthy'],
      ['elasticsearch', 'running', 'healthy'],
      ['kibana', 'running', 'starting'],
      ['setup', 'exited', ''],
    ]);
    expect(feature).to.deep.include({ env: 'feature-x', state: 'stopped', url: undefined, servicesNote: 'instance is stopped' });
    expect(box.lines()).to.have.length(3);
    expect(box.lines()[1]).to.equal('systemctl show --property=NextElapseUSecRealtime --value pillbox-expire.timer');
    expect(main?.guards).to.deep.equal({ offBox: '2026-11-23T09:26:00.000Z', onBox: 'unknown (unexpected: systemctl show --property=NextElapseUSecRealtime --value pillbox-expire.timer)' });
    expect(box.lines()[2]).to.match(/^sh -c '.*PILLBOX_SITE=.*' sh \/etc\/pillbox\/pillbox.env docker compose /s);
    expect(box.lines()[0]).to.contain(
      `docker compose --project-directory /opt/pillbox/compose --file /opt/pillbox/compose/compose.yaml --env-file /opt/pillbox/compose/.env --env-file /etc/pillbox/pillbox.env --env-file /etc/pillbox/secrets.env ps --all --format '${PS_TEMPLATE}'`,
    );
    expect(mocks.ec2.commandCalls(DescribeInstancesCommand)[0]?.args[0].input.Filters).to.deep.include({ Name: 'tag:Project', Values: ['pillbox'] });
  });

  it('asks EC2 for one environment only when one is named', async () => {
    mocks.ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
    expect(await collectStatus(deps(), 'main')).to.deep.equal([]);
    expect(mocks.ec2.commandCalls(DescribeInstancesCommand)[0]?.args[0].input.Filters).to.deep.include({ Name: 'tag:Env', Values: ['main'] });
    expect(mocks.ec2.commandCalls(DescribeVolumesCommand)).to.have.length(0);
  });

  it('skips service health with a note when the SSM agent is not online', async () => {
    mocks.ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [anInstance({ id: 'i-01', env: 'main' })] }] });
    mocks.ec2.on(DescribeVolumesCommand).resolves({ Volumes: [] });
    mocks.ssm.on(SendCommandCommand).rejects(Object.assign(new Error('Instances [[i-01]] not in a valid state for account'), { name: 'InvalidInstanceId' }));
    const [main] = await collectStatus(deps());
    expect(main?.services).to.equal(undefined);
    expect(main?.servicesNote).to.match(/SSM agent not online/);
    // The address provision prints, not the EC2 DNS name.
    expect(main?.url).to.equal('http://3.250.1.1/');
  });

  it('renders one block per environment with times in UTC and in the operator zone', async () => {
    mocks.ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [anInstance({ id: 'i-01', env: 'main' })] }] });
    mocks.ec2.on(DescribeVolumesCommand).resolves({ Volumes: [{ Size: 30, Attachments: [{ InstanceId: 'i-01' }] }] });
    fakeBox(mocks.ssm, theBox);
    const [main] = await collectStatus(deps());
    const edge = (main?.edge as { summary: string }).summary;
    expect(edge).to.match(/^HTTPS, certificate from Let's Encrypt valid until \d{4}-\d\d-\d\d \d\d:\d\d UTC \(\d+ days left; Caddy renews it\)$/);
    const text = renderStatus([main!], 'eu-west-1', NOW, 'Asia/Kolkata');
    expect(text).to.equal(
      [
        'pillbox environments in eu-west-1 (1)',
        '',
        'main  i-01  running  t3.medium',
        '  url       https://3.250.1.1/',
        `  edge      ${edge}`,
        '  commit    3f2a1c0',
        '  age       3h 00m (launched 2026-11-22 09:00:00 UTC)',
        '  expires   in 21h 00m — 2026-11-23 09:00:00 UTC (Mon 23 Nov 14:30 GMT+5:30)',
        '  guards    box timer NOT armed: pillbox-expire.timer has no next run · off-box 2026-11-23 09:26:00 UTC',
        '  cost      $0.1497 so far (on-demand estimate, $0.0499/h with the volume and public IPv4)',
        '  monthly   $36.42 a month at this rate',
        '  services  app healthy · elasticsearch healthy · kibana starting · setup exited(0)',
        '',
      ].join('\n'),
    );
  });

  it('says the edge serves plain HTTP, and why, while it holds no certificate; and an expired one loudly', async () => {
    mocks.ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [anInstance({ id: 'i-01', env: 'main' })] }] });
    mocks.ec2.on(DescribeVolumesCommand).resolves({ Volumes: [] });
    fakeBox(mocks.ssm, (line) => (line.includes('PILLBOX_SITE=') ? { stdout: 'site app.example.com\n' } : ps(line)));
    const [plain] = await collectStatus(deps());
    expect(plain?.url).to.equal('http://app.example.com/');
    expect(renderStatus([plain!], 'eu-west-1', NOW, 'UTC')).to.include("  edge      no certificate yet: plain HTTP answers 503 until one is issued (`npm run logs caddy` says why; Let's Encrypt must reach port 80)\n");
    fakeBox(mocks.ssm, theBox);
    const [expired] = await collectStatus({ ...deps(), now: () => new Date(Date.now() + 30 * 86_400_000) });
    expect((expired?.edge as { summary: string }).summary).to.match(/^HTTPS with an EXPIRED certificate \(Let's Encrypt, ended .* UTC\): renewals fail, see `npm run logs caddy`$/);
  });

  it('says how to create an environment when there is none', () => {
    expect(renderStatus([], 'eu-west-1', NOW, 'UTC')).to.equal('No pillbox environments in eu-west-1. Create one with `npm run provision`.\n');
  });

  it('costs a stopped box as stopped: running until it stopped, then the volume only (its public IPv4 is released)', async () => {
    mocks.ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [{ Instances: [anInstance({ id: 'i-02', env: 'feature-x', state: 'stopped', launch: '2026-11-21T12:00:00Z', stoppedAt: '2026-11-22 00:00:00' })] }],
    });
    mocks.ec2.on(DescribeVolumesCommand).resolves({ Volumes: [{ Size: 20, Attachments: [{ InstanceId: 'i-02' }] }] });
    const [feature] = await collectStatus(deps());
    const volumeHourly = (20 * 0.08) / 730;
    expect(feature?.hourlyUsd).to.be.closeTo(volumeHourly, 1e-12);
    expect(feature?.costSoFarUsd).to.be.closeTo(12 * (0.0416 + volumeHourly + 0.005) + 12 * volumeHourly, 1e-9);
    expect(renderStatus([feature!], 'eu-west-1', NOW, 'UTC')).to.include('  cost      $0.6118 so far (on-demand estimate, $0.0022/h while stopped: the volume only)\n  monthly   $1.60 a month at this rate (stopped: the volume only)\n');
  });

  it('shows no cost so far for a stopped box whose stop time EC2 does not state, rather than a wrong one', async () => {
    mocks.ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [anInstance({ id: 'i-02', env: 'feature-x', state: 'stopped' })] }] });
    mocks.ec2.on(DescribeVolumesCommand).resolves({ Volumes: [{ Size: 20, Attachments: [{ InstanceId: 'i-02' }] }] });
    const [feature] = await collectStatus(deps());
    expect(feature?.costSoFarUsd).to.equal(undefined);
    expect(renderStatus([feature!], 'eu-west-1', NOW, 'UTC')).to.include('  cost      unknown so far ($0.0022/h while stopped: the volume only)');
  });

  it('reads every page of DescribeInstances and DescribeVolumes', async () => {
    mocks.ec2
      .on(DescribeInstancesCommand)
      .resolvesOnce({ Reservations: [], NextToken: 't1' })
      .resolvesOnce({ Reservations: [{ Instances: [anInstance({ id: 'i-01', env: 'main', state: 'stopped' })] }], NextToken: 't2' })
      .resolves({ Reservations: [{ Instances: [anInstance({ id: 'i-02', env: 'other', state: 'stopped' })] }] });
    mocks.ec2.on(DescribeVolumesCommand).resolvesOnce({ Volumes: [{ Size: 30, Attachments: [{ InstanceId: 'i-01' }] }], NextToken: 'v1' }).resolves({ Volumes: [{ Size: 40, Attachments: [{ InstanceId: 'i-02' }] }] });
    const statuses = await collectStatus(deps());
    expect(statuses.map((x) => [x.instanceId, x.volumeGiB])).to.deep.equal([
      ['i-01', 30],
      ['i-02', 40],
    ]);
  });
});

describe('status of a provisioned box', () => {
  let world: World;
  let fake: FakeAws;
  useFakeAws((w, f) => ((world = w), (fake = f)));

  it('shows the commit a deploy recorded on the GitSha tag, through paged answers', async () => {
    await provision(aConfig(), depsFor(fake));
    const deployed = '9be41d7a0000000000000000000000000000beef';
    await tagDeployedCommit(fake.clients.ec2, world.instances[0]!.id, deployed);
    const [box] = await collectStatus(statusDeps(fake));
    expect(box?.gitSha).to.equal(deployed);
    expect(box?.volumeGiB).to.equal(30);
    expect(box?.services?.map((x) => x.service)).to.deep.equal(['app', 'elasticsearch', 'setup']);
    expect(renderStatus([box!], 'eu-west-1', new Date(fake.clock.now()), 'UTC')).to.include('  commit    9be41d7\n');
  });
});

function statusDeps(fake: FakeAws) {
  return { ec2: fake.clients.ec2, ssm: fake.clients.ssm, scheduler: fake.clients.scheduler, now: () => new Date(fake.clock.now()), newId: () => 'abcdef01', clock: fake.clock };
}

describe('status of the expiry guards', () => {
  let world: World;
  let fake: FakeAws;
  useFakeAws((w, f) => ((world = w), (fake = f)));

  it('shows when each guard fires: the box’s timer at ExpiresAt, the Scheduler one-shot after the last backup', async () => {
    const result = await provision(aConfig(), depsFor(fake));
    const [box] = await collectStatus(statusDeps(fake));
    const expires = new Date(result.expiresAt);
    expect(box?.guards).to.deep.equal({ offBox: new Date(expires.getTime() + 26 * 60_000).toISOString(), onBox: formatUtc(expires) });
    const text = renderStatus([box!], 'eu-west-1', new Date(fake.clock.now()), 'UTC');
    expect(text).to.include(`  guards    box timer ${formatUtc(expires)} · off-box ${formatUtc(new Date(expires.getTime() + 26 * 60_000))}\n`);
  });

  it('names a box whose schedule is missing (its arming failed) and how to re-arm it', async () => {
    await provision(aConfig(), depsFor(fake));
    world.schedules.clear();
    const [box] = await collectStatus(statusDeps(fake));
    expect(box?.guards?.offBox).to.equal('missing');
    expect(renderStatus([box!], 'eu-west-1', new Date(fake.clock.now()), 'UTC')).to.include('· off-box MISSING (`npm run extend -- --hours 1` or `npm run provision` re-arms it)\n');
  });

  it('shows the off-box guard as unknown, and the rest of the status, to a caller without scheduler:GetSchedule', async () => {
    await provision(aConfig(), depsFor(fake));
    failNext(world, 'GetSchedule', awsError('AccessDeniedException', 'User is not authorized to perform: scheduler:GetSchedule'));
    const [box] = await collectStatus(statusDeps(fake));
    expect(box?.guards?.offBox).to.equal('unknown (AccessDeniedException)');
    expect(box?.services).to.not.equal(undefined);
    expect(renderStatus([box!], 'eu-west-1', new Date(fake.clock.now()), 'UTC')).to.match(/ · off-box unknown \(AccessDeniedException\)\n/);
  });
});
