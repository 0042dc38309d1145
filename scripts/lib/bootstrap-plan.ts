/**
 * Plans, as a pure function of the desired users and the observed catalog, the SQL that makes a fresh or
 * half-bootstrapped server match: the application database, NOLOGIN group roles (PostgreSQL), one login
 * user per configured user, a schema per user owned by it, default privileges, and TLS-only accounts
 * (MySQL). Every statement is derived from what is missing, so a second run plans nothing.
 *
 * Identifiers are quoted with the drivers' own escaping and passwords are literals escaped the same way;
 * every step also carries a display form with the password replaced, the only form ever printed.
 */
import pg from "pg";
import mysql from "mysql2";

export type Dialect = "postgresql" | "mysql";
export type Privileges = "readwrite" | "readonly" | "owner";
/**
 * `password`: logs in with a password (kept in its secret) — every user the proxy serves, whichever way
 * clients authenticate to the proxy. `iam`: connects straight to the database with an IAM token
 * (rds_iam / AWSAuthenticationPlugin) and has no password at all.
 */
export type Login = "password" | "iam";

export interface UserSpec {
  readonly name: string;
  readonly privileges: Privileges;
  readonly login: Login;
}

export interface DesiredState {
  readonly dialect: Dialect;
  readonly database: string;
  readonly users: readonly UserSpec[];
}

export interface PlannedStep {
  /** Where it runs: the server's maintenance database, or the application database (PostgreSQL). */
  readonly target: "server" | "database";
  readonly sql: string;
  /** The statement with any password replaced; the only form that may be printed or logged. */
  readonly display: string;
}

const REDACTED = "'********'";

/** Names are checked before any quoting, so a name that would need creative quoting is refused outright. */
const IDENTIFIER = /^[\p{L}_][\p{L}\p{N}_$-]{0,62}$/u;

