// The optional compose profiles a box runs, chosen by its memory: the full set does not fit a 4 GiB box.
import { INSTANCE_TYPES } from '../core/pricing.js';

/** Filebeat's profile in compose/compose.yaml: container logs shipped into Elasticsearch. */
export const LOGS_PROFILE = 'logs';
/**
 * On a t3.medium, Filebeat's limit would leave the host under 512 MiB during a deploy (compose/README.md, memory
 * budget; tests/compose/invariants.test.ts checks both sizes), so it runs on 8 GiB types only.
 */
export const LOGS_MIN_MEMORY_GIB = 8;

export const stackProfiles = (memoryGiB: number): string[] => (memoryGiB >= LOGS_MIN_MEMORY_GIB ? [LOGS_PROFILE] : []);

export const profileArgs = (profiles: readonly string[]): string[] => profiles.flatMap((p) => ['--profile', p]);

/** The cheapest listed type that runs the full set: what --plan prices when the asked-for type cannot. */
export function cheapestFullSetType(): string {
  const [cheapest] = Object.entries(INSTANCE_TYPES)
    .filter(([, info]) => info.memoryGiB >= LOGS_MIN_MEMORY_GIB)
    .sort(([, a], [, b]) => a.hourlyUsd - b.hourlyUsd);
  if (!cheapest) throw new Error(`no listed instance type has ${LOGS_MIN_MEMORY_GIB} GiB`);
  return cheapest[0];
}
