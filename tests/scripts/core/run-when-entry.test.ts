// runWhenEntry: a command that takes its own deps from the machine (a terminal program, a browser) cannot be wired without them.
import { expect } from 'chai';
import { runWhenEntry, type CliDeps } from '../../../scripts/lib/core/cli.js';

describe('runWhenEntry', () => {
  it('runs nothing when the module is imported, not started', async () => {
    let ran = false;
    await runWhenEntry(import.meta.url, async () => void (ran = true));
    expect(ran).to.equal(false);
  });

  it('asks, at compile time, for what a command takes beside the common deps (npm run typecheck)', async () => {
    const needsTerminal = async (_argv: string[], deps: CliDeps & { terminal: { spawn: () => void } }): Promise<void> => deps.terminal.spawn();
    // @ts-expect-error -- without its terminal, `deps.terminal` would be undefined when the command runs.
    await runWhenEntry(import.meta.url, needsTerminal);
    await runWhenEntry(import.meta.url, needsTerminal, { terminal: { spawn: () => undefined } });
    expect(needsTerminal.length).to.equal(2);
  });
});
