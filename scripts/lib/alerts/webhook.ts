// The alert destination: one URL, validated here, kept in Parameter Store as a SecureString beside the generated
// secrets, so the box reads it with them into secrets.env (cloud-init/fetch-secrets.sh) and compose hands it to the
// alert engine as ALERT_WEBHOOK_URL.
import { PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { z } from 'zod';
import { awsErrorName } from '../core/aws-errors.js';
import { envNames, ownerTags } from '../core/names.js';
import { OperatorError } from '../core/operator-error.js';

export const WEBHOOK_SECRET = 'ALERT_WEBHOOK_URL';

const MAX_LENGTH = 2048;
// The URL passes through an env file compose interpolates ($), a quoted YAML scalar in each rule (" and \) and a
// shell line: what could change its meaning on the way is refused, not escaped.
const UNSAFE = /[\s"'`$\\#<>{}|^]/;

export const webhookSchema = z.string().superRefine((raw, ctx) => {
  const fail = (message: string) => ctx.addIssue({ code: 'custom', message });
  if (raw.length > MAX_LENGTH) return fail(`longer than ${MAX_LENGTH} characters`);
  if (UNSAFE.test(raw)) return fail('it holds a space, a quote, $, #, \\ or another character that is not URL-safe; paste the URL exactly as the service gave it');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return fail('not a URL; expected https://host/path, as the chat service shows for an incoming webhook');
  }
  // Alerts cross the internet and the URL is itself the credential of most incoming webhooks.
  if (url.protocol !== 'https:') return fail(`${url.protocol}// is not allowed; alerts leave the box over the internet, so use an https URL`);
  if (url.username || url.password) return fail('credentials in the URL are not supported; use the token path the service gives');
});

/** Stores the URL, creating the parameter (tagged like the other secrets) or overwriting it (Overwrite keeps tags). */
export async function storeWebhook(ssm: SSMClient, env: string, url: string): Promise<'created' | 'updated'> {
  const Name = envNames(env).secretParameter(WEBHOOK_SECRET);
  try {
    await ssm.send(new PutParameterCommand({ Name, Description: `pillbox ${env}: ${WEBHOOK_SECRET}`, Value: url, Type: 'SecureString', Tags: ownerTags(env) }));
    return 'created';
  } catch (err) {
    if (awsErrorName(err) === 'AccessDeniedException') throw new OperatorError(`Your AWS credentials may not write ${Name}.`, `Allow ssm:PutParameter on parameter/pillbox/${env}/* (docs/aws-setup.md).`);
    if (awsErrorName(err) !== 'ParameterAlreadyExists') throw err;
  }
  await ssm.send(new PutParameterCommand({ Name, Value: url, Type: 'SecureString', Overwrite: true }));
  return 'updated';
}
