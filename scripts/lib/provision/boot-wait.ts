// Waiting for a new box, one bounded step at a time: running → SSM agent online →
// cloud-init finished → compose stack healthy → the app answers /readyz on the box.
// Each timeout says where to look.
import { DescribeInstancesCommand, waitUntilInstanceRunning, type EC2Client } from '@aws-sdk/client-ec2';
import { DescribeInstanceInformationCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { toEnvInstance, type EnvInstance } from '../aws/environment.js';
import { composePsCommand, healthWord, isServiceHealthy, parseComposePs, type ServiceHealth } from '../box/compose-health.js';
import { STACK_UNIT } from '../box/layout.js';
import { runOnBox, type Argv } from '../box/ssm-run.js';
import type { Clock } from '../core/clock.js';
import { OperatorError } from '../core/operator-error.js';

export const LOOK = 'Look with `npm run session` (a shell on the box) or `npm run logs`.';

/** Minutes each step may take before provision gives up on it. */
export const STEP_LIMITS_MIN = { running: 5, agent: 8, cloudInit: 20, stack: 30, ready: 5 };

async function poll<T>(clock: Clock, limitMs: number, intervalMs: number, what: string, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = clock.now() + limitMs;
  for (;;) {
    const result = await check();
    if (result !== undefined) return result;
    if (clock.now() >= deadline) throw new OperatorError(`Timed out after ${Math.round(limitMs / 60_000)} min waiting for ${what}.`, LOOK);
    await clock.sleep(intervalMs);
  }
}

export async function waitRunning(ec2: EC2Client, instanceId: string): Promise<EnvInstance> {
  const maxWaitTime = STEP_LIMITS_MIN.running * 60;
  try {
    await waitUntilInstanceRunning({ client: ec2, maxWaitTime, minDelay: 5, maxDelay: 15 }, { InstanceIds: [instanceId] });
  } catch (err) {
    throw new OperatorError(`Instance ${instanceId} did not reach "running": ${(err as Error).message.split('\n')[0]}`, 'Check its state and "Status checks" in the EC2 console; `npm run teardown` removes it.');
  }
  const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  const instance = out.Reservations?.[0]?.Instances?.[0];
  if (!instance) throw new Error(`DescribeInstances did not return ${instanceId}`);
  return toEnvInstance(instance);
}

export async function waitAgentOnline(ssm: SSMClient, instanceId: string, clock: Clock): Promise<void> {
  await poll(clock, STEP_LIMITS_MIN.agent * 60_000, 5000, 'the SSM agent to come online', async () => {
    const out = await ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [instanceId] }] }));
    return out.InstanceInformationList?.[0]?.PingStatus === 'Online' ? true : undefined;
  });
}

const tail = (text: string, lines = 15): string => text.trim().split('\n').slice(-lines).join('\n');

export const cloudInitWait: Argv = ['cloud-init', 'status', '--wait', '--long'];

export async function waitCloudInit(ssm: SSMClient, instanceId: string, clock: Clock): Promise<void> {
  const result = await runOnBox(ssm, instanceId, [cloudInitWait], { timeoutSeconds: STEP_LIMITS_MIN.cloudInit * 60, sleep: clock.sleep, now: clock.now, pollMs: 5000, comment: 'pillbox: wait for cloud-init' });
  if (result.exitCode !== 0) {
    throw new OperatorError(
      `cloud-init failed on the box:\n${tail(result.stdout + '\n' + result.stderr)}`,
      'Read /var/log/cloud-init-output.log on the box (`npm run session`), fix, then `npm run provision -- --replace`.',
    );
  }
}

/** ActiveState of the stack unit, then `docker compose ps` as JSON. */
export const stackProbe: Argv[] = [['systemctl', 'show', '--property=ActiveState', '--value', STACK_UNIT], composePsCommand()];

export async function waitStackHealthy(ssm: SSMClient, instanceId: string, clock: Clock, report: (detail: string) => void): Promise<ServiceHealth[]> {
  return poll(clock, STEP_LIMITS_MIN.stack * 60_000, 15_000, 'every compose service to be healthy', async () => {
    // The unit state comes first, so it is read even while `compose ps` still fails.
    const result = await runOnBox(ssm, instanceId, stackProbe, { timeoutSeconds: 60, sleep: clock.sleep, now: clock.now, comment: 'pillbox: stack status' });
    const [unitState = '', ...rest] = result.stdout.split('\n');
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

export async function waitAppReady(ssm: SSMClient, instanceId: string, port: number, clock: Clock): Promise<void> {
  await poll(clock, STEP_LIMITS_MIN.ready * 60_000, 5000, 'the app to answer /readyz', async () => {
    const result = await runOnBox(ssm, instanceId, [readyzProbe(port)], { timeoutSeconds: 30, sleep: clock.sleep, now: clock.now, comment: 'pillbox: readyz' });
    return result.stdout.trim() === '200' ? true : undefined;
  });
}
