// A command aimed at an environment that is not there names the ones that are, with the --env to pick.
import { expect } from 'chai';
import { EnvironmentNotFound, requireRunningInstance } from '../../../scripts/lib/aws/environment.js';
import { provision } from '../../../scripts/lib/provision/run.js';
import { rejection, useFakeAws, type FakeAws, type World } from '../fakes/fake-aws.js';
import { aConfig, depsFor } from '../provision/fixtures.js';

describe('requireRunningInstance', () => {
  let world: World;
  let fake: FakeAws;
  useFakeAws((w, f) => ((world = w), (fake = f)));

  it('lists the running environments with the --env that picks one when the target does not exist', async () => {
    await provision(aConfig({ env: 'main' }), depsFor(fake));
    const err = await rejection(requireRunningInstance(fake.clients.ec2, 'feature-add-search', 'eu-west-1'));
    expect(err).to.be.instanceOf(EnvironmentNotFound);
    expect(err.message).to.equal('No pillbox environment "feature-add-search" in eu-west-1.');
    expect((err as EnvironmentNotFound).hint).to.equal('Here: main (running). Pick one with --env (--env main); without it the name follows the git branch.');
  });

  it('says a stopped environment is stopped rather than missing', async () => {
    await provision(aConfig({ env: 'main' }), depsFor(fake));
    world.instances[0]!.state = 'stopped';
    const err = await rejection(requireRunningInstance(fake.clients.ec2, 'main', 'eu-west-1'));
    expect(err.message).to.equal('Environment "main" in eu-west-1 is stopped, not running.');
    expect((err as EnvironmentNotFound).hint).to.equal('`npx pillbox status --env main` shows it; this command needs its box running.');
  });

  it('says none exists, and how to create one, in an empty region', async () => {
    const err = await rejection(requireRunningInstance(fake.clients.ec2, 'main', 'eu-west-1'));
    expect((err as EnvironmentNotFound).hint).to.equal('No environment has a box in eu-west-1: `npx pillbox provision` creates one; if yours is elsewhere, pass --region.');
  });

  it('returns the running box of the environment', async () => {
    await provision(aConfig({ env: 'main' }), depsFor(fake));
    const found = await requireRunningInstance(fake.clients.ec2, 'main', 'eu-west-1');
    expect(found.id).to.equal(world.instances[0]!.id);
  });
});
