// npm run extend -- --hours N: moves the environment's expiry N hours later, within the TTL cap.
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { requireRunningInstance } from './lib/aws/environment.js';
import { schedulerRoleArn } from './lib/aws/expiry-schedule.js';
import { ssmRunner } from './lib/box/ssm-output.js';
import { createAwsClients, resolveRegion } from './lib/core/aws-clients.js';
import { systemClock } from './lib/core/clock.js';
import { helpText, loadConfig, processSources } from './lib/core/config.js';
import { systemGit } from './lib/core/git.js';
import { OperatorError, runCli } from './lib/core/operator-error.js';
import { printResult } from './lib/core/progress.js';
import { formatLocal, formatTimeLeft, formatUtc } from './lib/core/time.js';
import { extendCommand, extendFields, extendSchema } from './lib/extend/config.js';
import { extendEnvironment } from './lib/extend/run.js';
import { MAX_TTL_HOURS } from './lib/provision/config.js';

await runCli(async (argv) => {
  const cfg = await loadConfig(extendFields, extendSchema, processSources(argv), systemGit());
  if (cfg.help) return void process.stdout.write(helpText(extendCommand));
  // Required, but checked after --help so that help never needs it.
  if (cfg.hours === undefined) throw new OperatorError('Missing --hours: how many hours to add to the expiry.', 'Pass e.g. `npm run extend -- --hours 4`.');
  const clients = createAwsClients(cfg.region);
  const instance = await requireRunningInstance(clients.ec2, cfg.env, await resolveRegion(clients));
  const now = new Date();
  const caller = await clients.sts.send(new GetCallerIdentityCommand({}));
  const roleArn = schedulerRoleArn({ env: cfg.env, accountId: caller.Account ?? '', partition: caller.Arn?.split(':')[1] });
  const deps = { ec2: clients.ec2, scheduler: clients.scheduler, schedulerRoleArn: roleArn, run: ssmRunner(clients.ssm, instance.id), now: () => now, clock: systemClock };
  const moved = await extendEnvironment(deps, instance, cfg.hours, MAX_TTL_HOURS);
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  printResult(cfg.json, { env: cfg.env, instanceId: instance.id, from: moved.from.toISOString(), to: moved.to.toISOString(), timerNext: moved.timerNext, schedule: moved.schedule }, [
    ['environment', cfg.env],
    ['was', formatUtc(moved.from)],
    ['now expires', `${formatUtc(moved.to)} (${formatLocal(moved.to, zone)}), in ${formatTimeLeft(moved.to, now)}`],
    ['box timer', moved.timerNext || '(not reported)'],
    ['schedule', moved.schedule === 'moved' ? 'moved (EventBridge Scheduler)' : 'armed: the box had no off-box guard (EventBridge Scheduler)'],
  ]);
});
