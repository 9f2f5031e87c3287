// The extend command's settings.
import { z } from 'zod';
import { commonFields, commonSchema, type Command } from '../core/config.js';
import { MAX_TTL_HOURS } from '../provision/config.js';

export const extendFields = {
  ...commonFields,
  hours: { flag: 'hours', description: `hours to add to the current expiry (the box may live at most ${MAX_TTL_HOURS}h from now)` },
};

export const extendSchema = commonSchema.extend({
  hours: z.coerce.number({ error: `expected a whole number of hours from 1 to ${MAX_TTL_HOURS}` }).int().min(1).max(MAX_TTL_HOURS).optional(),
});

export const extendCommand: Command = {
  name: 'extend',
  summary: "Moves the environment's ExpiresAt (the tag and the box's self-destruct timer) later.",
  fields: extendFields,
};
