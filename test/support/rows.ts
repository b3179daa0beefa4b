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

/**
 * Runs `body` while a trigger makes PostgreSQL refuse every row inserted into `table` whose
 * `column` is `value` (RAISE EXCEPTION `message`): a data error confined to one caller, event or
 * row, for tests of what else such an error must not take down. The trigger is dropped after.
 */
export async function withRefusedRows<T>(
  sequelize: Sequelize,
  refused: { table: string; column: string; value: string; message: string },
  body: () => Promise<T>,
): Promise<T> {
  const { table, column, value, message } = refused;
  const fn = `refuse_${value.replace(/[^A-Za-z0-9]/g, '')}`;
  await sequelize.query(`
    CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.${column}::text = '${value}' THEN RAISE EXCEPTION '${message}'; END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER ${fn} BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION ${fn}();`);
  try {
    return await body();
  } finally {
    await sequelize.query(`DROP TRIGGER ${fn} ON ${table}; DROP FUNCTION ${fn}();`);
  }
}
