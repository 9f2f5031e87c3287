import { DataTypes, Model, type Sequelize } from 'sequelize';
import type { Form, Unit } from './medication';

export class MedicationModel extends Model {
  declare id: number;
  declare name: string;
  declare strength: number;
  declare unit: Unit;
  declare form: Form;
  declare notes: string | null;
  declare createdAt: Date;
  declare updatedAt: Date;
}

export function defineMedicationModel(sequelize: Sequelize): typeof MedicationModel {
  MedicationModel.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      name: { type: DataTypes.STRING(120), allowNull: false },
      strength: { type: DataTypes.DECIMAL(12, 4), allowNull: false },
      unit: { type: DataTypes.STRING(8), allowNull: false },
      form: { type: DataTypes.STRING(16), allowNull: false },
      notes: { type: DataTypes.TEXT, allowNull: true },
    },
    { sequelize, tableName: 'medications', modelName: 'Medication', underscored: true },
  );
  return MedicationModel;
}
