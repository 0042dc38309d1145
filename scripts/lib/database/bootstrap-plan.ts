/**
 * Plans, as a pure function of the desired users and the observed catalog, the SQL that makes a fresh or
 * half-bootstrapped server match: the application database, NOLOGIN group roles (PostgreSQL), one login
 * user per configured user, a schema for each owner user, default privileges, and TLS-only accounts
 * (MySQL). Every statement is derived from what is missing, so a second run plans nothing, and a run
 * interrupted anywhere leaves a state the next plan starts from.
 *
 * Identifiers are quoted with the drivers' own escaping. Passwords never appear: a user's password is set
 * from what the server stores for it (a SCRAM verifier, a MySQL authentication string), computed on the
 * client; every step also carries a display form with that value replaced, the only form ever printed.
 */
import pg from "pg";
import mysql from "mysql2";
import { databaseNameProblem, groupRoleName, PRIVILEGE_LEVELS, userNameProblem, type EngineFamily, type PrivilegeLevel } from "../names/database-names.ts";
import type { InputProblem } from "./input-problems.ts";
import type { MysqlPasswordPlugin } from "./password-hashes.ts";

export type Dialect = "postgresql" | "mysql";
export type Privileges = PrivilegeLevel;
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
  /**
   * Users the configuration had and no longer has: each is disabled — no login (PostgreSQL NOLOGIN,
   * MySQL ACCOUNT LOCK), out of its groups and privileges, its sessions ended (PostgreSQL) — and kept,
   * with every object it owns, until an operator drops it.
   * @default none
   */
  readonly removedUsers?: readonly string[];
}

export interface PlannedStep {
  /** Where it runs: the server's maintenance database, or the application database (PostgreSQL). */
  readonly target: "server" | "database";
  readonly sql: string;
  /** The statement with any stored password value replaced; the only form that may be printed or logged. */
  readonly display: string;
}

/**
 * What the server is to store for each user whose password this plan sets: a SCRAM-SHA-256 verifier
 * (PostgreSQL) or an authentication string for the catalog's password plugin (MySQL). Never a password.
 */
export type StoredCredentials = Readonly<Record<string, string>>;

/** The server is in a state the master user cannot change; nothing has been run. */
export class PlanRefused extends Error {
  constructor(readonly reasons: readonly string[]) {
    super(reasons.join("; "));
    this.name = "PlanRefused";
  }
}

const REDACTED = "'********'";

export const ENGINE_FAMILY: Readonly<Record<Dialect, EngineFamily>> = { postgresql: "POSTGRESQL", mysql: "MYSQL" };

