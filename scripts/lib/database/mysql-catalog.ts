/** Reads what a MySQL (or MariaDB) server has, in the shape the bootstrap planner compares against. */
import type { Connection } from "mysql2/promise";
import type { DesiredState, MysqlCatalog } from "./bootstrap-plan.ts";
import type { MysqlPasswordPlugin } from "./password-hashes.ts";

/**
 * The plugin a password is stored for, by VERSION(): mysql_native_password on MariaDB and on MySQL before
 * 8.4 (Aurora MySQL 3, RDS MySQL 8.0), where it is the default RDS Proxy has always spoken; from MySQL 8.4
 * that plugin is off by default, so caching_sha2_password. Both accept a precomputed hash
 * (IDENTIFIED WITH <plugin> AS '<hash>'), which keeps the password out of every statement.
 */
export function mysqlPasswordPlugin(version: string): MysqlPasswordPlugin {
  if (/mariadb/i.test(version)) return "mysql_native_password";
  const [major, minor] = (/^(\d+)\.(\d+)/.exec(version) ?? []).slice(1).map(Number);
  return major! > 8 || (major === 8 && minor! >= 4) ? "caching_sha2_password" : "mysql_native_password";
}

export async function readMysqlCatalog(connection: Pick<Connection, "query">, state: DesiredState): Promise<MysqlCatalog> {
  const removed = state.removedUsers ?? [];
  const names = [...state.users.map((u) => u.name), ...removed];
  const [versionRows] = await connection.query("SELECT VERSION() AS version");
  const [databases] = await connection.query("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", [state.database]);
  const users: Record<string, { plugin: string; authenticationStringHex: string; sslType: string; privileges: string[]; locked?: boolean }> = {};
  if (names.length > 0) {
    const [rows] = await connection.query(
      "SELECT User AS user, plugin, HEX(authentication_string) AS auth, ssl_type AS sslType FROM mysql.user WHERE Host = '%' AND User IN (?)", [names]);
    for (const row of rows as { user: string; plugin: string; auth: string | null; sslType: string }[]) {
      users[row.user] = { plugin: row.plugin, authenticationStringHex: row.auth ?? "", sslType: String(row.sslType), privileges: [] };
    }
    // GRANTEE looks like 'name'@'%'; database names in TABLE_SCHEMA are stored as given.
    const [grants] = await connection.query(
      "SELECT GRANTEE AS grantee, PRIVILEGE_TYPE AS privilege FROM information_schema.SCHEMA_PRIVILEGES WHERE TABLE_SCHEMA = ?", [state.database]);
    for (const row of grants as { grantee: string; privilege: string }[]) {
      const match = /^'((?:[^']|'')*)'@'%'$/.exec(row.grantee);
      const user = match ? users[match[1]!.replaceAll("''", "'")] : undefined;
      if (user) user.privileges.push(row.privilege);
    }
    // mysql.user spells account locking differently on MySQL and MariaDB; SHOW CREATE USER says it the same way on both.
    for (const name of removed.filter((n) => users[n])) {
      const [rows] = await connection.query("SHOW CREATE USER ?@'%'", [name]);
      users[name]!.locked = /\bACCOUNT LOCK\b/.test(String(Object.values((rows as Record<string, unknown>[])[0] ?? {})[0]));
    }
  }
  return {
    databaseExists: (databases as unknown[]).length > 0,
    passwordPlugin: mysqlPasswordPlugin((versionRows as { version: string }[])[0]!.version),
    users,
  };
}
