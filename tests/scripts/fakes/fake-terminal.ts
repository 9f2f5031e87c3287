// The operator's machine for the commands that hand the terminal to the AWS CLI (session, kibana):
// which programs are on PATH, each program started with its arguments and how it ended, the local
// ports asked for, and the browser and clipboard. Nothing local is run.
import type { ChildEnd, Probe } from '../../../scripts/lib/box/session-manager.js';
import type { KibanaDesktop } from '../../../scripts/kibana.js';

/** `aws --version` and `session-manager-plugin --version` as the real ones print them. */
export const INSTALLED: Record<string, string> = { aws: 'aws-cli/2.17.20 Python/3.11.9 Linux/6.1.0', 'session-manager-plugin': '1.2.650.0' };

export interface TerminalOptions {
  /** Programs on PATH by name, with what `--version` prints. */
  programs?: Record<string, string>;
  /** How the started program ends (Ctrl-C by default, as an operator leaves a session). */
  end?: ChildEnd;
  /** The local port the OS hands out when the preferred one is taken. */
  busy?: number[];
  /** The forward's port accepts connections. */
  listening?: boolean;
  opens?: boolean;
  clips?: boolean;
}

export function fakeTerminal({ programs = INSTALLED, end = { code: null, signal: 'SIGINT' }, busy = [], listening = true, opens = true, clips = true }: TerminalOptions = {}) {
  const started: { command: string; args: string[] }[] = [];
  const portsAsked: number[] = [];
  const opened: string[] = [];
  const clipboard: string[] = [];
  const probe: Probe = async (command) => (programs[command] === undefined ? { found: false, output: `${command}: not found on PATH` } : { found: true, output: programs[command] });
  const desktop: KibanaDesktop['desktop'] = {
    probe,
    spawn: async (command, args) => (started.push({ command, args }), end),
    pickPort: async (preferred) => (portsAsked.push(preferred), busy.includes(preferred) ? 49152 : preferred),
    waitForPort: async () => listening,
    opener: async (url) => (opened.push(url), opens),
    clipboard: async (text) => (clipboard.push(text), clips),
  };
  return { desktop, started, portsAsked, opened, clipboard };
}
