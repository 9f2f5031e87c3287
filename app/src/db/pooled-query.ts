import type { ClientBase, QueryConfig, QueryResultRow } from 'pg';
import type { Sequelize } from 'sequelize';

/**
 * Runs one named (server-side prepared) statement on a connection borrowed from Sequelize's
 * own pool: the hot paths skip the ORM's query pipeline without a second pool per worker.
 */
export async function pooledQuery<T extends QueryResultRow>(sequelize: Sequelize, query: QueryConfig & { name: string }): Promise<T[]> {
  const manager = sequelize.connectionManager;
  const connection = (await manager.getConnection({ type: 'write' })) as ClientBase;
  try {
    return (await connection.query<T>(query)).rows;
  } finally {
    manager.releaseConnection(connection);
  }
}
