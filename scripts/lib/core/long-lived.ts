// A box is a preview by default: it may live 72 hours. Longer is allowed on purpose only, after a
// confirmation that shows what a month of it costs, so nobody keeps a box by a typo.
import { hourlyCost, surplusCeilingHourly, usd } from './pricing.js';
import { OperatorError } from './operator-error.js';

/** The longest a preview box lives without asking. */
export const PREVIEW_MAX_HOURS = 72;
/** The longest any box may be given at once: a year (extend moves it again). */
export const LONG_LIVED_MAX_HOURS = 24 * 365;
export const HOURS_PER_MONTH = 730;

/** On-demand cost of a month of a running box: instance, root volume and public IPv4. */
export const monthlyCost = (instanceType: string, volumeGiB: number): number => hourlyCost(instanceType, volumeGiB) * HOURS_PER_MONTH;

export interface LongLivedBox {
  env: string;
  /** Hours from now to the requested expiry. */
  hours: number;
  instanceType: string;
  volumeGiB: number;
}

const lifeText = (hours: number): string => (hours % 24 === 0 ? `${hours / 24} days` : `${hours} hours`);

/** What the operator is asked (and what a refusal says): the life asked for, and the monthly cost. */
export function longLivedCost({ env, hours, instanceType, volumeGiB }: LongLivedBox): string {
  const surplus = surplusCeilingHourly(instanceType) * HOURS_PER_MONTH;
  const worst = surplus > 0 ? `, up to ${usd(surplus)} more if its CPU credits stayed unlimited` : '';
  return `Environment "${env}" would live ${lifeText(hours)}, beyond the ${PREVIEW_MAX_HOURS} h of a preview box: about ${usd(monthlyCost(instanceType, volumeGiB))} a month (on-demand, ${instanceType}, ${volumeGiB} GiB gp3, public IPv4${worst}), plus its backups.`;
}

export interface ConfirmOptions {
  /** --yes: confirmed on the command line. */
  yes: boolean;
  /** A terminal to ask on; CI never asks, so CI needs --yes. */
  interactive: boolean;
  ask: (question: string) => Promise<boolean>;
}

/** Goes on for a preview box, or a long-lived one confirmed; stops with the cost otherwise. */
export async function confirmLongLived(box: LongLivedBox, { yes, interactive, ask }: ConfirmOptions, shorter: string): Promise<void> {
  if (box.hours <= PREVIEW_MAX_HOURS || yes) return;
  const cost = longLivedCost(box);
  if (!interactive) throw new OperatorError(`${cost} Nothing was changed.`, `Pass --yes to keep it that long, or ${shorter}.`);
  if (!(await ask(`${cost}\nKeep it that long?`))) throw new OperatorError('Not confirmed; nothing was changed.', `Run again with ${shorter}, or answer yes.`);
}
