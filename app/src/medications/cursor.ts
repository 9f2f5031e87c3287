/** Keyset position after the last row of a page: (createdAt, id), newest first. */
export interface Cursor {
  /** ISO 8601, as the row carries it. */
  createdAt: string;
  id: number;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt, cursor.id])).toString('base64url');
}

/** Returns null for anything that is not a cursor this service issued. */
export function decodeCursor(raw: string): Cursor | null {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(raw)) return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 2) return null;
    const [iso, id] = value as [unknown, unknown];
    if (typeof iso !== 'string' || !Number.isSafeInteger(id) || (id as number) < 1) return null;
    const createdAt = new Date(iso);
    return Number.isNaN(createdAt.getTime()) ? null : { createdAt: createdAt.toISOString(), id: id as number };
  } catch {
    return null;
  }
}
