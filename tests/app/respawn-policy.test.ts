import { expect } from 'chai';
import { RespawnTracker, respawnPolicyFor } from '../../app/src/cluster/respawn-policy.js';

describe('respawn policy', () => {
  it('backs off exponentially, capped, for deaths close together', () => {
    const tracker = new RespawnTracker(respawnPolicyFor(4));
    const delays = [0, 1, 2, 3, 4, 5].map((i) => tracker.onDeath(1_000 + i));
    expect(delays.map((d) => (d.action === 'respawn' ? d.delayMs : -1))).to.deep.equal([100, 200, 400, 800, 1600, 2000]);
  });

  it('gives up once more workers die within the window than the policy allows', () => {
    const tracker = new RespawnTracker(respawnPolicyFor(2));
    const decisions = Array.from({ length: 6 }, (_, i) => tracker.onDeath(i * 1000));
    expect(decisions.slice(0, 5).every((d) => d.action === 'respawn')).to.equal(true);
    expect(decisions[5]).to.deep.equal({ action: 'give-up', deaths: 6 });
  });

  it('forgets deaths older than the window, so an occasional crash never stops the service', () => {
    const tracker = new RespawnTracker(respawnPolicyFor(1));
    for (let i = 0; i < 20; i++) expect(tracker.onDeath(i * 31_000)).to.deep.equal({ action: 'respawn', delayMs: 100 });
  });
});
