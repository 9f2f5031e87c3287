import { DataTypes, type QueryInterface, type Transaction } from 'sequelize';

export const name = '0001-create-medications';

export async function up(qi: QueryInterface, transaction: Transaction): Promise<void> {
  await qi.createTable(
    'medications',
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      name: { type: DataTypes.STRING(120), allowNull: false },
      strength: { type: DataTypes.DECIMAL(12, 4), allowNull: false },
      unit: { type: DataTypes.STRING(8), allowNull: false },
      form: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'other' },
      notes: { type: DataTypes.TEXT, allowNull: true },
      // Millisecond precision so a JavaScript Date in a keyset cursor round-trips exactly.
      created_at: { type: 'TIMESTAMP(3) WITH TIME ZONE', allowNull: false, defaultValue: qi.sequelize.fn('now') },
      updated_at: { type: 'TIMESTAMP(3) WITH TIME ZONE', allowNull: false, defaultValue: qi.sequelize.fn('now') },
    },
    { transaction },
  );
  // The database enforces the contract too, so no path around the API can store bad rows.
  await qi.sequelize.query(
    `ALTER TABLE medications
      ADD CONSTRAINT medications_name_length CHECK (char_length(name) BETWEEN 1 AND 120),
      ADD CONSTRAINT medications_strength_positive CHECK (strength > 0),
      ADD CONSTRAINT medications_unit_known CHECK (unit IN ('mg','mcg','g','mL','IU','%')),
      ADD CONSTRAINT medications_form_known CHECK (form IN ('tablet','capsule','liquid','injection','inhaler','topical','other')),
      ADD CONSTRAINT medications_notes_length CHECK (notes IS NULL OR char_length(notes) <= 2000)`,
    { transaction },
  );
  await qi.addIndex('medications', {
    name: 'medications_newest_first',
    fields: [
      { name: 'created_at', order: 'DESC' },
      { name: 'id', order: 'DESC' },
    ],
    transaction,
  });
}
