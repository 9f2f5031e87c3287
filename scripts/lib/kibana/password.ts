// The `elastic` password, read from Parameter Store with the operator's own credentials.
import type { SSMClient } from '@aws-sdk/client-ssm';
import { readSecret } from '../aws/secrets.js';
import { envNames } from '../core/names.js';
import { OperatorError } from '../core/operator-error.js';

export async function readElasticPassword(ssm: SSMClient, env: string): Promise<string> {
  const denied = `Allow ssm:GetParameter on parameter/pillbox/${env}/* (docs/operator-policy.json, "OwnParameters"), or run without --open.`;
  const value = await readSecret(ssm, env, 'ELASTIC_PASSWORD', denied);
  if (value) return value;
  const name = envNames(env).secretParameter('ELASTIC_PASSWORD');
  throw new OperatorError(`The elastic password is missing from Parameter Store (${name}).`, `Provision the environment again to create its secrets: \`npm run provision -- --env ${env} --region ${await ssm.config.region()}\`.`);
}
