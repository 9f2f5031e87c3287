import { expect } from 'chai';
import { pino } from 'pino';
import type { Sequelize } from 'sequelize';
import { migrate, migrationsApplied, type Migration } from '../../app/src/db/migrate.js';
import { createSequelize } from '../../app/src/db/sequelize.js';
import { freshDatabase } from '../support/postgres.js';

const silent = pino({ level: 'silent' });

const createTable = (name: string, table: string): Migration => ({
  name,
  async up(qi, transaction) {
    await qi.sequelize.query(`CREATE TABLE ${table} (id int)`, { transaction });
  },
});

/** Creates its table, then fails on its second statement. */
const failingHalfway = (name: string, table: string): Migration => ({
  name,
  async up(qi, transaction) {
    await qi.sequelize.query(`CREATE TABLE ${table} (id int)`, { transaction });
    await qi.sequelize.query('SELECT no_such_column FROM pg_class', { transaction });
  },
});

describe('migrations', () => {
  let url: string;
  let sequelize: Sequelize;
  beforeEach(async () => {
    url = await freshDatabase('migrate');
    sequelize = createSequelize(url, 1);
  });
  afterEach(async () => sequelize.close());

  const tables = async () => {
    const [rows] = await sequelize.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`);
    return (rows as Array<{ tablename: string }>).map((r) => r.tablename);
  };
  const recorded = async () => {
    const [rows] = await sequelize.query('SELECT name FROM schema_migrations ORDER BY name');
    return (rows as Array<{ name: string }>).map((r) => r.name);
  };

  it('rolls back a migration that fails halfway, with its record, keeping the ones before it', async () => {
    const first = createTable('0001-a', 'a');
    const broken = failingHalfway('0002-b', 'b');
    const error = await migrate(url, sequelize, silent, [first, broken]).then(() => null, (err: Error) => err);
    expect(error?.message).to.match(/no_such_column/);
    expect(await tables()).to.deep.equal(['a', 'schema_migrations']);
    expect(await recorded()).to.deep.equal(['0001-a']);
    expect(await migrationsApplied(sequelize, [first, broken])).to.equal(false);

    // The fixed migration applies cleanly on the next start: nothing half-done is in its way.
    expect(await migrate(url, sequelize, silent, [first, createTable('0002-b', 'b')])).to.deep.equal(['0002-b']);
    expect(await tables()).to.deep.equal(['a', 'b', 'schema_migrations']);
  });

  it('applies the real migrations once and reports the schema current', async () => {
    expect(await migrationsApplied(sequelize), 'before: no table yet').to.equal(false);
    expect(await migrate(url, sequelize, silent)).to.deep.equal(['0001-create-medications']);
    expect(await migrate(url, sequelize, silent)).to.deep.equal([]);
    expect(await migrationsApplied(sequelize)).to.equal(true);
  });
});
