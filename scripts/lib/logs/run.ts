// `npm run logs`: the last lines of one or all compose services, read from the box in full.
import { runWithFullOutput, type RemoteRunner } from '../box/ssm-output.js';
import { OperatorError } from '../core/operator-error.js';
import { composeLogsCommand, type LogsRequest } from './plan.js';

/** The logs as text; a compose failure (say, an unknown service) becomes one line with a fix. */
export async function fetchLogs(run: RemoteRunner, request: LogsRequest, id: string): Promise<string> {
  const result = await runWithFullOutput(run, composeLogsCommand(request), { id, timeoutSeconds: 120 });
  if (result.exitCode !== 0) {
    const reason = result.stderr.trim().split('\n').at(-1) || `exit ${result.exitCode}`;
    throw new OperatorError(
      `docker compose logs failed on the box: ${reason}`,
      /no such service/i.test(reason) ? '`npm run status` lists the services; pass one of those names.' : 'Look on the box with `npm run session`.',
    );
  }
  return result.stdout;
}
