// The one `docker compose` invocation every command on the box starts from.
import { COMPOSE_DIR, COMPOSE_FILE, COMPOSE_PREBUILT_FILE, COMPOSE_VERSIONS_ENV, SECRETS_ENV, SETTINGS_ENV } from './layout.js';

const envFiles = [
  '--env-file',
  COMPOSE_VERSIONS_ENV,
  '--env-file',
  SETTINGS_ENV,
  '--env-file',
  SECRETS_ENV,
];

/**
 * The stack as the box runs it, with the project directory, files and the three env files
 * in contract order. With a prebuilt app image, compose.prebuilt.yaml replaces the app's
 * build with that image (PILLBOX_APP_IMAGE, from the settings env file).
 */
export const stackComposeArgv = (prebuilt: boolean, ...args: string[]): string[] => [
  'docker',
  'compose',
  '--project-directory',
  COMPOSE_DIR,
  '--file',
  COMPOSE_FILE,
  ...(prebuilt ? ['--file', COMPOSE_PREBUILT_FILE] : []),
  ...envFiles,
  ...args,
];

/** The profile of app-next, the second color (compose.yaml): `up` never starts it, and `stop` skips it unless named. */
export const DEPLOY_PROFILE = 'deploy';

/** `docker compose` on one release's files (not the active one), with the box's own settings and secrets. */
export const releaseComposeArgv = (releaseDir: string, ...args: string[]): string[] => [
  'docker',
  'compose',
  '--project-directory',
  `${releaseDir}/compose`,
  '--file',
  `${releaseDir}/compose/compose.yaml`,
  '--env-file',
  `${releaseDir}/compose/.env`,
  ...envFiles.slice(2),
  ...args,
];

/** `docker compose` for every command the CLI sends (ps, logs, deploy): the app's own build. */
export const composeArgv = (...args: string[]): string[] => stackComposeArgv(false, ...args);
