// A repository whose HEAD moved from SHA (what the box runs) to NEXT, for the deploy commands.
import { readText } from '../../compose/compose-files.js';
import { MIGRATIONS_DIR } from '../../../scripts/lib/deploy/ship.js';
import { SHA } from '../provision/fixtures.js';

export const NEXT = '4b3a2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b';

/** git at NEXT, clean; its migrations differ from SHA's when `migrates`. */
export const gitAtNext = ({ migrates = true } = {}) => async (args: string[]) => {
  const cmd = args.join(' ');
  if (cmd.startsWith('rev-parse --verify')) return NEXT;
  if (cmd === `diff --name-only ${SHA} ${NEXT} -- ${MIGRATIONS_DIR}`) return migrates ? `${MIGRATIONS_DIR}0002-notes.ts` : '';
  if (cmd === 'diff --name-only HEAD' || cmd === 'ls-files --others --exclude-standard') return '';
  if (cmd === `show ${NEXT}:compose/compose.yaml`) return readText('compose/compose.yaml');
  throw new Error(`unexpected git ${cmd}`);
};
