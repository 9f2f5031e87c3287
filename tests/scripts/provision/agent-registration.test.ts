// Provision against the SSM agent’s real retry schedule (amazon-ssm-agent 3.3.1142.0,
// core/app/credentialrefresher): an agent refused while the role propagates sleeps 25-30 min
// unless the bootstrap restarts it; one that never registers leaves only the console to read.
import { expect } from 'chai';
import { POLICY_SETTLE_MS, provision } from '../../../scripts/lib/provision/run.js';
import { agentRegisteredAt, rejection, useFakeAws, type FakeAws, type World } from '../fakes/fake-aws.js';
import { aConfig, depsFor } from './fixtures.js';

const MINUTE = 60_000;

describe('provision and the SSM agent', () => {
  let world: World;
  let fake: FakeAws;
  useFakeAws((w, f) => ((world = w), (fake = f)));

  it('launches only once the instance policy written this run has had time to settle', async () => {
    const at = new Map<string, number>();
    let policies = 0;
    world.onCall = (command) => {
      if (command === 'PutRolePolicy' && ++policies === 1) at.set('policy', fake.clock.now());
      if (command === 'RunInstances' && !at.has('launch')) at.set('launch', fake.clock.now());
    };
    await provision(aConfig(), depsFor(fake));
    expect(at.get('launch')! - at.get('policy')!).to.be.at.least(POLICY_SETTLE_MS);
  });

  it('waits for an agent refused while the role propagated until the bootstrap restarts it', async () => {
    world.timing.policyEffectiveMs = 4 * MINUTE;
    world.timing.bootstrapMs = 7 * MINUTE;
    const result = await provision(aConfig(), depsFor(fake));
    expect(result.waited).to.equal(true);
    const box = world.instances[0]!;
    // Refused at its first check, it would have slept 25 min; the restart brought it in.
    expect(agentRegisteredAt(world, box) - box.launchedAt).to.equal(world.timing.pendingMs + 7 * MINUTE);
  });

  it('ends with the console’s last lines when the agent never comes online, naming how to read the rest', async () => {
    world.timing.agentOnlineMs = 60 * MINUTE;
    world.box.consoleOutput = `${Array.from({ length: 40 }, (_, i) => `[  ${i}.000000] boot line ${i}`).join('\r\n')}\r\n[   41.000000] cloud-init[1234]: Cannot reach ssm.eu-west-1.amazonaws.com\r\n`;
    const err = await rejection(provision(aConfig(), depsFor(fake)));
    const id = world.instances[0]!.id;
    expect(err.message).to.match(new RegExp(`^Timed out after 13 min waiting for the SSM agent of ${id} to come online\\.\\nThe last lines of its console output:\\n\\[  16\\.000000\\] boot line 16\\n`));
    expect(err.message).to.match(/Cannot reach ssm\.eu-west-1\.amazonaws\.com$/m);
    expect(err.message).to.not.include('boot line 15\n');
    expect(err.hint).to.include(`aws ec2 get-console-output --latest --instance-id ${id} --output text`);
  });
});

describe('provision and cloud-init 23.4+', () => {
  let world: World;
  let fake: FakeAws;
  useFakeAws((w, f) => ((world = w), (fake = f)));

  it('takes `cloud-init status` exit 2 as done with recoverable errors, and prints them', async () => {
    world.box.cloudInitExit = 2;
    const deps = depsFor(fake);
    const result = await provision(aConfig(), deps);
    expect(result.waited).to.equal(true);
    expect(result.cloudInitWarnings).to.match(/recoverable_errors:\nWARNING:\n\t- Deprecated cloud-config provided: chpasswd\.list$/);
    expect(deps.log()).to.include('! cloud-init finished with recoverable errors (exit 2); the box went on:');
  });

  it('still stops on exit 1', async () => {
    world.box.cloudInitExit = 1;
    const err = await rejection(provision(aConfig(), depsFor(fake)));
    expect(err.message).to.match(/^cloud-init failed on the box/);
  });
});
