// The deploy command's settings. PILLBOX_REF is the commit an environment runs: provision
// launches it and deploy ships it, so both read the same variable.
import { z } from 'zod';
import { commonFields, commonSchema, type Command } from '../core/config.js';
import { DEFAULT_HEALTH_TIMEOUT_SECONDS } from './plan.js';

export const deployFields = {
  ...commonFields,
  ref: { flag: 'ref', env: 'PILLBOX_REF', description: 'branch, tag or commit to deploy; it must be pushed (default HEAD)' },
  repoUrl: { flag: 'repo-url', env: 'PILLBOX_REPO_URL', description: 'repository the box fetches from, to check the commit is there (default: origin, as https)' },
  healthTimeout: { flag: 'health-timeout', env: 'PILLBOX_DEPLOY_HEALTH_TIMEOUT', description: `seconds the new version may take to become healthy (default ${DEFAULT_HEALTH_TIMEOUT_SECONDS})` },
};

export const deploySchema = commonSchema.extend({
  ref: z.string().min(1).default('HEAD'),
  repoUrl: z.string().min(1).optional(),
  healthTimeout: z.coerce.number({ error: 'expected a whole number of seconds from 10 to 1800' }).int().min(10).max(1800),
});

export const deployCommand: Command = {
  name: 'deploy',
  summary: 'Fetches the commit on the box, builds the app image, then swaps it in blue/green behind the edge (no request refused); any failure restores the previous version.',
  fields: deployFields,
};
