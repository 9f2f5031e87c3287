// The alerts command's settings: where alerts go (--webhook), and a test alert through the engine on the box (--test).
import { z } from 'zod';
import { commonFields, commonSchema, flagSchema, type Command } from '../core/config.js';
import { webhookSchema } from './webhook.js';

export const alertsFields = {
  env: commonFields.env,
  region: commonFields.region,
  webhook: {
    flag: 'webhook',
    description: 'where alerts go: an https incoming webhook (Slack, Teams, Discord) or any endpoint taking a JSON POST; kept as a SecureString',
  },
  test: { flag: 'test', boolean: true, description: 'send a test alert through the alert engine on the box to the stored destination' },
  debug: commonFields.debug,
  help: commonFields.help,
};

export const alertsSchema = commonSchema
  .omit({ json: true })
  .extend({ webhook: webhookSchema.optional(), test: flagSchema.default(false) })
  .refine((cfg) => cfg.help || cfg.webhook !== undefined || cfg.test, { message: 'nothing to do: pass --webhook URL, --test, or both' });

export type AlertsConfig = z.infer<typeof alertsSchema>;

export const alertsCommand: Command = {
  name: 'alerts',
  summary: [
    'Sets where the box sends its alerts (ElastAlert2: app down, /readyz failing, 5xx rate, p95 latency, disk, restarts,',
    'Elasticsearch red), and sends a test alert through the real path: `npm run alerts -- --webhook https://hooks.slack.com/... --test`.',
  ].join('\n'),
  fields: alertsFields,
};
