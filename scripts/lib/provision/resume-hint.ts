// What an interrupted provision tells the operator to type next.

/**
 * Rerunning converges, unless the run died holding the environment's lock: a rerun within 2 hours
 * is then refused, so the lock's removal comes first.
 */
export function resumeHint(env: string, lockHeld: boolean): string {
  const again = `run \`npx pillbox provision --env ${env}\` again: it converges from where this stopped (\`npx pillbox status --env ${env}\` shows the box meanwhile).`;
  if (!lockHeld) return again.charAt(0).toUpperCase() + again.slice(1);
  return `This run's lock on "${env}" stays behind: remove it with \`npx pillbox unlock --env ${env}\`, then ${again}`;
}
