// Waiting for a new box, one bounded step at a time on the injected clock: running → SSM
// agent online → cloud-init finished → compose stack healthy → the app answers /readyz on
// the box. Each step's limit comes from budget.ts; each timeout says where to look.
import type { EC2Client } from '@aws-sdk/client-ec2';
import { paginateDescribeInstanceInformation, type SSMClient } from '@aws-sdk/client-ssm';
import { toEnvInstance, type EnvInstance } from '../aws/environment.js';
import { waitInstanceRunning } from '../aws/instance.js';
import { bootstrapReport, parseBootstrapReport } from '../box/bootstrap-status.js';
import { composePsCommand, healthWord, isServiceHealthy, parseComposePs, type ServiceHealth } from '../box/compose-health.js';
import { BOOTSTRAP_LOG, STACK_UNIT } from '../box/layout.js';
import { runOnBox, SSM_MARGIN_SECONDS, unanswered, wholeStdout, type Argv } from '../box/ssm-run.js';
import type { Clock } from '../core/clock.js';
import { OperatorError } from '../core/operator-error.js';
import { pollUntil } from '../core/poll.js';
import { AGENT_AND_CLOUD_INIT_MIN, BOOT_STEPS_MIN } from './budget.js';
import { readConsoleTail } from '../aws/console-output.js';

export const LOOK = 'Look with `npm run session` (a shell on the box) or `npm run logs`.';

const MINUTE = 60_000;

/** The step's deadline from now, and the error when it passes. */
const stepLimit = (clock: Clock, minutes: number, what: string) => ({
  deadline: clock.now() + minutes * MINUTE,
  timeout: () => new OperatorError(`Timed out after ${minutes} min waiting for ${what}.`, LOOK),
});

export async function waitRunning(ec2: EC2Client, instanceId: string, clock: Clock, report: (detail: string) => void, signal?: AbortSignal): Promise<EnvInstance> {
  return toEnvInstance(await waitInstanceRunning(ec2, instanceId, { clock, limitMs: BOOT_STEPS_MIN.running * MINUTE, report, signal }));
}

/**
 * The agent and cloud-init share one window: an agent refused while the role propagated
 * registers only when the bootstrap restarts it at its end (cloud-init/bootstrap.sh), so it
 * may take as long as the bootstrap; cloud-init then has what is left.
 */
export const agentAndCloudInitDeadline = (clock: Clock): number => clock.now() + AGENT_AND_CLOUD_INIT_MIN * MINUTE;

export async function waitAgentOnline(clients: { ssm: SSMClient; ec2: EC2Client }, instanceId: string, clock: Clock, deadline: number, signal?: AbortSignal): Promise<void> {
  const filter = { Filters: [{ Key: 'InstanceIds', Values: [instanceId] }] };
  const overdue = new Error('agent timeout');
  try {
    await pollUntil(clock, { deadline, intervalMs: 5000, timeout: () => overdue, signal }, async () => {
      for await (const page of paginateDescribeInstanceInformation({ client: clients.ssm }, filter)) {
        if (page.InstanceInformationList?.some((i) => i.InstanceId === instanceId && i.PingStatus === 'Online')) return true;
      }
      return undefined;
    });
  } catch (err) {
    if (err !== overdue) throw err;
    throw await agentTimeout(clients.ec2, instanceId, AGENT_AND_CLOUD_INIT_MIN);
  }
}

/** Without the agent nothing reaches the box through SSM: the instance's console output is what is left to read. */
async function agentTimeout(ec2: EC2Client, instanceId: string, minutes: number): Promise<OperatorError> {
  const console = await readConsoleTail(ec2, instanceId);
  return new OperatorError(
    `Timed out after ${minutes} min waiting for the SSM agent of ${instanceId} to come online.\n${console}`,
    `The agent never reached SSM, so \`npm run session\` and \`npm run logs\` cannot reach the box either. Read the full console with \`aws ec2 get-console-output --latest --instance-id ${instanceId} --output text\`, then \`npm run provision -- --replace\`.`,
  );
}

const tail = (text: string, lines = 15): string => text.trim().split('\n').slice(-lines).join('\n');

export const cloudInitWait: Argv = ['cloud-init', 'status', '--wait', '--long'];

/** `cloud-init status` from 23.4 on: 0 done, 1 error, 2 done with recoverable errors (docs: explanation/return_codes). */
const CLOUD_INIT_DEGRADED = 2;

