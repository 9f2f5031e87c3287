// The operator's desktop: a browser for the Kibana pages and a clipboard for the password.
// Both are local programs run through zx; none found is an ordinary outcome, not an error.
import { platform } from 'node:os';
import { $, which } from 'zx';

/** Opens a URL in the browser; resolves false when no opener exists or it failed. */
export type Opener = (url: string) => Promise<boolean>;

/** Puts text on the clipboard; resolves false when no clipboard program exists or it failed. */
export type Clipboard = (text: string) => Promise<boolean>;

/** The first program on PATH among the candidates, with its arguments. */
async function firstOnPath(candidates: readonly (readonly string[])[]): Promise<readonly string[] | undefined> {
  for (const candidate of candidates) if (await which(candidate[0] as string, { nothrow: true })) return candidate;
  return undefined;
}

/** The opener commands tried, by platform: macOS `open`, else xdg-utils, or WSL's `wslview`. */
export const OPENERS: readonly (readonly string[])[] = platform() === 'darwin' ? [['open']] : [['xdg-open'], ['wslview']];

// The clipboard reads the text on stdin, so the password never appears in a process list.
// Output is ignored, not piped: xclip, wl-copy and some openers leave a background child
// holding the pipes, and waiting for those to close would wait until it exits.
const CLIPBOARDS: readonly (readonly string[])[] = [['pbcopy'], ['wl-copy'], ['xclip', '-selection', 'clipboard'], ['xsel', '--clipboard', '--input'], ['clip.exe']];

export const systemOpener: Opener = async (url) => {
  const opener = await firstOnPath(OPENERS);
  if (!opener) return false;
  const [command = '', ...args] = opener;
  return (await $({ nothrow: true, stdio: 'ignore' })`${command} ${args} ${url}`).exitCode === 0;
};

export const systemClipboard: Clipboard = async (text) => {
  const tool = await firstOnPath(CLIPBOARDS);
  if (!tool) return false;
  const [command = '', ...args] = tool;
  return (await $({ nothrow: true, input: text, stdio: ['pipe', 'ignore', 'ignore'] })`${command} ${args}`).exitCode === 0;
};
