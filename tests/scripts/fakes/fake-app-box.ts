// The app's release on a fake box: which commit it runs, its image, where the edge routes,
// and the deploy and rollback lines that change them (the swap steps as swap-steps.ts names them).
import { createHash } from 'node:crypto';
import { COMMIT_FILE } from '../../../scripts/lib/box/layout.js';
import { toShellLine } from '../../../scripts/lib/box/ssm-run.js';
import { changedInputsCommand, recordAppliedCommand } from '../../../scripts/lib/deploy/infrastructure.js';
import { buildCommand, rangeSetCommand } from '../../../scripts/lib/deploy/plan.js';
import { secretPresentCommand, WRITE_PASSWORD_ENTRY, writeSmokeCommand } from '../../../scripts/lib/deploy/write-password-checks.js';
import { envNames } from '../../../scripts/lib/core/names.js';
import type { FakeInstance, World } from './fake-aws.js';
import type { Reply } from './fake-box.js';
import { swapStepOf } from './swap-steps.js';

export interface AppRelease {
  commit: string;
  imageId: string;
  routed: string;
  /** Commits whose archives the box fetched. */
  fetched: string[];
  /** The release whose infrastructure the box last applied (its record), if any. */
  applied?: string;
}

/** The capped build as the box receives it. */
const BUILD_LINE = toShellLine(buildCommand());
const SECRET_PRESENT_LINE = toShellLine(secretPresentCommand());
const WRITE_SMOKE_LINE = toShellLine(writeSmokeCommand());
const RANGE_SET_LINE = toShellLine(rangeSetCommand());
/** The deploy's comparison of two releases and its record, whatever the commits: releases here differ in the app only. */
const shaArg = /[0-9a-f]{40}/g;
const COMPARE_SHAPE = toShellLine(changedInputsCommand('0'.repeat(40), '1'.repeat(40))).replace(shaArg, '');
const RECORD_SHAPE = toShellLine(recordAppliedCommand('0'.repeat(40))).replace(shaArg, '');
const imageOf = (commit: string): string => `sha256:${createHash('sha256').update(commit).digest('hex')}`;

/** Makes every box of `world` answer deploys; a box starts on the commit of its GitSha tag. Returns each box's release by instance id. */
export function appBoxes(world: World): Map<string, AppRelease> {
  const releases = new Map<string, AppRelease>();
  const releaseOf = (i: FakeInstance): AppRelease => {
    let r = releases.get(i.id);
    if (!r) {
      const commit = i.tags.find((t) => t.Key === 'GitSha')?.Value ?? '0'.repeat(40);
      r = { commit, imageId: imageOf(commit), routed: 'app', fetched: [] };
      releases.set(i.id, r);
    }
    return r;
  };
  const answer = (i: FakeInstance, line: string): Reply | undefined => {
    const r = releaseOf(i);
    if (line.includes(COMMIT_FILE) && line.startsWith('sh -c ')) return { stdout: `${r.commit}\n${r.imageId} pillbox-app\n` };
    const fetch = /^\/usr\/local\/sbin\/pillbox-source fetch ([0-9a-f]{40}) /.exec(line);
    if (fetch) return (r.fetched.push(fetch[1]!), { stdout: '' });
    const activate = /^\/usr\/local\/sbin\/pillbox-source activate ([0-9a-f]{40})$/.exec(line);
    if (activate) return (r.commit = activate[1]!), { stdout: '' };
    if (line === BUILD_LINE) return (r.imageId = imageOf(r.commit)), { stdout: '' };
    if (line.includes(' pillbox-app:rollback ')) return { stdout: '' };
    // Provision wrote the allowed range into the box's settings.
    if (line === RANGE_SET_LINE) return { stdout: '' };
    const shas = line.match(shaArg) ?? [];
    if (line.replace(shaArg, '') === COMPARE_SHAPE) return { stdout: `from ${r.applied ?? shas[0]}\n` };
    if (line.replace(shaArg, '') === RECORD_SHAPE) return (r.applied = shas[0]), { stdout: '' };
    // The box's secrets.env holds what Parameter Store holds for its environment; the app takes the write password.
    const hasWritePassword = world.params.has(envNames(i.tags.find((t) => t.Key === 'Env')?.Value ?? '').secretParameter(WRITE_PASSWORD_ENTRY));
    if (line === SECRET_PRESENT_LINE) return hasWritePassword ? { stdout: '' } : { exitCode: 3, stderr: `${WRITE_PASSWORD_ENTRY} is not in /etc/pillbox/secrets.env, nor in Parameter Store\n` };
    if (line === WRITE_SMOKE_LINE) return { stdout: hasWritePassword ? '422' : '401' };
    const step = swapStepOf(line, Number(/ http:\/\/127\.0\.0\.1:3000\/readyz (\d+) /.exec(line)?.[1] ?? 0));
    if (step === undefined) return undefined;
    if (step === 'route?') return { stdout: `${r.routed}\n` };
    if (step.startsWith('route ')) r.routed = step.slice(6);
    return { stdout: '' };
  };
  world.boxAnswers = [...(world.boxAnswers ?? []), answer];
  return releases;
}
