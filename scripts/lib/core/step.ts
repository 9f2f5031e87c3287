// A plan is data: steps worked out from config and what AWS says exists. Pure: no clients,
// no I/O. `--plan` prints these; each command's executor acts on them.

export type Action = 'create' | 'keep' | 'update' | 'replace' | 'delete';
export type Resource =
  | 'role'
  | 'role-policy'
  | 'instance-profile'
  | 'scheduler-role'
  | 'secrets'
  | 'security-group'
  | 'ingress'
  | 'edge-range'
  | 'elastic-ip'
  | 'instance'
  | 'expiry'
  | 'expiry-schedule'
  | 'bucket'
  | 'source'
  | 'backup'
  | 'backups'
  | 'database';

export interface Step {
  action: Action;
  resource: Resource;
  name: string;
  detail?: string;
}

export const isMutating = (s: Step): boolean => s.action !== 'keep';

const SYMBOL: Record<Action, string> = { create: '+', keep: '=', update: '~', replace: '±', delete: '-' };

export const formatStep = (s: Step): string => `${SYMBOL[s.action]} ${s.action.padEnd(7)} ${s.resource.padEnd(16)} ${s.name}${s.detail ? `  (${s.detail})` : ''}`;
