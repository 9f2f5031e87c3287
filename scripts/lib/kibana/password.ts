// The `elastic` password, read from Parameter Store with the operator's own credentials.
import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { envNames } from '../core/names.js';
import { awsErrorName } from '../core/aws-errors.js';
import { OperatorError } from '../core/operator-error.js';

export async function readElasticPassword(ssm: SSMClient, env: string): Promise<string> {
  const name = envNames(env).secretParameter('ELASTIC_PASSWORD');
  try {
    const value = (await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }))).Parameter?.Value;
    if (value) return value;
  } catch (err) {
    const code = awsErrorName(err);
    if (code === 'AccessDeniedException') {
      throw new OperatorError(`Your AWS credentials may not read ${name}.`, `Allow ssm:GetParameter on parameter/pillbox/${env}/* (docs/operator-policy.json, "OwnParameters"), or run without --open.`);
    }
    if (code !== 'ParameterNotFound') throw err;
  }
  throw new OperatorError(`The elastic password is missing from Parameter Store (${name}).`, `Provision the environment again to create its secrets: \`npm run provision -- --env ${env} --region ${await ssm.config.region()}\`.`);
}
