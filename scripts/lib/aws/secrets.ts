// The environment's generated secrets: SSM SecureString parameters created once and kept
// on re-provision, so data encrypted or stored with them stays readable.
import { randomBytes } from 'node:crypto';
import { DeleteParametersCommand, GetParameterCommand, PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { envNames, type Tag } from '../core/names.js';
import { awsErrorName } from '../core/aws-errors.js';
import { OperatorError } from '../core/operator-error.js';

/** Names are the env var names the stack reads (shared contract). */
export const SECRET_NAMES = [
  'POSTGRES_PASSWORD',
  'APP_DB_PASSWORD',
  'ELASTIC_PASSWORD',
  'KIBANA_SYSTEM_PASSWORD',
  'APM_SERVER_ES_PASSWORD',
  'HEARTBEAT_ES_PASSWORD',
  'FILEBEAT_ES_PASSWORD',
  // The alert engine's reader and the box status timer's writer (optional in compose, like Filebeat's).
  'ELASTALERT_ES_PASSWORD',
  'BOX_STATUS_ES_PASSWORD',
  'ELASTIC_APM_SECRET_TOKEN',
  'KIBANA_ENCRYPTION_KEY',
  // The app's write password (WRITE_PASSWORDS in compose.yaml); `status --show-write-password` shows it, `deploy --write-password` rotates it.
  'WRITE_PASSWORD',
] as const;

/** 32 random bytes as base64url: 43 chars of [A-Za-z0-9_-], safe in URLs and env files. */
export const generateSecret = (): string => randomBytes(32).toString('base64url');

export const missingSecrets = (env: string, existing: readonly string[]): string[] =>
  SECRET_NAMES.filter((name) => !existing.includes(envNames(env).secretParameter(name)));

/**
 * Creates the secrets that do not exist yet. No Overwrite: PutParameter refuses Tags
 * together with Overwrite, and an existing secret must never change.
 */
export async function createSecrets(ssm: SSMClient, env: string, names: readonly string[], tags: Tag[], generate: () => string = generateSecret): Promise<string[]> {
  const created: string[] = [];
  for (const name of names) {
    try {
      await ssm.send(
        new PutParameterCommand({
          Name: envNames(env).secretParameter(name),
          Description: `pillbox ${env}: ${name}`,
          Value: generate(),
          Type: 'SecureString',
          Tags: tags,
        }),
      );
      created.push(name);
    } catch (err) {
      // Another run made it between our look and our write: keep theirs.
      if (awsErrorName(err) !== 'ParameterAlreadyExists') throw err;
    }
  }
  return created;
}

/**
 * One secret's value, read with the operator's own credentials; undefined when it does not exist.
 * `denied` is the hint when those credentials may not read it.
 */
export async function readSecret(ssm: SSMClient, env: string, name: string, denied: string): Promise<string | undefined> {
  const parameter = envNames(env).secretParameter(name);
  try {
    return (await ssm.send(new GetParameterCommand({ Name: parameter, WithDecryption: true }))).Parameter?.Value || undefined;
  } catch (err) {
    const code = awsErrorName(err);
    if (code === 'AccessDeniedException') throw new OperatorError(`Your AWS credentials may not read ${parameter}.`, denied);
    if (code === 'ParameterNotFound') return undefined;
    throw err;
  }
}

/** Deletes parameters by name, ten a call (DeleteParameters takes at most 10 names). */
export async function deleteParameters(ssm: SSMClient, names: readonly string[]): Promise<void> {
  for (let i = 0; i < names.length; i += 10) await ssm.send(new DeleteParametersCommand({ Names: names.slice(i, i + 10) }));
}
