import { expect } from 'chai';
import { cheapestFullSetType, LOGS_MIN_MEMORY_GIB, LOGS_PROFILE, profileArgs, stackProfiles } from '../../../scripts/lib/box/stack-profiles.js';
import { INSTANCE_TYPES } from '../../../scripts/lib/core/pricing.js';
import { loadCompose } from '../../compose/compose-files.js';

describe('stack profiles', () => {
  it('runs Filebeat (profile logs) on 8 GiB types only, never on the default t3.medium', () => {
    expect(stackProfiles(INSTANCE_TYPES['t3.medium']!.memoryGiB)).to.deep.equal([]);
    expect(stackProfiles(INSTANCE_TYPES['t3.large']!.memoryGiB)).to.deep.equal([LOGS_PROFILE]);
    expect(stackProfiles(LOGS_MIN_MEMORY_GIB - 1)).to.deep.equal([]);
  });

  it('names the profile compose.yaml gives Filebeat', () => {
    expect(loadCompose('compose/compose.yaml').services['filebeat']?.profiles).to.deep.equal([LOGS_PROFILE]);
  });

  it('prices the cheapest listed type with enough memory', () => {
    expect(cheapestFullSetType()).to.equal('t3a.large');
    const cheaper = Object.entries(INSTANCE_TYPES).filter(([, i]) => i.memoryGiB >= LOGS_MIN_MEMORY_GIB && i.hourlyUsd < INSTANCE_TYPES['t3a.large']!.hourlyUsd);
    expect(cheaper).to.deep.equal([]);
  });

  it('turns profiles into compose flags', () => {
    expect(profileArgs(['logs', 'deploy'])).to.deep.equal(['--profile', 'logs', '--profile', 'deploy']);
  });
});
