// What one step did, so a run can print a summary and a test can assert "second run changes nothing".
export type Action = 'created' | 'updated' | 'unchanged' | 'skipped';

export interface Change {
  action: Action;
  kind: string;
  name: string;
  /** Why a step was skipped. */
  reason?: string;
}

export const change = (action: Action, kind: string, name: string): Change => ({ action, kind, name });

export const skipped = (kind: string, name: string, reason: string): Change => ({ action: 'skipped', kind, name, reason });

export const changed = (changes: Change[]): Change[] => changes.filter((c) => c.action === 'created' || c.action === 'updated');