/** Waits for cloud-init; returns its recoverable errors when it finished with some (exit 2), to be shown, not fatal. */
export async function waitCloudInit(ssm: SSMClient, instanceId: string, clock: Clock, deadline: number, signal?: AbortSignal): Promise<string | undefined> {
  // The command's own timeout leaves SSM's reporting margin inside what is left of the window.
  const timeoutSeconds = Math.max(Math.floor((deadline - clock.now()) / 1000) - SSM_MARGIN_SECONDS, 60);
  const result = await runOnBox(ssm, instanceId, [cloudInitWait], { timeoutSeconds, clock, pollMs: 5000, comment: 'pillbox: wait for cloud-init', signal });
  if (result.exitCode === CLOUD_INIT_DEGRADED) return tail(result.stdout);
  if (result.exitCode !== 0) throw await cloudInitFailure(ssm, instanceId, clock, tail(result.stdout + '\n' + result.stderr));
  return undefined;
}

/** The bootstrap's own status names the step that failed; without one, cloud-init failed before it. */
async function cloudInitFailure(ssm: SSMClient, instanceId: string, clock: Clock, cloudInitOutput: string): Promise<OperatorError> {
  const report = await runOnBox(ssm, instanceId, [bootstrapReport()], { timeoutSeconds: 30, clock, comment: 'pillbox: bootstrap status' }).catch(() => undefined);
  const { status, logTail } = parseBootstrapReport(report?.stdout ?? '');
  if (status?.state === 'failed') {
    return new OperatorError(
      `cloud-init failed on the box: the first boot stopped at step "${status.step}" (exit ${status.exitCode ?? '?'}):\n${logTail}`,
      `Read ${BOOTSTRAP_LOG} on the box (\`npm run session\`), fix, then \`npm run provision -- --replace\`.`,
    );
  }
  return new OperatorError(
    `cloud-init failed on the box:\n${cloudInitOutput}`,
    'Read /var/log/cloud-init-output.log on the box (`npm run session`), fix, then `npm run provision -- --replace`.',
  );
}

/** ActiveState of the stack unit, then one compact line per compose service. */
export const stackProbe: Argv[] = [['systemctl', 'show', '--property=ActiveState', '--value', STACK_UNIT], composePsCommand()];

/** One probe of a polling wait: a command that got no answer (SSM's TimedOut, or past the CLI's own deadline) is "not yet". */
const probe = (ssm: SSMClient, instanceId: string, argvs: Argv[], options: { clock: Clock; comment: string; signal?: AbortSignal }) =>
  runOnBox(ssm, instanceId, argvs, { timeoutSeconds: 30, ...options }).catch((err: unknown) => {
    if (unanswered(err)) return undefined;
    throw err;
  });

export async function waitStackHealthy(ssm: SSMClient, instanceId: string, clock: Clock, report: (detail: string) => void, signal?: AbortSignal): Promise<ServiceHealth[]> {
  return pollUntil(clock, { ...stepLimit(clock, BOOT_STEPS_MIN.stack, 'every compose service to be healthy'), intervalMs: 15_000, signal }, async () => {
    // The unit state comes first, so it is read even while `compose ps` still fails.
    const result = await probe(ssm, instanceId, stackProbe, { clock, comment: 'pillbox: stack status', signal });
    if (!result) {
      report('no answer from the box yet');
      return undefined;
    }
    const [unitState = '', ...rest] = wholeStdout(result, 'the stack probe').split('\n');
    if (unitState.trim() === 'failed') {
      throw new OperatorError(`${STACK_UNIT} failed on the box.`, `See why with \`npm run logs\` or, in \`npm run session\`, \`journalctl -u ${STACK_UNIT}\`.`);
    }
    const services = result.exitCode === 0 ? parseComposePs(rest.join('\n')) : [];
    const healthy = services.filter(isServiceHealthy);
    report(`${unitState.trim() || 'starting'}; ${healthy.length}/${services.length} services healthy${services.length ? ': ' + services.map((s) => `${s.service}=${healthWord(s)}`).join(' ') : ''}`);
    return unitState.trim() === 'active' && services.length > 0 && healthy.length === services.length ? services : undefined;
  });
}

export const readyzProbe = (port: number): Argv => ['curl', '--silent', '--output', '/dev/null', '--write-out', '%{http_code}', '--max-time', '5', `http://127.0.0.1:${port}/readyz`];

export async function waitAppReady(ssm: SSMClient, instanceId: string, port: number, clock: Clock, signal?: AbortSignal): Promise<void> {
  await pollUntil(clock, { ...stepLimit(clock, BOOT_STEPS_MIN.ready, 'the app to answer /readyz'), intervalMs: 5000, signal }, async () => {
    const result = await probe(ssm, instanceId, [readyzProbe(port)], { clock, comment: 'pillbox: readyz', signal });
    return result?.stdout.trim() === '200' ? true : undefined;
  });
}
