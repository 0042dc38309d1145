/** Reads what a PostgreSQL server has, in the shape the bootstrap planner compares against. */
import type pg from "pg";
import { groupRoleName, PRIVILEGE_LEVELS } from "../names/database-names.ts";
import { defaultPrivilegeKey, PG_MEMBERSHIP_OPTIONS_VERSION, PG_OBJECT_PRIVILEGES, type DesiredState, type PostgresCatalog, type RoleFacts } from "./bootstrap-plan.ts";

type Queryable = Pick<pg.ClientBase, "query">;

/**
 * `server` is connected to the maintenance database; `database` to the application database, or
 * undefined when it does not exist yet.
 */
export async function readPostgresCatalog(server: Queryable, database: Queryable | undefined, state: DesiredState): Promise<PostgresCatalog> {
  const removed = state.removedUsers ?? [];
  const names = [...state.users.map((u) => u.name), ...removed, ...PRIVILEGE_LEVELS.map((level) => groupRoleName(state.database, level)), "rds_iam"];
  const session = await server.query<{ version: number; me: string }>("SELECT current_setting('server_version_num')::int AS version, current_user AS me");
  const { version: serverVersion, me: currentUser } = session.rows[0]!;
  const withOptions = serverVersion >= PG_MEMBERSHIP_OPTIONS_VERSION;
  // See MasterRights: before PostgreSQL 16 membership meant SET, and CREATEROLE meant ADMIN on non-superusers.
  const roleRows = await server.query<{ rolname: string; rolcanlogin: boolean; member_of: string[]; can_set: boolean; inherits: boolean; can_admin: boolean }>(
    `SELECT r.rolname, r.rolcanlogin,
            coalesce(array_agg(g.rolname) FILTER (WHERE g.rolname IS NOT NULL), '{}') AS member_of,
            pg_has_role(current_user, r.oid, $2) AS can_set,
            pg_has_role(current_user, r.oid, 'USAGE') AS inherits,
            pg_has_role(current_user, r.oid, 'MEMBER WITH ADMIN OPTION')
              OR (NOT $3 AND NOT r.rolsuper AND (SELECT rolcreaterole FROM pg_roles WHERE rolname = current_user)) AS can_admin
       FROM pg_roles r
       LEFT JOIN pg_auth_members m ON m.member = r.oid
       LEFT JOIN pg_roles g ON g.oid = m.roleid
      WHERE r.rolname = ANY($1)
      GROUP BY r.oid, r.rolname, r.rolcanlogin, r.rolsuper`, [names, withOptions ? "SET" : "MEMBER", withOptions]);
  const roles: Record<string, RoleFacts> = Object.fromEntries(roleRows.rows.map((row) => [row.rolname, {
    login: row.rolcanlogin, memberOf: row.member_of, master: { set: row.can_set, inherit: row.inherits, admin: row.can_admin },
  }]));

  const db = await server.query<{ exists: boolean; public_connect: boolean; grantees: string[] }>(
    `SELECT true AS exists,
            EXISTS (SELECT 1 FROM aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a WHERE a.grantee = 0 AND a.privilege_type = 'CONNECT') AS public_connect,
            coalesce((SELECT array_agg(r.rolname) FROM aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a JOIN pg_roles r ON r.oid = a.grantee
                       WHERE a.privilege_type = 'CONNECT'), '{}') AS grantees
       FROM pg_database d WHERE d.datname = $1`, [state.database]);
  const databaseExists = db.rows.length > 0;
  const sessions = await server.query<{ usename: string }>("SELECT DISTINCT usename FROM pg_stat_activity WHERE usename = ANY($1)", [removed]);

  const empty: PostgresCatalog = {
    serverVersion,
    currentUser,
    databaseExists,
    roles,
    publicCanConnect: db.rows[0]?.public_connect ?? false,
    connectGrantees: db.rows[0]?.grantees ?? [],
    publicCanCreateInPublicSchema: false,
    schemas: {},
    schemaUsage: {},
    defaultPrivileges: [],
    tablesMissingGrants: [],
    sequencesMissingGrants: [],
    nonOwnersOwningObjects: [],
    searchPaths: {},
    removedUsersWithSessions: sessions.rows.map((r) => r.usename).sort(),
  };
  if (!databaseExists || !database) return empty;

  const userNames = state.users.map((u) => u.name);
  const publicSchema = await database.query<{ create: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_namespace n, aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a
                     WHERE n.nspname = 'public' AND a.grantee = 0 AND a.privilege_type = 'CREATE') AS create`);
  const schemas = await database.query<{ nspname: string; owner: string; usage: string[] }>(
    `SELECT n.nspname, o.rolname AS owner,
            coalesce((SELECT array_agg(r.rolname) FROM aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a JOIN pg_roles r ON r.oid = a.grantee
                       WHERE a.privilege_type = 'USAGE'), '{}') AS usage
       FROM pg_namespace n JOIN pg_roles o ON o.oid = n.nspowner WHERE n.nspname = ANY($1)`, [userNames]);
  const defaults = await database.query<{ owner: string; schema: string; kind: string; grantee: string; privileges: string[] }>(
    `SELECT o.rolname AS owner, n.nspname AS schema, d.defaclobjtype AS kind, g.rolname AS grantee, array_agg(a.privilege_type) AS privileges
       FROM pg_default_acl d
       JOIN pg_roles o ON o.oid = d.defaclrole
       JOIN pg_namespace n ON n.oid = d.defaclnamespace
       CROSS JOIN LATERAL aclexplode(d.defaclacl) a
       JOIN pg_roles g ON g.oid = a.grantee
      GROUP BY o.rolname, n.nspname, d.defaclobjtype, g.rolname`);
  const settings = await database.query<{ rolname: string; setconfig: string[] }>(
    `SELECT r.rolname, s.setconfig FROM pg_db_role_setting s
       JOIN pg_roles r ON r.oid = s.setrole JOIN pg_database d ON d.oid = s.setdatabase
      WHERE d.datname = current_database()`);

  const owners = state.users.filter((u) => u.privileges === "owner").map((u) => u.name);
  const tablesMissingGrants: string[] = [];
  const sequencesMissingGrants: string[] = [];
  for (const owner of owners) {
    for (const level of ["readwrite", "readonly"] as const) {
      const group = groupRoleName(state.database, level);
      for (const [kind, missingList] of [["tables", tablesMissingGrants], ["sequences", sequencesMissingGrants]] as const) {
        if (await objectsLackGrants(database, owner, kind, roles[group] ? group : undefined, PG_OBJECT_PRIVILEGES[kind][level])) missingList.push(`${owner}|${group}`);
      }
    }
  }
  // Objects a user owns although its level no longer lets it own anything (an owner moved to readwrite or
  // readonly); its default privileges are left, REASSIGN OWNED does not move them and they grant only to the groups.
  const nonOwners = state.users.filter((u) => u.privileges !== "owner").map((u) => u.name);
  const owning = await database.query<{ rolname: string }>(
    `SELECT DISTINCT r.rolname FROM pg_shdepend s JOIN pg_roles r ON r.oid = s.refobjid
      WHERE s.deptype = 'o' AND s.refclassid = 'pg_authid'::regclass AND s.classid <> 'pg_default_acl'::regclass
        AND s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND r.rolname = ANY($1)`, [nonOwners]);

  return {
    ...empty,
    publicCanCreateInPublicSchema: publicSchema.rows[0]!.create,
    schemas: Object.fromEntries(schemas.rows.map((r) => [r.nspname, r.owner])),
    schemaUsage: Object.fromEntries(schemas.rows.map((r) => [r.nspname, r.usage])),
    defaultPrivileges: defaults.rows.map((r) =>
      defaultPrivilegeKey(r.owner, r.schema, r.kind === "r" ? "tables" : "sequences", r.grantee, r.privileges)),
    tablesMissingGrants,
    sequencesMissingGrants,
    nonOwnersOwningObjects: owning.rows.map((r) => r.rolname).sort(),
    searchPaths: Object.fromEntries(settings.rows.flatMap((r) => {
      const entry = r.setconfig.find((c) => c.startsWith("search_path="));
      return entry ? [[r.rolname, parseSearchPath(entry.slice("search_path=".length))]] : [];
    })),
  };
}

/**
 * Whether some table-like object (tables, views, materialized views, partitioned and foreign tables: what
 * GRANT … ON ALL TABLES covers) or sequence in `schema` lacks one of `privileges` for `group`; a group that
 * does not exist yet (created by this run) lacks them on every object there is.
 */
async function objectsLackGrants(database: Queryable, schema: string, kind: "tables" | "sequences", group: string | undefined, privileges: readonly string[]): Promise<boolean> {
  const relkinds = kind === "tables" ? ["r", "v", "m", "p", "f"] : ["S"];
  const has = kind === "tables" ? "has_table_privilege" : "has_sequence_privilege";
  const result = await database.query<{ missing: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE n.nspname = $1 AND c.relkind::text = ANY($2)
                       AND ($3::text IS NULL OR NOT (SELECT bool_and(${has}($3, c.oid, p)) FROM unnest($4::text[]) p))) AS missing`,
    [schema, relkinds, group ?? null, privileges]);
  return result.rows[0]!.missing;
}

/** 'search_path="$user", migrator' as PostgreSQL stores it -> ["$user", "migrator"]. */
export function parseSearchPath(value: string): string[] {
  return value.split(",").map((part) => part.trim()).map((part) => (part.startsWith("\"") ? part.slice(1, -1).replaceAll("\"\"", "\"") : part));
}