/** Every problem with the desired state, before anything runs; `masterUser` when already known. */
export function desiredStateProblems(state: DesiredState, masterUser?: string): InputProblem[] {
  const problems: InputProblem[] = [];
  const family = ENGINE_FAMILY[state.dialect];
  if (!family) return [{ path: "dialect", value: state.dialect, allowed: 'must be "postgresql" or "mysql"' }];
  const databaseProblem = databaseNameProblem(state.database, family);
  if (databaseProblem) problems.push({ path: "database", value: state.database, allowed: `database name ${databaseProblem}` });
  const seen = new Set<string>();
  for (const user of state.users) {
    const path = `users.${user.name}`;
    const nameProblem = userNameProblem(user.name, family, { ...(masterUser !== undefined ? { masterUser } : {}), database: state.database });
    if (nameProblem) problems.push({ path, value: user.name, allowed: `user name ${nameProblem}` });
    if (seen.has(user.name)) problems.push({ path, value: user.name, allowed: "must be listed once" });
    if (!["readwrite", "readonly", "owner"].includes(user.privileges)) problems.push({ path: `${path}.privileges`, value: user.privileges, allowed: 'must be "readwrite", "readonly" or "owner"' });
    if (!["password", "iam"].includes(user.login)) problems.push({ path: `${path}.login`, value: user.login, allowed: 'must be "password" or "iam"' });
    seen.add(user.name);
  }
  for (const name of state.removedUsers ?? []) {
    const path = `removedUsers.${name}`;
    const nameProblem = userNameProblem(name, family, { ...(masterUser !== undefined ? { masterUser } : {}), database: state.database });
    if (nameProblem) problems.push({ path, value: name, allowed: `user name ${nameProblem}` });
    if (seen.has(name)) problems.push({ path, value: name, allowed: "is still a configured user: a removed user is one the configuration no longer lists" });
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------------
// PostgreSQL
// ---------------------------------------------------------------------------------------------------------

/**
 * What the connected master may do with a role. PostgreSQL 16 split membership into ADMIN, INHERIT and
 * SET options, and a CREATEROLE user gets only ADMIN on the roles it creates: CREATE SCHEMA … AUTHORIZATION
 * and ALTER DEFAULT PRIVILEGES FOR ROLE need SET, acting on the role's objects needs INHERIT, and
 * granting the role or altering it needs ADMIN. Before 16, membership gave SET and INHERIT, and
 * CREATEROLE gave ADMIN on every role that is not a superuser.
 */
export interface MasterRights {
  readonly set: boolean;
  readonly inherit: boolean;
  readonly admin: boolean;
}

export interface RoleFacts {
  readonly login: boolean;
  readonly memberOf: readonly string[];
  readonly master: MasterRights;
}

/** What the PostgreSQL server has now; application-database facts are empty until the database exists. */
export interface PostgresCatalog {
  /** server_version_num, e.g. 160004. */
  readonly serverVersion: number;
  /** The connected (master) user. */
  readonly currentUser: string;
  readonly databaseExists: boolean;
  /** The users, the group roles and rds_iam, where they exist. */
  readonly roles: Readonly<Record<string, RoleFacts>>;
  readonly publicCanConnect: boolean;
  /** Roles granted CONNECT on the application database. */
  readonly connectGrantees: readonly string[];
  readonly publicCanCreateInPublicSchema: boolean;
  /** Schema named like a user -> its owner. */
  readonly schemas: Readonly<Record<string, string>>;
  /** Schema -> roles with USAGE. */
  readonly schemaUsage: Readonly<Record<string, readonly string[]>>;
  /** Canonical default-privilege entries: "<owner>|<schema>|<tables|sequences>|<grantee>|<privileges, sorted>". */
  readonly defaultPrivileges: readonly string[];
  /**
   * "<schema>|<group>" pairs where some existing table, view or materialized view lacks the group's
   * privileges, or the group does not exist yet and the schema has one.
   */
  readonly tablesMissingGrants: readonly string[];
  /** The same, for sequences (a readwrite user inserting into a serial column needs USAGE on its sequence). */
  readonly sequencesMissingGrants: readonly string[];
  /** Users configured as readwrite or readonly that own objects in the application database (former owners). */
  readonly nonOwnersOwningObjects: readonly string[];
  /** Role -> its search_path in the application database, as unquoted names ("$user" stays "$user"). */
  readonly searchPaths: Readonly<Record<string, readonly string[]>>;
  /** Removed users that still have sessions open (by pg_stat_activity). */
  readonly removedUsersWithSessions: readonly string[];
}

/** PostgreSQL 16 is where role membership gained its SET and INHERIT options. */
export const PG_MEMBERSHIP_OPTIONS_VERSION = 160000;

const PG_TABLE_PRIVILEGES: Record<Exclude<Privileges, "owner">, readonly string[]> = {
  readwrite: ["DELETE", "INSERT", "SELECT", "UPDATE"],
  readonly: ["SELECT"],
};
const PG_SEQUENCE_PRIVILEGES: Record<Exclude<Privileges, "owner">, readonly string[]> = {
  readwrite: ["SELECT", "USAGE"],
  readonly: ["SELECT"],
};
/** What each group holds on the owners' objects, by kind: by default privileges on new ones, by GRANT … ON ALL on existing ones. */
export const PG_OBJECT_PRIVILEGES = { tables: PG_TABLE_PRIVILEGES, sequences: PG_SEQUENCE_PRIVILEGES } as const;

export function defaultPrivilegeKey(owner: string, schema: string, kind: "tables" | "sequences", grantee: string, privileges: readonly string[]): string {
  return [owner, schema, kind, grantee, [...privileges].sort().join(",")].join("|");
}

/** search_path for a user: its own schema first (owners have one), then the schemas of the owners whose tables it uses. */
export function searchPathFor(user: UserSpec, owners: readonly string[]): string[] {
  return ["$user", ...owners.filter((o) => o !== user.name)];
}

export function planPostgres(state: DesiredState, catalog: PostgresCatalog, credentials: StoredCredentials): PlannedStep[] {
  const id = pg.escapeIdentifier;
  const steps: PlannedStep[] = [];
  const refusals = new Map<string, string>();
  const server = (sql: string, display = sql) => steps.push({ target: "server", sql, display });
  const inDatabase = (sql: string) => steps.push({ target: "database", sql, display: sql });
  const db = state.database;
  const levels = [...new Set(state.users.map((u) => u.privileges))].sort();
  const owners = state.users.filter((u) => u.privileges === "owner").map((u) => u.name);
  const role = (name: string) => catalog.roles[name];
  // A role the master created is its to administer; one made by someone else (before the first bootstrap,
  // or by another administrator) must be handed over first, or every run would fail half-way.
  const administer = (name: string, purpose: string) => {
    const existing = role(name);
    if (refusals.has(name)) return;
    if (!existing) {
      if (name === "rds_iam") refusals.set(name, `role rds_iam does not exist, so ${purpose}: IAM database authentication needs RDS or Aurora`);
    } else if (!existing.master.admin) {
      refusals.set(name, `role ${JSON.stringify(name)} exists but ${catalog.currentUser} cannot administer it, so ${purpose}: as its creator or a superuser, GRANT ${id(name)} TO ${id(catalog.currentUser)} WITH ADMIN OPTION, then rerun`);
    }
  };
  const setAndInherit = catalog.serverVersion >= PG_MEMBERSHIP_OPTIONS_VERSION ? " WITH INHERIT TRUE, SET TRUE" : "";

  for (const level of levels) {
    const group = groupRoleName(db, level);
    if (!role(group)) server(`CREATE ROLE ${id(group)} NOLOGIN`);
  }
  for (const user of state.users) {
    const existing = role(user.name);
    const credential = user.login === "password" ? credentials[user.name] : undefined;
    if (user.login === "password" && credential === undefined && !existing) {
      throw new Error(`planPostgres: user ${user.name} is new and needs a password`);
    }
    const password = credential === undefined ? { sql: "", display: "" } : { sql: ` PASSWORD ${pg.escapeLiteral(credential)}`, display: ` PASSWORD ${REDACTED}` };
    if (!existing) {
      server(`CREATE ROLE ${id(user.name)} LOGIN${password.sql}`, `CREATE ROLE ${id(user.name)} LOGIN${password.display}`);
    } else if (credential !== undefined || !existing.login) {
      administer(user.name, `its login and password cannot be set`);
      server(`ALTER ROLE ${id(user.name)} WITH LOGIN${password.sql}`, `ALTER ROLE ${id(user.name)} WITH LOGIN${password.display}`);
    }
    const memberOf = existing?.memberOf ?? [];
    const group = groupRoleName(db, user.privileges);
    if (!memberOf.includes(group)) {
      administer(group, `${user.name} cannot join it`);
      server(`GRANT ${id(group)} TO ${id(user.name)}`);
    }
    // A level changed since the last run: the groups of the other levels are what the user must lose.
    for (const other of PRIVILEGE_LEVELS) {
      const otherGroup = groupRoleName(db, other);
      if (other === user.privileges || !memberOf.includes(otherGroup)) continue;
      administer(otherGroup, `${user.name} cannot leave it`);
      server(`REVOKE ${id(otherGroup)} FROM ${id(user.name)}`);
    }
    // rds_iam makes RDS refuse the user's password: only direct-IAM users may have it.
    if (user.login === "iam" && !memberOf.includes("rds_iam")) {
      administer("rds_iam", `${user.name} cannot be given IAM authentication`);
      server(`GRANT rds_iam TO ${id(user.name)}`);
    }
    if (user.login === "password" && memberOf.includes("rds_iam")) {
      administer("rds_iam", `${user.name} cannot be taken off IAM authentication`);
      server(`REVOKE rds_iam FROM ${id(user.name)}`);
    }
    // The master creates schemas for, and sets default privileges of, users it can SET ROLE to, and manages
    // their objects through INHERIT; a role it just created gives it neither on PostgreSQL 16.
    if (!existing?.master.set || !existing.master.inherit) {
      if (existing) administer(user.name, `${catalog.currentUser} cannot act as it`);
      server(`GRANT ${id(user.name)} TO CURRENT_USER${setAndInherit}`);
    }
  }
  // Removed users: no login, out of every group of this database, their sessions ended; kept, with what they own.
  for (const name of state.removedUsers ?? []) {
    const existing = role(name);
    if (!existing) continue;
    if (existing.login) {
      administer(name, `its login cannot be disabled`);
      server(`ALTER ROLE ${id(name)} WITH NOLOGIN`);
    }
    for (const level of PRIVILEGE_LEVELS) {
      const group = groupRoleName(db, level);
      if (!existing.memberOf.includes(group)) continue;
      administer(group, `${name} cannot leave it`);
      server(`REVOKE ${id(group)} FROM ${id(name)}`);
    }
    if (catalog.removedUsersWithSessions.includes(name)) server(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = ${pg.escapeLiteral(name)}`);
  }
  if (refusals.size > 0) throw new PlanRefused([...refusals.values()]);

  if (!catalog.databaseExists) server(`CREATE DATABASE ${id(db)}`);
  if (catalog.publicCanConnect || !catalog.databaseExists) server(`REVOKE CONNECT, TEMPORARY ON DATABASE ${id(db)} FROM PUBLIC`);
  for (const level of levels) {
    const group = groupRoleName(db, level);
    if (!catalog.connectGrantees.includes(group)) server(`GRANT CONNECT ON DATABASE ${id(db)} TO ${id(group)}`);
  }

  if (catalog.publicCanCreateInPublicSchema || !catalog.databaseExists) inDatabase("REVOKE CREATE ON SCHEMA public FROM PUBLIC");
  // Only owners create objects, in a schema of their own; a schema an earlier version gave a readwrite or
  // readonly user is taken back, so that user can no longer create anything in it.
  for (const user of state.users) {
    const owner = catalog.schemas[user.name];
    if (user.privileges === "owner") {
      if (owner === undefined) inDatabase(`CREATE SCHEMA ${id(user.name)} AUTHORIZATION ${id(user.name)}`);
      else if (owner !== user.name) inDatabase(`ALTER SCHEMA ${id(user.name)} OWNER TO ${id(user.name)}`);
    } else if (owner === user.name) {
      inDatabase(`ALTER SCHEMA ${id(user.name)} OWNER TO CURRENT_USER`);
    }
  }
  // A former owner's tables, views, sequences and functions go to the master too: owning an object is
  // altering and dropping it, which a readwrite or readonly level does not include. Grants on them stay.
  for (const user of state.users) {
    if (user.privileges !== "owner" && catalog.nonOwnersOwningObjects.includes(user.name)) inDatabase(`REASSIGN OWNED BY ${id(user.name)} TO CURRENT_USER`);
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
      if (catalog.sequencesMissingGrants.includes(`${owner}|${group}`)) {
        inDatabase(`GRANT ${PG_SEQUENCE_PRIVILEGES[level].join(", ")} ON ALL SEQUENCES IN SCHEMA ${id(owner)} TO ${id(group)}`);
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
  /** The plugin new passwords are stored for (see `mysqlPasswordPlugin` in mysql-catalog.ts). */
  readonly passwordPlugin: MysqlPasswordPlugin;
  /**
   * User (host '%') -> its authentication plugin and string (hex, so binary salts survive), TLS
   * requirement (mysql.user ssl_type) and privileges on the database.
   */
  readonly users: Readonly<Record<string, {
    readonly plugin: string;
    readonly authenticationStringHex: string;
    readonly sslType: string;
    readonly privileges: readonly string[];
    /** Read for removed users only (SHOW CREATE USER … ACCOUNT LOCK). */
    readonly locked?: boolean;
  }>>;
}

/**
 * Schema-level privileges per level; an explicit list, so what is granted can be compared with what is.
 * Only owners create, alter or drop objects; readonly users read, and see view definitions.
 */
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

export function planMysql(state: DesiredState, catalog: MysqlCatalog, credentials: StoredCredentials): PlannedStep[] {
  const steps: PlannedStep[] = [];
  const server = (sql: string, display = sql) => steps.push({ target: "server", sql, display });
  const account = (name: string) => `${mysql.escape(name)}@'%'`;
  const db = mysql.escapeId(state.database);

  if (!catalog.databaseExists) server(`CREATE DATABASE ${db} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  for (const user of state.users) {
    const existing = catalog.users[user.name];
    const credential = user.login === "password" ? credentials[user.name] : undefined;
    if (user.login === "password" && credential === undefined && !existing) {
      throw new Error(`planMysql: user ${user.name} is new and needs a password`);
    }
    const identified = user.login === "iam"
      ? { sql: `IDENTIFIED WITH ${IAM_PLUGIN} AS 'RDS'`, display: `IDENTIFIED WITH ${IAM_PLUGIN} AS 'RDS'` }
      : credential === undefined
        ? undefined
        : { sql: `IDENTIFIED WITH ${catalog.passwordPlugin} AS ${mysql.escape(credential)}`, display: `IDENTIFIED WITH ${catalog.passwordPlugin} AS ${REDACTED}` };
    if (!existing) {
      server(`CREATE USER ${account(user.name)} ${identified!.sql} REQUIRE SSL`, `CREATE USER ${account(user.name)} ${identified!.display} REQUIRE SSL`);
    } else {
      const change = user.login === "iam" ? existing.plugin !== IAM_PLUGIN : credential !== undefined;
      if (change) server(`ALTER USER ${account(user.name)} ${identified!.sql}`, `ALTER USER ${account(user.name)} ${identified!.display}`);
      if (existing.sslType !== "ANY") server(`ALTER USER ${account(user.name)} REQUIRE SSL`);
    }
    const have = new Set(existing?.privileges ?? []);
    const missing = MYSQL_PRIVILEGES[user.privileges].filter((p) => !have.has(p));
    if (missing.length > 0) server(`GRANT ${missing.join(", ")} ON ${db}.* TO ${account(user.name)}`);
    // A level changed since the last run (owner -> readwrite, readwrite -> readonly): revoke what the new one does not include.
    const extra = [...have].filter((p) => !MYSQL_PRIVILEGES[user.privileges].includes(p)).sort();
    if (extra.length > 0) server(`REVOKE ${extra.join(", ")} ON ${db}.* FROM ${account(user.name)}`);
  }
  // Removed users: locked (no new connection) and without privileges on the database; kept, with what they own.
  for (const name of state.removedUsers ?? []) {
    const existing = catalog.users[name];
    if (!existing) continue;
    if (!existing.locked) server(`ALTER USER ${account(name)} ACCOUNT LOCK`);
    if (existing.privileges.length > 0) server(`REVOKE ${[...existing.privileges].sort().join(", ")} ON ${db}.* FROM ${account(name)}`);
  }
  return steps;
}

export function plan(state: DesiredState, catalog: PostgresCatalog | MysqlCatalog, credentials: StoredCredentials): PlannedStep[] {
  return state.dialect === "postgresql"
    ? planPostgres(state, catalog as PostgresCatalog, credentials)
    : planMysql(state, catalog as MysqlCatalog, credentials);
}