export function validateDesiredState(state: DesiredState): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, message: string) => {
    if (!ok) problems.push(message);
  };
  check(IDENTIFIER.test(state.database), `database name ${JSON.stringify(state.database)} must be 1..63 letters, digits, _ $ -, starting with a letter or _`);
  const seen = new Set<string>();
  for (const user of state.users) {
    check(IDENTIFIER.test(user.name) && (state.dialect === "postgresql" || user.name.length <= 32),
      `user name ${JSON.stringify(user.name)} must be 1..${state.dialect === "mysql" ? 32 : 63} letters, digits, _ $ -, starting with a letter or _`);
    check(!seen.has(user.name), `user ${JSON.stringify(user.name)} is listed twice`);
    check(["readwrite", "readonly", "owner"].includes(user.privileges), `user ${user.name}: privileges must be readwrite, readonly or owner`);
    check(["password", "iam"].includes(user.login), `user ${user.name}: login must be password or iam`);
    seen.add(user.name);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------------
// PostgreSQL
// ---------------------------------------------------------------------------------------------------------

/** What the PostgreSQL server has now; application-database facts are empty until the database exists. */
export interface PostgresCatalog {
  readonly databaseExists: boolean;
  /** Role name -> whether it can log in and which roles it is a member of. */
  readonly roles: Readonly<Record<string, { readonly login: boolean; readonly memberOf: readonly string[] }>>;
  /** Roles the connected (master) user may act as (SET ROLE / member of). */
  readonly currentUserMemberOf: readonly string[];
  readonly publicCanConnect: boolean;
  /** Roles granted CONNECT on the application database. */
  readonly connectGrantees: readonly string[];
  readonly publicCanCreateInPublicSchema: boolean;
  /** Schema -> owner. */
  readonly schemas: Readonly<Record<string, string>>;
  /** Schema -> roles with USAGE. */
  readonly schemaUsage: Readonly<Record<string, readonly string[]>>;
  /** Canonical default-privilege entries: "<owner>|<schema>|<tables|sequences>|<grantee>|<privileges, sorted>". */
  readonly defaultPrivileges: readonly string[];
  /** "<schema>|<grantee>" pairs where some existing table lacks the group's privileges. */
  readonly tablesMissingGrants: readonly string[];
  /** Role -> its search_path in the application database, as unquoted names ("$user" stays "$user"). */
  readonly searchPaths: Readonly<Record<string, readonly string[]>>;
}

const PG_TABLE_PRIVILEGES: Record<Exclude<Privileges, "owner">, readonly string[]> = {
  readwrite: ["DELETE", "INSERT", "SELECT", "UPDATE"],
  readonly: ["SELECT"],
};
const PG_SEQUENCE_PRIVILEGES: Record<Exclude<Privileges, "owner">, readonly string[]> = {
  readwrite: ["SELECT", "USAGE"],
  readonly: ["SELECT"],
};

/** pg's escapeLiteral prefixes " E" when the text has a backslash; the space is not ours to keep. */
const literal = (text: string) => pg.escapeLiteral(text).trim();

export function groupRoleName(database: string, privileges: Privileges): string {
  return `${database}_${privileges}`;
}

export function defaultPrivilegeKey(owner: string, schema: string, kind: "tables" | "sequences", grantee: string, privileges: readonly string[]): string {
  return [owner, schema, kind, grantee, [...privileges].sort().join(",")].join("|");
}

/** search_path for a user: its own schema first, then the schemas of the owners whose tables it uses. */
export function searchPathFor(user: UserSpec, owners: readonly string[]): string[] {
  return ["$user", ...owners.filter((o) => o !== user.name)];
}

export function planPostgres(state: DesiredState, catalog: PostgresCatalog, passwords: Readonly<Record<string, string>>): PlannedStep[] {
  const id = pg.escapeIdentifier;
  const steps: PlannedStep[] = [];
  const server = (sql: string, display = sql) => steps.push({ target: "server", sql, display });
  const inDatabase = (sql: string) => steps.push({ target: "database", sql, display: sql });
  const db = state.database;
  const levels = [...new Set(state.users.map((u) => u.privileges))].sort();
  const owners = state.users.filter((u) => u.privileges === "owner").map((u) => u.name);
  const role = (name: string) => catalog.roles[name];

  for (const level of levels) {
    const group = groupRoleName(db, level);
    if (!role(group)) server(`CREATE ROLE ${id(group)} NOLOGIN`);
  }
  for (const user of state.users) {
    const existing = role(user.name);
    const password = passwords[user.name];
    if (user.login === "password" && password === undefined && !existing) {
      throw new Error(`planPostgres: user ${user.name} is new and needs a password`);
    }
    const withPassword = user.login === "password" && password !== undefined;
    if (!existing) {
      server(
        `CREATE ROLE ${id(user.name)} LOGIN${withPassword ? ` PASSWORD ${literal(password!)}` : ""}`,
        `CREATE ROLE ${id(user.name)} LOGIN${withPassword ? ` PASSWORD ${REDACTED}` : ""}`,
      );
    } else if (withPassword) {
      server(`ALTER ROLE ${id(user.name)} WITH LOGIN PASSWORD ${literal(password!)}`, `ALTER ROLE ${id(user.name)} WITH LOGIN PASSWORD ${REDACTED}`);
    } else if (!existing.login) {
      server(`ALTER ROLE ${id(user.name)} WITH LOGIN`);
    }
    const memberOf = existing?.memberOf ?? [];
    const group = groupRoleName(db, user.privileges);
    if (!memberOf.includes(group)) server(`GRANT ${id(group)} TO ${id(user.name)}`);
    // rds_iam makes RDS refuse the user's password: only direct-IAM users may have it.
    if (user.login === "iam" && !memberOf.includes("rds_iam")) server(`GRANT rds_iam TO ${id(user.name)}`);
    if (user.login === "password" && memberOf.includes("rds_iam")) server(`REVOKE rds_iam FROM ${id(user.name)}`);
    // The master may only create a schema for, or set default privileges of, a role it can act as.
    if (!catalog.currentUserMemberOf.includes(user.name)) server(`GRANT ${id(user.name)} TO CURRENT_USER`);
  }

  if (!catalog.databaseExists) server(`CREATE DATABASE ${id(db)}`);
  if (catalog.publicCanConnect || !catalog.databaseExists) server(`REVOKE CONNECT, TEMPORARY ON DATABASE ${id(db)} FROM PUBLIC`);
  for (const level of levels) {
    const group = groupRoleName(db, level);
    if (!catalog.connectGrantees.includes(group)) server(`GRANT CONNECT ON DATABASE ${id(db)} TO ${id(group)}`);
  }

  if (catalog.publicCanCreateInPublicSchema || !catalog.databaseExists) inDatabase("REVOKE CREATE ON SCHEMA public FROM PUBLIC");
  for (const user of state.users) {
    const owner = catalog.schemas[user.name];
    if (owner === undefined) inDatabase(`CREATE SCHEMA ${id(user.name)} AUTHORIZATION ${id(user.name)}`);
    else if (owner !== user.name) inDatabase(`ALTER SCHEMA ${id(user.name)} OWNER TO ${id(user.name)}`);
  }
  for (const owner of owners) {
    for (const level of ["readwrite", "readonly"] as const) {
      if (!levels.includes(level)) continue;
      const group = groupRoleName(db, level);
      if (!(catalog.schemaUsage[owner] ?? []).includes(group)) inDatabase(`GRANT USAGE ON SCHEMA ${id(owner)} TO ${id(group)}`);
      for (const [kind, table] of [["tables", PG_TABLE_PRIVILEGES], ["sequences", PG_SEQUENCE_PRIVILEGES]] as const) {
        const privileges = table[level];
        if (!catalog.defaultPrivileges.includes(defaultPrivilegeKey(owner, owner, kind, group, privileges))) {
          inDatabase(`ALTER DEFAULT PRIVILEGES FOR ROLE ${id(owner)} IN SCHEMA ${id(owner)} GRANT ${privileges.join(", ")} ON ${kind.toUpperCase()} TO ${id(group)}`);
        }
      }
      if (catalog.tablesMissingGrants.includes(`${owner}|${group}`)) {
        inDatabase(`GRANT ${PG_TABLE_PRIVILEGES[level].join(", ")} ON ALL TABLES IN SCHEMA ${id(owner)} TO ${id(group)}`);
      }
    }
  }
  for (const user of state.users) {
    const path = searchPathFor(user, owners);
    if ((catalog.searchPaths[user.name] ?? []).join(",") !== path.join(",")) {
      inDatabase(`ALTER ROLE ${id(user.name)} IN DATABASE ${id(db)} SET search_path = ${path.map((name) => id(name)).join(", ")}`);
    }
  }
  return steps;
}

// ---------------------------------------------------------------------------------------------------------
// MySQL
// ---------------------------------------------------------------------------------------------------------

/** What the MySQL server has now. */
export interface MysqlCatalog {
  readonly databaseExists: boolean;
  /** User (host '%') -> its authentication plugin, TLS requirement (mysql.user ssl_type) and privileges on the database. */
  readonly users: Readonly<Record<string, { readonly plugin: string; readonly sslType: string; readonly privileges: readonly string[] }>>;
}

/** Schema-level privileges per level; an explicit list, so what is granted can be compared with what is. */
export const MYSQL_PRIVILEGES: Record<Privileges, readonly string[]> = {
  readonly: ["SELECT", "SHOW VIEW"],
  readwrite: ["DELETE", "EXECUTE", "INSERT", "SELECT", "SHOW VIEW", "UPDATE"],
  owner: [
    "ALTER", "ALTER ROUTINE", "CREATE", "CREATE ROUTINE", "CREATE TEMPORARY TABLES", "CREATE VIEW", "DELETE", "DROP", "EVENT",
    "EXECUTE", "INDEX", "INSERT", "LOCK TABLES", "REFERENCES", "SELECT", "SHOW VIEW", "TRIGGER", "UPDATE",
  ],
};

/** RDS's IAM authentication plugin; absent from MariaDB and stock MySQL, which is why it is tested here. */
export const IAM_PLUGIN = "AWSAuthenticationPlugin";

export function planMysql(state: DesiredState, catalog: MysqlCatalog, passwords: Readonly<Record<string, string>>): PlannedStep[] {
  const steps: PlannedStep[] = [];
  const server = (sql: string, display = sql) => steps.push({ target: "server", sql, display });
  const account = (name: string) => `${mysql.escape(name)}@'%'`;
  const db = mysql.escapeId(state.database);

  if (!catalog.databaseExists) server(`CREATE DATABASE ${db} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  for (const user of state.users) {
    const existing = catalog.users[user.name];
    const password = passwords[user.name];
    if (user.login === "password" && password === undefined && !existing) {
      throw new Error(`planMysql: user ${user.name} is new and needs a password`);
    }
    const identified = user.login === "iam"
      ? `IDENTIFIED WITH ${IAM_PLUGIN} AS 'RDS'`
      : password === undefined ? undefined : { sql: `IDENTIFIED BY ${mysql.escape(password)}`, display: `IDENTIFIED BY ${REDACTED}` };
    const text = (part: typeof identified, form: "sql" | "display") => (typeof part === "string" ? part : part?.[form]);
    if (!existing) {
      server(`CREATE USER ${account(user.name)} ${text(identified, "sql")} REQUIRE SSL`, `CREATE USER ${account(user.name)} ${text(identified, "display")} REQUIRE SSL`);
    } else {
      const wrongPlugin = user.login === "iam" ? existing.plugin !== IAM_PLUGIN : existing.plugin === IAM_PLUGIN;
      if (identified !== undefined && (wrongPlugin || user.login === "password")) {
        server(`ALTER USER ${account(user.name)} ${text(identified, "sql")}`, `ALTER USER ${account(user.name)} ${text(identified, "display")}`);
      }
      if (existing.sslType !== "ANY") server(`ALTER USER ${account(user.name)} REQUIRE SSL`);
    }
    const have = new Set(existing?.privileges ?? []);
    const missing = MYSQL_PRIVILEGES[user.privileges].filter((p) => !have.has(p));
    if (missing.length > 0) server(`GRANT ${missing.join(", ")} ON ${db}.* TO ${account(user.name)}`);
  }
  return steps;
}

export function plan(state: DesiredState, catalog: PostgresCatalog | MysqlCatalog, passwords: Readonly<Record<string, string>>): PlannedStep[] {
  const problems = validateDesiredState(state);
  if (problems.length > 0) throw new Error(`invalid bootstrap request: ${problems.join("; ")}`);
  return state.dialect === "postgresql"
    ? planPostgres(state, catalog as PostgresCatalog, passwords)
    : planMysql(state, catalog as MysqlCatalog, passwords);
}
