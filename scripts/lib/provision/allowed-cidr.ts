// Who may reach the box. The app's write API has no authentication, so the range is never
// the whole internet by accident: asked for, kept from the running environment, the
// operator's own address (/32) at a terminal, or 0.0.0.0/0 in CI, with a warning.
import { isIPv4, isIPv6 } from 'node:net';
import { CHECKIP_URL, type AddressLookup } from '../core/public-address.js';
import { OperatorError } from '../core/operator-error.js';

export const WORLD = '0.0.0.0/0';

export interface AllowedCidr {
  cidr: string;
  /** Where the range came from, for the line provision prints. */
  source: string;
}

export interface CidrSources {
  /** --allowed-cidr / PILLBOX_ALLOWED_CIDR. */
  requested?: string;
  /** The range the environment's security group already allows. */
  kept?: string;
  /** At a terminal, not --ci / CI. */
  interactive: boolean;
  lookup: AddressLookup;
}

const service = new URL(CHECKIP_URL).host;
const askForCidr = 'Pass --allowed-cidr <your IPv4 address>/32 (or 0.0.0.0/0 to open the app to everyone).';

/** A requested range wins; else the environment keeps its own; else the operator's address, or the world in CI. */
export async function chooseAllowedCidr({ requested, kept, interactive, lookup }: CidrSources): Promise<AllowedCidr> {
  if (requested) return { cidr: requested, source: '--allowed-cidr' };
  if (kept) return { cidr: kept, source: 'kept from the security group' };
  if (!interactive) return { cidr: WORLD, source: 'the default without a terminal (--ci / CI)' };
  return { cidr: await operatorCidr(lookup), source: `your address, from ${service}` };
}

async function operatorCidr(lookup: AddressLookup): Promise<string> {
  let answer: string;
  try {
    answer = await lookup();
  } catch (err) {
    throw new OperatorError(`Could not look up your public address at ${service} (${(err as Error).message}), and provision will not open the app to everyone instead.`, askForCidr);
  }
  if (isIPv4(answer)) return `${answer}/32`;
  if (isIPv6(answer)) {
    // A /128 rule is possible in a security group, but it would admit nobody: the box has no IPv6 address.
    throw new OperatorError(
      `${service} answered with the IPv6 address ${answer}, but the box is reachable over IPv4 only (default VPC, no IPv6 address), so a /128 rule would let nobody in.`,
      'Pass --allowed-cidr with the IPv4 address you reach the internet from, as <address>/32.',
    );
  }
  throw new OperatorError(`${service} answered "${answer.slice(0, 60)}", which is not an IPv4 address.`, askForCidr);
}

/** One line, printed whenever the app is open to the world. */
export const WORLD_OPEN_WARNING = `! ${WORLD}: anyone on the internet can reach the app, and its write API has no authentication; --allowed-cidr <address>/32 narrows it.`;

/**
 * What a narrow range means: Let's Encrypt validates from addresses it does not publish
 * (letsencrypt/website docs/faq.md), so port 80 is open to everyone, and Caddy answers the
 * challenge there and refuses everything else from outside the range. Undefined for the world.
 */
export const httpsReachability = (cidr: string): string | undefined =>
  cidr === WORLD
    ? undefined
    : `Only ${cidr} reaches the app (HTTPS, refused by the edge too); port 80 is open to ${WORLD} for Let's Encrypt's challenge and the redirect only.`;

/** What provision prints about the range: where it came from, then the warning or the HTTPS note. */
export function allowedCidrNotes({ cidr, source }: AllowedCidr): string[] {
  return [`Allowed CIDR: ${cidr} (${source}).`, cidr === WORLD ? WORLD_OPEN_WARNING : `  ${httpsReachability(cidr)}`];
}
