// npm run provision: launch (or converge) one pillbox box. Logic lives in lib/provision/.
import { progressOf, runWhenEntry, sourcesOf, type CliDeps } from './lib/core/cli.js';
import { helpText } from './lib/core/config.js';
import { askYesNo } from './lib/core/confirm.js';
import { interruptOn } from './lib/core/interrupt.js';
import { printResult } from './lib/core/progress.js';
import { loadProvisionConfig, provisionCommand } from './lib/provision/config.js';
import { resumeHint } from './lib/provision/resume-hint.js';
import { provision } from './lib/provision/run.js';
import { planText, provisionRows } from './lib/provision/summary.js';

export async function main(argv: string[], deps: CliDeps): Promise<void> {
  if (argv.includes('--help')) {
    deps.stdout.write(helpText(provisionCommand));
    return;
  }
  const cfg = await loadProvisionConfig(sourcesOf(argv, deps), deps.git);
  const progress = progressOf(deps);
  const lock = { held: false };
  // A first Ctrl-C stops the run and undoes what it made; a second one quits at once, saying which wait was under
  // way and how to pick up again (provision converges, once a lock left behind is removed).
  const interrupt = interruptOn();
  interrupt.onForcedExit(async () => void deps.stderr.write(progress.interruption(resumeHint(cfg.env, lock.held))));
  const result = await provision(cfg, {
    clients: deps.awsClients(cfg.region),
    s3: deps.s3Client(cfg.region),
    git: deps.git,
    archive: deps.archive,
    progress,
    clock: deps.clock,
    runId: deps.runId(),
    holder: deps.holder,
    newId: deps.newId,
    interactive: deps.tty && !cfg.ci,
    lookupAddress: deps.lookupAddress,
    ask: askYesNo(deps.ask),
    lock,
    signal: interrupt.signal,
    onForcedExit: interrupt.onForcedExit,
  }).finally(interrupt.dispose);
  if (result.planned && !cfg.json) deps.stdout.write(planText(result));
  printResult(cfg.json, result, provisionRows(result), deps.stdout);
}

await runWhenEntry(import.meta.url, main);
