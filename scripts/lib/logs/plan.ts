// The command `npm run logs` runs on the box.
import { composeArgv } from '../box/compose.js';

export interface LogsRequest {
  service?: string;
  tail: string;
  since?: string;
}

export const composeLogsCommand = ({ service, tail, since }: LogsRequest): string[] =>
  composeArgv('logs', '--no-color', '--tail', tail, ...(since ? ['--since', since] : []), ...(service ? [service] : []));
