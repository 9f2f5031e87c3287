// Generated text lives between two marker lines in a hand-written file, so the file keeps its
// prose and only the block is rewritten.
import { OperatorError } from '../core/operator-error.js';

export interface Markers {
  open: string;
  close: string;
}

/** Replaces what lies between the markers (each on its own line) with `body` (whole lines). */
export function replaceBlock(text: string, markers: Markers, body: string, file: string): string {
  const start = text.indexOf(`${markers.open}\n`);
  const end = text.indexOf(`\n${markers.close}`, start);
  if (start < 0 || end < 0) {
    throw new OperatorError(`${file} has no ${markers.open} … ${markers.close} block.`, `Add the two marker lines where the block belongs, then run \`npm run docs:flags\` again.`);
  }
  return `${text.slice(0, start + markers.open.length + 1)}${body}${text.slice(end + 1)}`;
}

/** The names of every block opened with `prefix` (`<!-- flags:` → provision, teardown, ...). */
export function blockNames(text: string, prefix: string, suffix: string): string[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith(prefix) && line.endsWith(suffix))
    .map((line) => line.slice(prefix.length, line.length - suffix.length));
}
