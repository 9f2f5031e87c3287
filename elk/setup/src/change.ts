// What one step did, so a run can print a summary and a test can assert "second run changes nothing".
export type Action = 'created' | 'updated' | 'unchanged';

export interface Change {
  action: Action;
  kind: string;
  name: string;
}

export const change = (action: Action, kind: string, name: string): Change => ({ action, kind, name });

export const changed = (changes: Change[]): Change[] => changes.filter((c) => c.action !== 'unchanged');
