// The expiry timer's drop-in on the box: the one file that holds when the box removes itself.
import { formatUtc } from '../core/time.js';

/** The empty OnCalendar= resets any earlier value before setting the new one. */
export const expiryDropIn = (at: Date): string => `[Timer]\nOnCalendar=\nOnCalendar=${formatUtc(at)}\n`;
