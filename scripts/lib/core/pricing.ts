// Instance types pillbox allows, with on-demand Linux prices for the cost estimate.
// Prices: AWS EC2 On-Demand pricing page, US East (N. Virginia) us-east-1, Linux, as
// listed in April 2026 (us-east-2 and us-west-2 charge the same; most other regions
// charge 5–30% more, so outside those three the figures are a lower bound).
// Only x86_64 types with 4 GiB or more: the AMI is the x86_64 AL2023 one, and
// Elasticsearch + Kibana need 4 GiB. CPU credit baselines: EC2 User Guide, "Key concepts
// and definitions for burstable performance instances" (credit table); the surplus price
// ($0.05 per vCPU-hour, Linux) and the public IPv4 charge ($0.005/h): EC2 pricing pages.
import { OperatorError } from './operator-error.js';

export interface InstanceTypeInfo {
  vcpus: number;
  memoryGiB: number;
  hourlyUsd: number;
  /**
   * T-family types earn CPU credits: the share of each vCPU they may use for free (the
   * baseline, per vCPU, from the EC2 User Guide's credit table). Others have none.
   */
  baselinePerVcpu?: number;
}

export const INSTANCE_TYPES: Readonly<Record<string, InstanceTypeInfo>> = {
  't3.medium': { vcpus: 2, memoryGiB: 4, hourlyUsd: 0.0416, baselinePerVcpu: 0.2 },
  't3.large': { vcpus: 2, memoryGiB: 8, hourlyUsd: 0.0832, baselinePerVcpu: 0.3 },
  't3.xlarge': { vcpus: 4, memoryGiB: 16, hourlyUsd: 0.1664, baselinePerVcpu: 0.4 },
  't3a.medium': { vcpus: 2, memoryGiB: 4, hourlyUsd: 0.0376, baselinePerVcpu: 0.2 },
  't3a.large': { vcpus: 2, memoryGiB: 8, hourlyUsd: 0.0752, baselinePerVcpu: 0.3 },
  't3a.xlarge': { vcpus: 4, memoryGiB: 16, hourlyUsd: 0.1504, baselinePerVcpu: 0.4 },
  'm6i.large': { vcpus: 2, memoryGiB: 8, hourlyUsd: 0.096 },
  'm7i.large': { vcpus: 2, memoryGiB: 8, hourlyUsd: 0.1008 },
  'm6a.large': { vcpus: 2, memoryGiB: 8, hourlyUsd: 0.0864 },
};

export const DEFAULT_INSTANCE_TYPE = 't3.medium';

/** gp3 storage, USD per GiB-month (us-east-1), turned into an hourly figure below. */
export const GP3_USD_PER_GIB_MONTH = 0.08;
const HOURS_PER_MONTH = 730;
/** Every public IPv4 address, the box's auto-assigned one included, since February 2024. */
export const PUBLIC_IPV4_USD_PER_HOUR = 0.005;
/** Surplus CPU credits in unlimited mode (Linux, T3 and T3a), per vCPU-hour. */
export const SURPLUS_USD_PER_VCPU_HOUR = 0.05;

export const isAllowedInstanceType = (type: string): boolean => Object.hasOwn(INSTANCE_TYPES, type);

export function instanceTypeInfo(type: string): InstanceTypeInfo {
  const info = INSTANCE_TYPES[type];
  if (!info) {
    throw new OperatorError(`Instance type ${type} is not on pillbox's list.`, `Use one of: ${Object.keys(INSTANCE_TYPES).join(', ')}.`);
  }
  return info;
}

export const isBurstable = (type: string): boolean => instanceTypeInfo(type).baselinePerVcpu !== undefined;

/** The root volume alone: what a stopped box costs (its public IPv4 is released on stop). */
export const storageHourly = (volumeGiB: number): number => (volumeGiB * GP3_USD_PER_GIB_MONTH) / HOURS_PER_MONTH;

/** A running box, USD per hour: instance, root volume and its public IPv4 address. */
export function hourlyCost(instanceType: string, volumeGiB: number): number {
  return instanceTypeInfo(instanceType).hourlyUsd + storageHourly(volumeGiB) + PUBLIC_IPV4_USD_PER_HOUR;
}

/**
 * The most surplus CPU credits can add per hour: every vCPU at 100% in unlimited mode,
 * minus the baseline the instance earns. 0 for types without credits.
 */
export function surplusCeilingHourly(instanceType: string): number {
  const { vcpus, baselinePerVcpu } = instanceTypeInfo(instanceType);
  return baselinePerVcpu === undefined ? 0 : vcpus * (1 - baselinePerVcpu) * SURPLUS_USD_PER_VCPU_HOUR;
}

const billedHours = (ms: number): number => Math.max(ms, 60_000) / 3_600_000;

/** Cost of running for `ms` milliseconds (per-second billing, 60 s minimum). */
export function costFor(instanceType: string, volumeGiB: number, ms: number): number {
  return hourlyCost(instanceType, volumeGiB) * billedHours(ms);
}

/** A box that ran `runningMs` and has been stopped for `stoppedMs`: the volume bills on. */
export function stoppedCostFor(instanceType: string, volumeGiB: number, runningMs: number, stoppedMs: number): number {
  return costFor(instanceType, volumeGiB, runningMs) + storageHourly(volumeGiB) * (Math.max(stoppedMs, 0) / 3_600_000);
}

export const usd = (amount: number): string => `$${amount.toFixed(amount < 1 ? 4 : 2)}`;
