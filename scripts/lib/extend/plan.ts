// What `npm run extend` works out: the new expiry (pure arithmetic on epoch milliseconds,
// UTC) and the command that moves the box's timer to it.
import { expiryDropIn } from '../box/expiry-timer.js';
import { EXPIRE_DROP_IN, EXPIRE_SERVICE, EXPIRE_TIMER } from '../box/layout.js';
import { OperatorError } from '../core/operator-error.js';
import { formatUtc } from '../core/time.js';

const HOUR_MS = 3_600_000;

/** The instance's ExpiresAt; a missing or malformed tag is a broken environment, not something to guess. */
export function requireExpiry(expiresAt: Date | undefined, instanceId: string): Date {
  if (expiresAt === undefined || Number.isNaN(expiresAt.getTime())) {
    throw new OperatorError(
      `The instance ${instanceId} has no valid ExpiresAt tag.`,
      'It was not created by `npm run provision`, or the tag was edited by hand: set ExpiresAt to an ISO 8601 UTC time (e.g. 2026-01-31T18:00:00Z) in the EC2 console.',
    );
  }
  return expiresAt;
}

export interface ExtendInput {
  /** The current ExpiresAt. */
  current: Date;
  now: Date;
  hours: number;
  /** The longest time a box may live from now (the TTL cap). */
  capHours: number;
}

/**
 * The new expiry: `hours` after the current expiry (or after now, when the box is
 * already past it), whole seconds, never further than `capHours` from now.
 */
export function extendExpiry({ current, now, hours, capHours }: ExtendInput): Date {
  if (!Number.isInteger(hours) || hours < 1) {
    throw new OperatorError(`--hours ${hours}: expected a whole number of hours of at least 1.`, 'Pass e.g. --hours 4.');
  }
  const base = Math.max(current.getTime(), now.getTime());
  const next = floorToSecond(base + hours * HOUR_MS);
  const latest = now.getTime() + capHours * HOUR_MS;
  if (next > latest) {
    const room = Math.floor((latest - base) / HOUR_MS);
    throw new OperatorError(
      `Extending by ${hours}h would expire the box at ${formatUtc(new Date(next))}, beyond the ${capHours}h cap (latest ${formatUtc(new Date(floorToSecond(latest)))}).`,
      room >= 1
        ? `Pass --hours ${room} or less.`
        : 'The box is already at the cap; provision a fresh environment if it must live longer.',
    );
  }
  return new Date(next);
}

const floorToSecond = (ms: number): number => Math.floor(ms / 1000) * 1000;

// Replaces the drop-in atomically, reloads systemd, restarts the timer and prints when it fires next.
const TIMER_SCRIPT = [
  'set -e',
  'umask 022',
  'mkdir -p "$(dirname "$1")"',
  'printf "%s" "$2" > "$1.tmp"',
  'mv "$1.tmp" "$1"',
  'systemctl daemon-reload',
  'systemctl restart "$3"',
  'systemctl show "$3" --property=NextElapseUSecRealtime --value',
].join('\n');

export const moveTimerCommand = (at: Date, dropIn: string = EXPIRE_DROP_IN): string[] => ['sh', '-c', TIMER_SCRIPT, 'sh', dropIn, expiryDropIn(at), EXPIRE_TIMER];

/** The expiry service's state: `activating` while it takes the last backup before powering off. */
export const expiryServiceStateCommand = (): string[] => ['systemctl', 'show', '--property=ActiveState', '--value', EXPIRE_SERVICE];

/** States in which the box is already expiring: moving the timer now would not stop the poweroff. */
export const EXPIRING_STATES = new Set(['activating', 'active', 'deactivating']);
