// Times and durations as an operator reads them. All arithmetic runs on epoch milliseconds
// (UTC); a time zone only enters when a time is shown to a person.

const MINUTE_MS = 60_000;

/**
 * `2026-11-22 18:00:00 UTC`: the calendar form systemd's OnCalendar accepts, so the
 * operator reads the same text the box's expiry timer holds.
 */
export const formatUtc = (at: Date): string => `${at.toISOString().slice(0, 19).replace('T', ' ')} UTC`;

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
