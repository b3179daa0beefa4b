import { QueryTypes, type Sequelize } from 'sequelize';

/** `SELECT count(*) FROM <from>` with bound parameters: how tests check what a call wrote. */
export async function countRows(
  sequelize: Sequelize,
  from: string,
  bind: Record<string, unknown>,
): Promise<number> {
  const [row] = await sequelize.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${from}`, {
    bind,
    type: QueryTypes.SELECT,
  });
  return row!.n;
}
