// The kibana command's settings. It holds a port forward open and prints how to log in,
// so it has no --json.
import { z } from 'zod';
import { KIBANA_PORT } from '../box/layout.js';
import { commonFields, commonSchema, flagSchema, type Command } from '../core/config.js';

export const kibanaFields = {
  env: commonFields.env,
  region: commonFields.region,
  port: { flag: 'port', env: 'PILLBOX_KIBANA_LOCAL_PORT', description: `local port to use when free (default ${KIBANA_PORT}; else any free port)` },
  open: { flag: 'open', boolean: true, description: 'open the APM service and Uptime pages in the browser, the password on the clipboard' },
  showPassword: { flag: 'show-password', boolean: true, description: 'print the elastic password (read with your AWS credentials)' },
  debug: commonFields.debug,
  help: commonFields.help,
};

export const kibanaSchema = commonSchema.extend({
  port: z.coerce.number({ error: 'expected a port number from 1024 to 65535' }).int().min(1024).max(65535),
  open: flagSchema.default(false),
  showPassword: flagSchema.default(false),
});

export const kibanaCommand: Command = {
  name: 'kibana',
  summary: "Port-forwards the box's Kibana through SSM and prints the URL and how to log in.",
  fields: kibanaFields,
};
