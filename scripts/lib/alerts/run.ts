// `npm run alerts` on the box: bring a new destination to the running engine, and send a test alert through it.
import { composeArgv } from '../box/compose.js';
import { FETCH_SECRETS_BIN, STACK_UNIT } from '../box/layout.js';
import type { RemoteRunner } from '../box/ssm-output.js';
import { OperatorError } from '../core/operator-error.js';
import type { Progress } from '../core/progress.js';
import { ALERT_SERVICE } from '../deploy/alerts-pause.js';
import { lastLines } from '../deploy/remote-step.js';

/** Inside the engine's container: the files compose mounts (compose.yaml, the elastalert service). */
export const ENGINE_CONFIG = '/opt/elastalert/config.yaml';
export const TEST_RULE = '/opt/elastalert/test/test-alert.yaml';
/** What the alerter logs once the destination accepted the POST (elastalert/alerters/httppost.py at 2.31.0). */
export const SENT_LINE = 'HTTP Post alert sent';

// elastalert-test-rule runs the test rule over one document it is given (--data: no query) with the real alerter
// (--alert), then exits 0 whether or not the POST went through; the alerter's own log line says.
// Its output names the destination in full (the alerter's error carries requests' URL, host lowercased; the writeback
// dump repeats alert_info, alerters/httppost.py get_info at 2.31.0), and it lands in SSM's command history and the
// operator's terminal: the path, an incoming webhook's credential, is cut, matched without regard to case.
const HIDE_WEBHOOK_PATH = [
  'BEGIN { u = ENVIRON["ALERT_WEBHOOK_URL"]; lu = tolower(u); rest = substr(u, 9); n = index(rest, "/") }',
  '{ line = $0; done = ""',
  '  while (n > 0 && (i = index(tolower(line), lu)) > 0) { done = done substr(line, 1, i + 7 + n) "<path hidden>"; line = substr(line, i + length(u)) }',
  '  print done line }',
].join('\n');
export const TEST_ALERT_SCRIPT = [
  'config=$1; rule=$2; sent=$3',
  'data=$(mktemp)',
  'printf \'[{"@timestamp": "%s"}]\\n\' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$data"',
  'out=$(elastalert-test-rule --config "$config" --data "$data" --alert "$rule" 2>&1) || true',
  'rm -f "$data"',
  `printf '%s\\n' "$out" | awk '${HIDE_WEBHOOK_PATH}'`,
  'case "$out" in *"$sent"*) exit 0 ;; esac',
  'exit 1',
].join('\n');

export const testAlertCommand = (): string[] => composeArgv('exec', '-T', ALERT_SERVICE, 'sh', '-c', TEST_ALERT_SCRIPT, 'sh', ENGINE_CONFIG, TEST_RULE, SENT_LINE);
/** The box re-reads its secrets; `up` recreates the engine only, since its environment changed. */
const APPLY_WEBHOOK_STEPS: readonly (readonly [what: string, argv: string[]])[] = [
  ['Fetch the secrets on the box', [FETCH_SECRETS_BIN]],
  ['Restart the alert engine with the new destination', composeArgv('up', '--detach', '--no-deps', '--wait', ALERT_SERVICE)],
];
export const applyWebhookCommands = (): string[][] => APPLY_WEBHOOK_STEPS.map(([, argv]) => argv);

const QUICK_SECONDS = 120;

export async function applyWebhook(run: RemoteRunner, progress: Pick<Progress, 'step'>): Promise<void> {
  for (const [what, argv] of APPLY_WEBHOOK_STEPS) {
    const result = await progress.step(what, () => run(argv, { timeoutSeconds: QUICK_SECONDS }));
    if (result.exitCode !== 0) {
      throw new OperatorError(
        `The destination is stored, but the box could not take it up (${what.toLowerCase()}: ${lastLines(result.stderr || result.stdout, 1) || `exit ${result.exitCode}`}).`,
        `Run the same command again, or restart the stack (\`npm run session\`, then \`sudo systemctl restart ${STACK_UNIT}\`); \`npm run logs elastalert\` shows the engine.`,
      );
    }
  }
}

export async function sendTestAlert(run: RemoteRunner, progress: Pick<Progress, 'step'>): Promise<string> {
  const result = await progress.step('Send a test alert through the alert engine', () => run(testAlertCommand(), { timeoutSeconds: QUICK_SECONDS }));
  if (result.exitCode === 0) return 'The destination accepted the test alert.';
  const said = lastLines(`${result.stdout}\n${result.stderr}`, 3) || `exit ${result.exitCode}`;
  if (/no such service|is not running|No container found/i.test(said)) {
    throw new OperatorError(`The alert engine is not running on the box (${said}).`, 'Deploy a release that has it (`npm run deploy`), then `npm run status`; `npm run logs elastalert` shows why it stopped.');
  }
  throw new OperatorError(`The test alert did not reach the destination:\n${said}`, 'Check the URL (`npm run alerts -- --webhook URL` replaces it) and that the service accepts a JSON POST; then `npm run alerts -- --test` again.');
}
