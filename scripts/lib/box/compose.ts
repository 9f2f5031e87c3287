// The one `docker compose` invocation every command on the box starts from.
import { COMPOSE_DIR, COMPOSE_FILE, COMPOSE_VERSIONS_ENV, SECRETS_ENV, SETTINGS_ENV } from './layout.js';

/** `docker compose` with the project directory, file and the three env files, in contract order. */
export const composeArgv = (...args: string[]): string[] => [
  'docker',
  'compose',
  '--project-directory',
  COMPOSE_DIR,
  '--file',
  COMPOSE_FILE,
  '--env-file',
  COMPOSE_VERSIONS_ENV,
  '--env-file',
  SETTINGS_ENV,
  '--env-file',
  SECRETS_ENV,
  ...args,
];
