// IAM is global and the environment's role and profile names carry no region, so one
// environment name lives in one region: the one its instance role's inline policy names
// (leftovers.ts reads it the same way for the sweep). Provision in another region would
// rewrite that policy under the running box; teardown there would delete the role it uses.
import type { IAMClient } from '@aws-sdk/client-iam';
import { envNames } from '../core/names.js';
import { OperatorError } from '../core/operator-error.js';
import { instanceRoleRegion } from './leftovers.js';

/** Stops `command` for `env` in `region` when the environment's instance role names another region. */
export async function refuseOtherHomeRegion(iam: IAMClient, env: string, region: string, command: 'provision' | 'teardown'): Promise<void> {
  const home = await instanceRoleRegion(iam, env);
  if (!home || home === region) return;
  throw new OperatorError(
    `Environment "${env}" already runs in ${home} (its role ${envNames(env).role} names that region): IAM is global, so one environment name lives in one region; nothing was changed in ${region}.`,
    `Use --region ${home} (\`npm run ${command} -- --env ${env} --region ${home}\`), or another --env.`,
  );
}
