import type { Sequelize } from 'sequelize';
import { isoTimestampTypes } from '../db/iso-timestamps';
import { pooledQuery } from '../db/pooled-query';
import { type Cursor, encodeCursor } from './cursor';
import type { Medication } from './medication';
import type { MedicationInput } from './medication-input';
import { defineMedicationModel, type MedicationModel } from './medication-model';

export interface ListQuery {
  limit: number;
  cursor: Cursor | null;
  q: string | null;
}

export interface Page {
  items: Medication[];
  nextCursor: string | null;
}

const COLUMNS = `id, name, strength, unit, form, notes, created_at AS "createdAt", updated_at AS "updatedAt"`;

/** Escapes LIKE wildcards so a search for "50%" matches the text, not everything. */
const likePattern = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

// NUMERIC arrives as a string; strength is validated to 12 digits with 4 decimals, which a double holds exactly.
const fromRow = (row: Medication): Medication => ({ ...row, strength: Number(row.strength) });
const toMedication = (m: MedicationModel): Medication => {
  const row = m.get({ plain: true }) as Omit<Medication, 'createdAt' | 'updatedAt'> & { createdAt: Date; updatedAt: Date };
  return fromRow({ ...row, createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString() });
};

/**
 * The list and create paths are the hot ones: one prepared statement each on a connection from
 * Sequelize's pool, no model instances, timestamps kept as the ISO strings the API returns. Reads and writes of single rows go through the model.
 */
export class MedicationRepository {
  private readonly model: typeof MedicationModel;

  constructor(private readonly sequelize: Sequelize) {
    this.model = defineMedicationModel(sequelize);
  }

  async list({ limit, cursor, q }: ListQuery): Promise<Page> {
    const where: string[] = [];
    const bind: unknown[] = [];
    if (q) {
      bind.push(likePattern(q));
      where.push(`name ILIKE $${bind.length}`);
    }
    if (cursor) {
      bind.push(cursor.createdAt, cursor.id);
      where.push(`(created_at, id) < ($${bind.length - 1}, $${bind.length})`);
    }
    bind.push(limit + 1);
    const text =
      `SELECT ${COLUMNS} FROM medications` +
      (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
      ` ORDER BY created_at DESC, id DESC LIMIT $${bind.length}`;
    // Four shapes of this statement exist (with/without q, with/without cursor); each is prepared once per connection.
    const name = `medications-list${q ? '-q' : ''}${cursor ? '-cursor' : ''}`;
    const rows = await pooledQuery<Medication>(this.sequelize, { name, text, values: bind, types: isoTimestampTypes });
    const items = rows.slice(0, limit).map(fromRow);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
  }

  async create(input: MedicationInput): Promise<Medication> {
    const rows = await pooledQuery<Medication>(this.sequelize, {
      name: 'medications-create',
      text: `INSERT INTO medications (name, strength, unit, form, notes) VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
      values: [input.name, input.strength, input.unit, input.form, input.notes],
      types: isoTimestampTypes,
    });
    return fromRow(rows[0]!);
  }

  async get(id: number): Promise<Medication | null> {
    const found = await this.model.findByPk(id);
    return found ? toMedication(found) : null;
  }

  async update(id: number, changes: Partial<MedicationInput>): Promise<Medication | null> {
    const found = await this.model.findByPk(id);
    if (!found) return null;
    await found.update(changes);
    return toMedication(found);
  }

  async remove(id: number): Promise<boolean> {
    return (await this.model.destroy({ where: { id } })) > 0;
  }
}
