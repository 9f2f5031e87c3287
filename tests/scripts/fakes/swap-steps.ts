// Names the blue/green swap's lines the box receives (deploy and rollback send the same ones), so a flow reads as steps.

export const COMPOSE =
  'docker compose --project-directory /opt/pillbox/compose --file /opt/pillbox/compose/compose.yaml --env-file /opt/pillbox/compose/.env --env-file /etc/pillbox/pillbox.env --env-file /etc/pillbox/secrets.env';

/** The whole swap from rest, as swapStepOf names its steps. */
export const SWAP_STEPS = ['stop app-next', 'start app-next', 'ready app-next', 'route app-next', 'drained app', 'stop app', 'start app', 'ready app', 'route app', 'drained app-next', 'stop app-next'];

/** The swap step (or the app logs read after a failed one) a line is, for a /readyz limit of `readySeconds`; undefined otherwise. */
export function swapStepOf(line: string, readySeconds: number): string | undefined {
  if (line.startsWith(`${COMPOSE} exec -T caddy sh -c 'if [ -e`)) return 'route?';
  // The alert engine's pause and resume around the build and swap, by its compose labels (deploy/alerts-pause.ts).
  const engine = "--filter label=com.docker.compose.project=pillbox --filter label=com.docker.compose.service=elastalert | xargs -r docker";
  // Each armed with its backstop timer and disarmed (alerts-pause.ts), whose own test runs them.
  const backstop = 'systemctl stop pillbox-alerts-resume.timer pillbox-alerts-resume.service 2>/dev/null; systemctl reset-failed pillbox-alerts-resume.service 2>/dev/null;';
  if (line.startsWith(`sh -c '${backstop} systemd-run --quiet --unit=pillbox-alerts-resume --on-active=`) && line.endsWith(`docker ps --quiet  ${engine} stop'`)) return 'pause alerts';
  if (line === `sh -c '${backstop} docker ps --quiet --all --filter status=exited ${engine} start'`) return 'resume alerts';
  if (line.startsWith(`${COMPOSE} exec -T caddy sh -c 'mkdir -p`)) return 'route app-next';
  if (line.startsWith(`${COMPOSE} exec -T caddy sh -c 'rm -f`)) return 'route app';
  const drained = / http:\/\/127\.0\.0\.1:2019 edge-(app|app-next):3000 \d+$/.exec(line);
  if (drained) return `drained ${drained[1]}`;
  const ready = new RegExp(`^sh -c '.*' sh (app|app-next) http://127\\.0\\.0\\.1:3000/readyz ${readySeconds} `, 's').exec(line);
  if (ready) return `ready ${ready[1]}`;
  const start = new RegExp(`^${COMPOSE} up --detach --no-deps --force-recreate (app|app-next)$`).exec(line);
  if (start) return `start ${start[1]}`;
  if (line === `${COMPOSE} stop app`) return 'stop app';
  if (line === `${COMPOSE} rm --stop --force app-next`) return 'stop app-next';
  // Logs are read through the paging capture; the fake box hands the handler the inner command.
  if (line.includes('pillbox-output-') || line === `${COMPOSE} logs --no-color --tail 200 app app-next`) return 'app logs';
  return undefined;
}
