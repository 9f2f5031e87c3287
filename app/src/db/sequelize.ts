import pg from 'pg';
import { Sequelize } from 'sequelize';

export function createSequelize(databaseUrl: string, poolMax: number): Sequelize {
  return new Sequelize(databaseUrl, {
    dialect: 'postgres',
    dialectModule: pg,
    logging: false,
    benchmark: false,
    pool: { max: poolMax, min: 0, idle: 10_000, acquire: 5_000 },
    define: { underscored: true, timestamps: true },
  });
}
