// The rollback command's settings: the same health gate as deploy, nothing to ship.
import { commonFields, commonSchema, type Command } from '../core/config.js';
import { deployFields, deploySchema } from '../deploy/config.js';

export const rollbackFields = {
  ...commonFields,
  healthTimeout: deployFields.healthTimeout,
};

export const rollbackSchema = commonSchema.extend({
  healthTimeout: deploySchema.shape.healthTimeout,
});

export const rollbackCommand: Command = {
  name: 'rollback',
  summary: 'Puts the previous version back: the image the last deploy kept as pillbox-app:rollback and its release, swapped in blue/green behind the edge like a deploy (no request refused).',
  fields: rollbackFields,
};
