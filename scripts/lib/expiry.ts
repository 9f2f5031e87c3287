// Expiry arithmetic. All of it runs on epoch milliseconds (UTC); a time zone only
// enters when a time is shown to a person.

import { onCalendar } from './box.js';
import { OperatorError } from './operator-error.js';

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

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

/** `2026-11-22 18:00:00 UTC`, the same form the box's timer uses. */
export const formatUtc = onCalendar;

/** `5h 07m`, `3d 2h`, `12m`, or `expired`. */
export function formatTimeLeft(expiresAt: Date, now: Date): string {
  const left = expiresAt.getTime() - now.getTime();
  if (left <= 0) return 'expired';
  return formatDuration(left);
}

/** `2d 4h`, `5h 07m`, `12m`: a duration in the two largest units that matter. */
export function formatDuration(ms: number): string {
  const minutes = Math.floor(Math.max(ms, 0) / MINUTE_MS);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  if (days > 0) return `${days}d ${hours}h`;
  if (hours > 0) return `${hours}h ${String(mins).padStart(2, '0')}m`;
  return `${mins}m`;
}

/** A time in the operator's zone with its offset, e.g. `Sun 22 Nov 10:00 GMT-8`. */
export function formatLocal(date: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone,
    weekday: 'short',
    day: '2-digit',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  })
    .format(date)
    .replace(/,/g, '');
}
