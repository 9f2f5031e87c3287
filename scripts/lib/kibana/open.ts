// `npm run kibana -- --open`: the password with the operator's credentials (on the
// clipboard, printed only with --show-password), the forward, then the APM service and
// Uptime pages in the browser.
import type { SSMClient } from '@aws-sdk/client-ssm';
import { forwardKibana, type KibanaDeps } from '../box/port-forward.js';
import type { SessionTarget } from '../box/session-manager.js';
import type { Clipboard, Opener } from './desktop.js';
import { kibanaPages } from './links.js';
import { readElasticPassword } from './password.js';

export interface OpenKibanaDeps extends KibanaDeps {
  ssm: SSMClient;
  opener: Opener;
  clipboard: Clipboard;
}

export interface OpenKibanaOptions {
  /** Open the pages in the browser once the forward is up. */
  open: boolean;
  /** Print the password itself (it is never printed otherwise). */
  showPassword: boolean;
}

/** The password line: the value when asked for, else where it went or how to read it. */
async function passwordLine({ ssm, clipboard }: OpenKibanaDeps, env: string, showPassword: boolean): Promise<string> {
  const password = await readElasticPassword(ssm, env);
  if (showPassword) return password;
  return (await clipboard(password)) ? 'on the clipboard (--show-password prints it)' : 'not shown: no clipboard program found; --show-password prints it';
}

export async function openKibana(deps: OpenKibanaDeps, target: SessionTarget, env: string, preferredPort: number, { open, showPassword }: OpenKibanaOptions): Promise<void> {
  const password = open || showPassword ? () => passwordLine(deps, env, showPassword) : undefined;
  const onListening = open
    ? async (baseUrl: string, listening: boolean): Promise<void> => {
        const pages = kibanaPages(baseUrl);
        const list = pages.map((p) => `  ${p.title.padEnd(22)} ${p.url}`).join('\n');
        if (!listening) return deps.print(`The forward did not open ${baseUrl} in time; once it does, open:\n${list}\n`);
        let opened = true;
        for (const page of pages) opened = (await deps.opener(page.url)) && opened;
        deps.print(opened ? `Opened in the browser:\n${list}\n` : `No browser could be opened (xdg-open or open); open these yourself:\n${list}\n`);
      }
    : undefined;
  await forwardKibana(deps, target, env, preferredPort, { password, onListening });
}
