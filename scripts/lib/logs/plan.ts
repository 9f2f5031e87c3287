// The command `npm run logs` runs on the box.
import { composeArgv } from '../box/compose.js';

export interface LogsRequest {
  service?: string;
  tail: string;
  since?: string;
  /** Prefix each line with the time Docker received it (`--follow` reads its position from these). */
  timestamps?: boolean;
}

export const composeLogsCommand = ({ service, tail, since, timestamps }: LogsRequest): string[] =>
  composeArgv('logs', '--no-color', '--tail', tail, ...(since ? ['--since', since] : []), ...(timestamps ? ['--timestamps'] : []), ...(service ? [service] : []));
