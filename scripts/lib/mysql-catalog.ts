/** Reads what a MySQL (or MariaDB) server has, in the shape the bootstrap planner compares against. */
import type { Connection } from "mysql2/promise";
import type { DesiredState, MysqlCatalog } from "./bootstrap-plan.ts";

export async function readMysqlCatalog(connection: Pick<Connection, "query">, state: DesiredState): Promise<MysqlCatalog> {
  const names = state.users.map((u) => u.name);
  const [databases] = await connection.query("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", [state.database]);
  const users: Record<string, { plugin: string; sslType: string; privileges: string[] }> = {};
  if (names.length > 0) {
    const [rows] = await connection.query("SELECT User AS user, plugin, ssl_type AS sslType FROM mysql.user WHERE Host = '%' AND User IN (?)", [names]);
    for (const row of rows as { user: string; plugin: string; sslType: string }[]) {
      users[row.user] = { plugin: row.plugin, sslType: String(row.sslType), privileges: [] };
    }
    // GRANTEE looks like 'name'@'%'; database names in TABLE_SCHEMA are stored as given.
    const [grants] = await connection.query(
      "SELECT GRANTEE AS grantee, PRIVILEGE_TYPE AS privilege FROM information_schema.SCHEMA_PRIVILEGES WHERE TABLE_SCHEMA = ?", [state.database]);
    for (const row of grants as { grantee: string; privilege: string }[]) {
      const match = /^'((?:[^']|'')*)'@'%'$/.exec(row.grantee);
      const user = match ? users[match[1]!.replaceAll("''", "'")] : undefined;
      if (user) user.privileges.push(row.privilege);
    }
  }
  return { databaseExists: (databases as unknown[]).length > 0, users };
}
