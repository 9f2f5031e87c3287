// The extend command's settings.
import { z } from 'zod';
import { commonFields, commonSchema, flagSchema, type Command } from '../core/config.js';
import { LONG_LIVED_MAX_HOURS, PREVIEW_MAX_HOURS } from '../core/long-lived.js';

export const extendFields = {
  ...commonFields,
  hours: { flag: 'hours', description: `hours to add to the current expiry (beyond ${PREVIEW_MAX_HOURS}h from now only after a confirmation that shows the monthly cost)` },
  yes: { flag: 'yes', boolean: true, description: `confirm an expiry beyond ${PREVIEW_MAX_HOURS}h from now without asking` },
};

const HOURS_ERROR = `expected a whole number of hours from 1 to ${LONG_LIVED_MAX_HOURS}`;

export const extendSchema = commonSchema.extend({
  hours: z.coerce.number({ error: HOURS_ERROR }).int({ error: HOURS_ERROR }).min(1, { error: HOURS_ERROR }).max(LONG_LIVED_MAX_HOURS, { error: HOURS_ERROR }).optional(),
  yes: flagSchema.default(false),
});

export const extendCommand: Command = {
  name: 'extend',
  summary: "Moves the environment's ExpiresAt (the tag and the box's self-destruct timer) later.",
  fields: extendFields,
};
