// The write password as `status --show-write-password` prints it: the value, how to send it, and the rotation state.
import type { WritePasswords } from '../aws/write-password.js';

export function renderWritePasswords({ current, previous }: WritePasswords): string {
  const lines = [
    '',
    `write password: ${current}`,
    '  send it as "Authorization: Bearer <password>", or as HTTP Basic credentials with any user name (the browser asks)',
  ];
  if (previous !== undefined && previous !== current) {
    lines.push(`  the previous one is still accepted: ${previous}`, '  once no client sends it: npm run deploy -- --write-password drop-previous');
  }
  return `${lines.join('\n')}\n`;
}
