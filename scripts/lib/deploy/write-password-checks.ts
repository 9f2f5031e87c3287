// The deploy's checks around the app's write password, as argv for the box. The password itself never travels in a
// command: the box reads it from its own secrets.env.
import { EDGE_LOCAL_PORT, FETCH_SECRETS_BIN, SECRETS_ENV } from '../box/layout.js';

/** The secrets.env entry a commit whose compose.yaml requires WRITE_PASSWORD (`${WRITE_PASSWORD:?...}`) needs. */
export const WRITE_PASSWORD_ENTRY = 'WRITE_PASSWORD';

// Exit 0 when secrets.env has the entry, fetching the secrets once more when it has not (a box provisioned before the
// write password existed, whose parameter a later provision created); prints "fetched" then. Exit 3 when still missing.
const SECRET_PRESENT_SCRIPT = [
  'file=$1; name=$2; fetch=$3',
  'grep -q "^$name=" "$file" && exit 0',
  '"$fetch" >&2 || exit 3',
  'grep -q "^$name=" "$file" || { echo "$name is not in $file, nor in Parameter Store" >&2; exit 3; }',
  'echo fetched',
].join('\n');
export const secretPresentCommand = (name = WRITE_PASSWORD_ENTRY, file = SECRETS_ENV): string[] => ['sh', '-c', SECRET_PRESENT_SCRIPT, 'sh', file, name, FETCH_SECRETS_BIN];

// POSTs `{}` through the edge with the password from secrets.env in a private curl config file (never in argv, so
// not in `ps` either: printf is the shell's own) and prints the status: 422 means the app took the password and
// validated the empty body, so nothing is stored; 401 means the app runs with other passwords.
const WRITE_SMOKE_SCRIPT = [
  'file=$1; name=$2; url=$3',
  'umask 077',
  'cfg=$(mktemp)',
  'trap \'rm -f "$cfg"\' EXIT',
  'pw=$(sed -n "s/^$name=//p" "$file" | head -n 1)',
  '[ -n "$pw" ] || { echo "no $name in $file" >&2; exit 3; }',
  'printf \'header = "Authorization: Bearer %s"\\n\' "$pw" >"$cfg"',
  'curl --silent --show-error --max-time 10 --output /dev/null --write-out \'%{http_code}\' --config "$cfg" --header \'content-type: application/json\' --data \'{}\' "$url"',
].join('\n');
export const writeSmokeCommand = (name = WRITE_PASSWORD_ENTRY, file = SECRETS_ENV, port = EDGE_LOCAL_PORT): string[] => [
  'sh',
  '-c',
  WRITE_SMOKE_SCRIPT,
  'sh',
  file,
  name,
  `http://127.0.0.1:${port}/api/medications`,
];

/** What the smoke POST's status says; undefined when the password works. */
export function smokeProblem(status: string): string | undefined {
  if (status === '422') return undefined;
  if (status === '401') return 'the app refused the write password in the box\'s secrets.env (401)';
  return `the write check through the edge answered ${status || 'nothing'}, not 422`;
}
