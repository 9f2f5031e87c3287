// Instance types pillbox allows, with on-demand Linux prices for the cost estimate.
// Prices: AWS EC2 On-Demand pricing page, US East (N. Virginia) us-east-1, Linux, as
// listed in April 2026 (us-east-2 and us-west-2 charge the same; most other regions
// charge 5–30% more, so outside those three the figures are a lower bound).
// Only x86_64 types with 4 GiB or more: the AMI is the x86_64 AL2023 one, and
// Elasticsearch + Kibana need 4 GiB.
import { OperatorError } from './operator-error.js';

export interface InstanceTypeInfo {
  vcpus: number;
  memoryGiB: number;
  hourlyUsd: number;
  /** T-family types take a CreditSpecification (pillbox sets `standard`). */
  burstable: boolean;
}

export const INSTANCE_TYPES: Readonly<Record<string, InstanceTypeInfo>> = {
  't3.medium': { vcpus: 2, memoryGiB: 4, hourlyUsd: 0.0416, burstable: true },
  't3.large': { vcpus: 2, memoryGiB: 8, hourlyUsd: 0.0832, burstable: true },
  't3.xlarge': { vcpus: 4, memoryGiB: 16, hourlyUsd: 0.1664, burstable: true },
  't3a.medium': { vcpus: 2, memoryGiB: 4, hourlyUsd: 0.0376, burstable: true },
  't3a.large': { vcpus: 2, memoryGiB: 8, hourlyUsd: 0.0752, burstable: true },
  't3a.xlarge': { vcpus: 4, memoryGiB: 16, hourlyUsd: 0.1504, burstable: true },
  'm6i.large': { vcpus: 2, memoryGiB: 8, hourlyUsd: 0.096, burstable: false },
  'm7i.large': { vcpus: 2, memoryGiB: 8, hourlyUsd: 0.1008, burstable: false },
  'm6a.large': { vcpus: 2, memoryGiB: 8, hourlyUsd: 0.0864, burstable: false },
};

export const DEFAULT_INSTANCE_TYPE = 't3.medium';

/** gp3 storage, USD per GiB-month (us-east-1), turned into an hourly figure below. */
export const GP3_USD_PER_GIB_MONTH = 0.08;
const HOURS_PER_MONTH = 730;

export const isAllowedInstanceType = (type: string): boolean => Object.hasOwn(INSTANCE_TYPES, type);

export function instanceTypeInfo(type: string): InstanceTypeInfo {
  const info = INSTANCE_TYPES[type];
  if (!info) {
    throw new OperatorError(`Instance type ${type} is not on pillbox's list.`, `Use one of: ${Object.keys(INSTANCE_TYPES).join(', ')}.`);
  }
  return info;
}

/** Instance plus root volume, USD per hour. */
export function hourlyCost(instanceType: string, volumeGiB: number): number {
  return instanceTypeInfo(instanceType).hourlyUsd + (volumeGiB * GP3_USD_PER_GIB_MONTH) / HOURS_PER_MONTH;
}

/** Cost of running for `ms` milliseconds (per-second billing, 60 s minimum). */
export function costFor(instanceType: string, volumeGiB: number, ms: number): number {
  const hours = Math.max(ms, 60_000) / 3_600_000;
  return hourlyCost(instanceType, volumeGiB) * hours;
}

export const usd = (amount: number): string => `$${amount.toFixed(amount < 1 ? 4 : 2)}`;
