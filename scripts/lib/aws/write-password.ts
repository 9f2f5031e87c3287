// The app's write password in Parameter Store: the current one (a secret provision generates), and the previous
// one, which exists only between a rotation and `--drop-previous` so that clients move over without a refusal.
// The box reads both into secrets.env; compose hands them to the app as WRITE_PASSWORDS.
import { DeleteParameterCommand, PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { awsErrorName } from '../core/aws-errors.js';
import { envNames, ownerTags } from '../core/names.js';
import { OperatorError } from '../core/operator-error.js';
import { createSecrets, generateSecret, readSecret } from './secrets.js';

export const CURRENT = 'WRITE_PASSWORD';
export const PREVIOUS = 'WRITE_PASSWORD_PREVIOUS';

export interface WritePasswords {
  current: string;
  /** Still accepted by the app until it is dropped. */
  previous?: string;
}

const deniedHint = (env: string) => `Allow ssm:GetParameter and ssm:PutParameter on parameter/pillbox/${env}/* (docs/aws-setup.md).`;

export async function readWritePasswords(ssm: SSMClient, env: string): Promise<WritePasswords> {
  const current = await readSecret(ssm, env, CURRENT, deniedHint(env));
  if (!current) {
    throw new OperatorError(
      `The write password is missing from Parameter Store (${envNames(env).secretParameter(CURRENT)}).`,
      `Provision the environment again to create it: \`npm run provision -- --env ${env}\`.`,
    );
  }
  const previous = await readSecret(ssm, env, PREVIOUS, deniedHint(env));
  return previous ? { current, previous } : { current };
}

/**
 * Keeps the current password as the previous one, then stores a new current one. A run cut off between the two
 * writes leaves previous equal to current, which the next run takes up where it stopped. A previous one that
 * differs is the last rotation not yet finished: replacing it would lock out clients still using it.
 */
export async function rotateWritePassword(ssm: SSMClient, env: string, generate: () => string = generateSecret): Promise<WritePasswords> {
  const seen = await readWritePasswords(ssm, env);
  if (seen.previous !== undefined && seen.previous !== seen.current) {
    throw new OperatorError(
      'The last rotation is not finished: the write password before the current one is still accepted.',
      'Once every client sends the current one (`npm run status -- --env <env> --show-write-password`), drop the old one with `npm run deploy -- --write-password drop-previous`, then rotate. If the last rotation\'s deploy failed, `npm run deploy -- --write-password reload` first.',
    );
  }
  if (seen.previous === undefined) await createSecrets(ssm, env, [PREVIOUS], ownerTags(env), () => seen.current);
  const current = generate();
  // Overwrite keeps the parameter's tags (PutParameter refuses Tags together with Overwrite).
  await ssm.send(new PutParameterCommand({ Name: envNames(env).secretParameter(CURRENT), Value: current, Type: 'SecureString', Overwrite: true }));
  return { current, previous: seen.current };
}

/** Forgets the previous password; true when there was one. */
export async function dropPreviousWritePassword(ssm: SSMClient, env: string): Promise<boolean> {
  try {
    await ssm.send(new DeleteParameterCommand({ Name: envNames(env).secretParameter(PREVIOUS) }));
    return true;
  } catch (err) {
    if (awsErrorName(err) === 'ParameterNotFound') return false;
    throw err;
  }
}

export const WRITE_PASSWORD_CHANGES = ['rotate', 'drop-previous', 'reload'] as const;
export type WritePasswordChange = (typeof WRITE_PASSWORD_CHANGES)[number];

/** What deploy's --write-password does in Parameter Store before the box re-reads it; reload changes nothing there. */
export async function changeWritePassword(ssm: SSMClient, env: string, change: WritePasswordChange): Promise<string> {
  switch (change) {
    case 'rotate':
      await rotateWritePassword(ssm, env);
      return 'rotated: a new one is current, the previous one stays accepted';
    case 'drop-previous':
      return (await dropPreviousWritePassword(ssm, env)) ? 'the previous one dropped: only the current one is accepted' : 'only the current one is accepted (there was no previous one)';
    case 'reload':
      return 'the stored ones brought to the app again';
  }
}
