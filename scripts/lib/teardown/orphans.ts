// Which environments the sweep may remove from their leftovers alone (aws/leftovers.ts). Pure.
// An environment with a live box is never judged here: its instance decides. Without one, it
// goes only when something of it belongs to this region and every expiry it carries has
// passed (a kept role or secret keeps its first ExpiresAt; a lock a new provision took carries
// the new one, so a provision under way keeps its environment). IAM is global: a role that
// names another region, or IAM things naming none, are reported and kept.
import type { Leftover } from '../aws/leftovers.js';
import { isoSeconds } from '../core/names.js';

export interface OrphanVerdict {
  env: string;
  leftovers: Leftover[];
  expired: boolean;
  /** Why it stays, when it does. */
  kept?: string;
}

function judge(env: string, leftovers: Leftover[], region: string, now: number): OrphanVerdict {
  const keep = (kept: string): OrphanVerdict => ({ env, leftovers, expired: false, kept });
  const elsewhere = leftovers.find((l) => l.region !== undefined && l.region !== region);
  if (elsewhere) return keep(`its ${elsewhere.kind} ${elsewhere.name} belongs to ${elsewhere.region} (IAM is global): sweep there with --region ${elsewhere.region}`);
  if (!leftovers.some((l) => l.region === region)) {
    return keep(`only IAM things that name no region: \`npm run teardown -- --env ${env} --region <its region>\` removes them`);
  }
  const times = leftovers.flatMap((l) => (l.expiresAt ? [l.expiresAt.getTime()] : []));
  if (times.length === 0) {
    // Teardown's own lock carries no ExpiresAt; alone, it is what a teardown killed after its last
    // removal left. It goes, but only once over STALE_MS old as it reads then (teardown/run.ts).
    if (leftovers.every((l) => l.kind === 'lock')) return { env, leftovers, expired: true };
    return keep('none of it carries an ExpiresAt');
  }
  const latest = Math.max(...times);
  if (latest > now) return keep(`not expired: the latest ExpiresAt is ${isoSeconds(new Date(latest))}`);
  return { env, leftovers, expired: true };
}

/** A verdict per environment that has leftovers but no live instance, sorted by name. */
export function judgeOrphans(leftovers: readonly Leftover[], live: ReadonlySet<string>, region: string, now: number): OrphanVerdict[] {
  const byEnv = new Map<string, Leftover[]>();
  for (const l of leftovers) if (!live.has(l.env)) byEnv.set(l.env, [...(byEnv.get(l.env) ?? []), l]);
  return [...byEnv.keys()].sort().map((env) => judge(env, byEnv.get(env) ?? [], region, now));
}

/** `role pillbox-dev-instance, 10 parameter(s), lock`: what was found of an environment, in a line. */
export function describeLeftovers(leftovers: readonly Leftover[]): string {
  const parameters = leftovers.filter((l) => l.kind === 'parameter').length;
  return [...leftovers.filter((l) => l.kind !== 'parameter').map((l) => (l.kind === 'lock' ? 'lock' : `${l.kind} ${l.name}`)), ...(parameters ? [`${parameters} parameter(s)`] : [])].join(', ');
}
