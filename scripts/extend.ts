// npm run extend -- --hours N: moves the environment's expiry N hours later; beyond 72 h from now after a confirmation.
import { callerAccount } from './lib/aws/caller.js';
import { requireRunningInstance } from './lib/aws/environment.js';
import { schedulerRoleArn } from './lib/aws/expiry-schedule.js';
import { ssmRunner } from './lib/box/ssm-output.js';
import { resolveRegion } from './lib/core/aws-clients.js';
import { runWhenEntry, sourcesOf, type CliDeps } from './lib/core/cli.js';
import { askYesNo } from './lib/core/confirm.js';
import { LONG_LIVED_MAX_HOURS } from './lib/core/long-lived.js';
import { helpText, loadConfig } from './lib/core/config.js';
import { OperatorError } from './lib/core/operator-error.js';
import { printResult } from './lib/core/progress.js';
import { formatLocal, formatTimeLeft, formatUtc } from './lib/core/time.js';
import { extendCommand, extendFields, extendSchema } from './lib/extend/config.js';
import { extendEnvironment } from './lib/extend/run.js';

export async function main(argv: string[], deps: CliDeps): Promise<void> {
  const cfg = await loadConfig(extendFields, extendSchema, sourcesOf(argv, deps), deps.git);
  if (cfg.help) return void deps.stdout.write(helpText(extendCommand));
  // Required, but checked after --help so that help never needs it.
  if (cfg.hours === undefined) throw new OperatorError('Missing --hours: how many hours to add to the expiry.', 'Pass e.g. `npm run extend -- --hours 4`.');
  const clients = deps.awsClients(cfg.region);
  const instance = await requireRunningInstance(clients.ec2, cfg.env, await resolveRegion(clients));
  const now = new Date(deps.clock.now());
  const roleArn = schedulerRoleArn({ env: cfg.env, ...(await callerAccount(clients.sts)) });
  const run = ssmRunner(clients.ssm, instance.id, { clock: deps.clock });
  const longLived = { yes: cfg.yes, interactive: deps.tty, ask: askYesNo(deps.ask) };
  const moved = await extendEnvironment(
    { ec2: clients.ec2, scheduler: clients.scheduler, schedulerRoleArn: roleArn, run, now: () => now, clock: deps.clock, longLived },
    instance,
    cfg.hours,
    LONG_LIVED_MAX_HOURS,
  );
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  printResult(
    cfg.json,
    { env: cfg.env, instanceId: instance.id, from: moved.from.toISOString(), to: moved.to.toISOString(), timerNext: moved.timerNext, schedule: moved.schedule },
    [
      ['environment', cfg.env],
      ['was', formatUtc(moved.from)],
      ['now expires', `${formatUtc(moved.to)} (${formatLocal(moved.to, zone)}), in ${formatTimeLeft(moved.to, now)}`],
      ['box timer', moved.timerNext || '(not reported)'],
      ['schedule', moved.schedule === 'moved' ? 'moved (EventBridge Scheduler)' : 'armed: the box had no off-box guard (EventBridge Scheduler)'],
    ],
    deps.stdout,
  );
}

await runWhenEntry(import.meta.url, main);
