/**
 * The names the bootstrap script creates in a database, and the one rule each must pass before anything
 * runs. Config validation applies the same functions, so a configuration that synthesizes never fails to
 * bootstrap. Pure: no I/O; modules may import it.
 *
 * Lengths are counted in UTF-8 bytes. PostgreSQL silently truncates an identifier past 63 bytes
 * (NAMEDATALEN - 1), so a long or multibyte name would become a role different from the one its secret
 * names, and two long derived names ("<database>_readonly", "<database>_readwrite") could become one.
 * MySQL counts characters (32 for users, 64 for databases) but stores a database as a directory that
 * spells each non-ASCII character in up to five bytes; counting bytes keeps a name inside both limits.
 */

export type EngineFamily = "POSTGRESQL" | "MYSQL";
/** What the bootstrap grants a user; on PostgreSQL each level is also a NOLOGIN group role. */
export type PrivilegeLevel = "owner" | "readwrite" | "readonly";
export const PRIVILEGE_LEVELS: readonly PrivilegeLevel[] = ["owner", "readonly", "readwrite"];

/** The engines the stack builds, and the family each speaks: what a setup event's `engine` may be. */
export const ENGINE_FAMILY_OF: Readonly<Record<string, EngineFamily>> = {
  "aurora-postgresql": "POSTGRESQL",
  postgres: "POSTGRESQL",
  "aurora-mysql": "MYSQL",
  mysql: "MYSQL",
};

export const MAX_NAME_BYTES: Readonly<Record<EngineFamily, { readonly user: number; readonly database: number }>> = {
  POSTGRESQL: { user: 63, database: 63 },
  MYSQL: { user: 32, database: 64 },
};

interface Reserved {
  readonly names: readonly string[];
  readonly prefixes: readonly string[];
}

/**
 * Role and account names an application user may not take. PostgreSQL refuses "public", "none" and pg_*
 * itself; current_user, current_role and session_user are keywords that name another role wherever a
 * role is expected; information_schema and pg_* are schemas (an owner user gets a schema of its name);
 * postgres is the default master and, on a self-managed server, the superuser. RDS keeps rds* roles and
 * accounts; MySQL and MariaDB keep root and their mysql.* / mariadb.sys system accounts, and MariaDB
 * 10.11 grants to PUBLIC.
 */
const RESERVED_USERS: Readonly<Record<EngineFamily, Reserved>> = {
  POSTGRESQL: {
    names: ["public", "none", "current_user", "current_role", "session_user", "postgres", "information_schema", "rdsadmin", "rdsrepladmin", "rdsproxyadmin", "rdstopmgr"],
    prefixes: ["pg_", "rds_"],
  },
  MYSQL: {
    names: ["root", "public", "rdsadmin", "rdsrepladmin", "rdsproxyadmin", "mariadb.sys"],
    prefixes: ["mysql.", "rds_"],
  },
};

/**
 * RDS creates the master itself: "postgres" is PostgreSQL's default master, and RDS PostgreSQL and Aurora
 * PostgreSQL refuse "admin" ("MasterUsername admin cannot be used as it is a reserved word used by the
 * engine"; Aurora MySQL and RDS MySQL accept it, it is their console's default). Checked 2026-12-06 against
 * cfn-lint's RDS MasterUsername rule (aws-cloudformation/cfn-lint#4425, verified on deployments) and
 * AWS CDK's engine defaults (aws/aws-cdk#10597).
 */
const RESERVED_MASTERS: Readonly<Record<EngineFamily, Reserved>> = {
  POSTGRESQL: { names: [...RESERVED_USERS.POSTGRESQL.names.filter((name) => name !== "postgres"), "admin"], prefixes: RESERVED_USERS.POSTGRESQL.prefixes },
  MYSQL: RESERVED_USERS.MYSQL,
};

/**
 * CreateDBInstance and CreateDBCluster: the master user name "can't be a reserved word for the chosen
 * database engine". PostgreSQL's reserved key words (RESERVED_KEYWORD in src/include/parser/kwlist.h,
 * PostgreSQL 16; the "reserved" column of the documentation's Appendix C), which cannot name a role
 * unquoted. MySQL's: the words marked (R) in the MySQL 8.0 Reference Manual's "Keywords and Reserved
 * Words" list (8.0 is RDS MySQL 8.0 and Aurora MySQL 3; "admin" and "user" are not reserved there).
 */
const PG_RESERVED_KEYWORDS: readonly string[] = [
  "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "both", "case", "cast", "check", "collate", "column",
  "constraint", "create", "current_catalog", "current_date", "current_role", "current_time", "current_timestamp", "current_user",
  "default", "deferrable", "desc", "distinct", "do", "else", "end", "except", "false", "fetch", "for", "foreign", "from", "grant",
  "group", "having", "in", "initially", "intersect", "into", "lateral", "leading", "limit", "localtime", "localtimestamp", "not",
  "null", "offset", "on", "only", "or", "order", "placing", "primary", "references", "returning", "select", "session_user", "some",
  "symmetric", "system_user", "table", "then", "to", "trailing", "true", "union", "unique", "user", "using", "variadic", "when",
  "where", "window", "with",
];
const MYSQL_RESERVED_WORDS: readonly string[] = [
  "accessible", "add", "all", "alter", "analyze", "and", "as", "asc", "asensitive", "before", "between", "bigint", "binary",
  "blob", "both", "by", "call", "cascade", "case", "change", "char", "character", "check", "collate", "column", "condition",
  "constraint", "continue", "convert", "create", "cross", "cube", "cume_dist", "current_date", "current_time",
  "current_timestamp", "current_user", "cursor", "database", "databases", "day_hour", "day_microsecond", "day_minute",
  "day_second", "dec", "decimal", "declare", "default", "delayed", "delete", "dense_rank", "desc", "describe", "deterministic",
  "distinct", "distinctrow", "div", "double", "drop", "dual", "each", "else", "elseif", "empty", "enclosed", "escaped", "except",
  "exists", "exit", "explain", "false", "fetch", "first_value", "float", "float4", "float8", "for", "force", "foreign", "from",
  "fulltext", "function", "generated", "get", "grant", "group", "grouping", "groups", "having", "high_priority",
  "hour_microsecond", "hour_minute", "hour_second", "if", "ignore", "in", "index", "infile", "inner", "inout", "insensitive",
  "insert", "int", "int1", "int2", "int3", "int4", "int8", "integer", "intersect", "interval", "into", "io_after_gtids",
  "io_before_gtids", "is", "iterate", "join", "json_table", "key", "keys", "kill", "lag", "last_value", "lateral", "lead",
  "leading", "leave", "left", "like", "limit", "linear", "lines", "load", "localtime", "localtimestamp", "lock", "long",
  "longblob", "longtext", "loop", "low_priority", "master_bind", "master_ssl_verify_server_cert", "match", "maxvalue",
  "mediumblob", "mediumint", "mediumtext", "middleint", "minute_microsecond", "minute_second", "mod", "modifies", "natural",
  "not", "no_write_to_binlog", "nth_value", "ntile", "null", "numeric", "of", "on", "optimize", "optimizer_costs", "option",
  "optionally", "or", "order", "out", "outer", "outfile", "over", "partition", "percent_rank", "precision", "primary",
  "procedure", "purge", "range", "rank", "read", "reads", "read_write", "real", "recursive", "references", "regexp", "release",
  "rename", "repeat", "replace", "require", "resignal", "restrict", "return", "revoke", "right", "rlike", "row", "rows",
  "row_number", "schema", "schemas", "second_microsecond", "select", "sensitive", "separator", "set", "show", "signal",
  "smallint", "spatial", "specific", "sql", "sqlexception", "sqlstate", "sqlwarning", "sql_big_result", "sql_calc_found_rows",
  "sql_small_result", "ssl", "starting", "stored", "straight_join", "system", "table", "terminated", "then", "tinyblob",
  "tinyint", "tinytext", "to", "trailing", "trigger", "true", "undo", "union", "unique", "unlock", "unsigned", "update", "usage",
  "use", "using", "utc_date", "utc_time", "utc_timestamp", "values", "varbinary", "varchar", "varcharacter", "varying",
  "virtual", "when", "where", "while", "window", "with", "write", "xor", "year_month", "zerofill",
];
const RESERVED_MASTER_KEYWORDS: Readonly<Record<EngineFamily, readonly string[]>> = { POSTGRESQL: PG_RESERVED_KEYWORDS, MYSQL: MYSQL_RESERVED_WORDS };

const RESERVED_DATABASES: Readonly<Record<EngineFamily, Reserved>> = {
  POSTGRESQL: { names: ["postgres", "template0", "template1", "rdsadmin"], prefixes: [] },
  MYSQL: { names: ["mysql", "sys", "information_schema", "performance_schema", "rdsadmin"], prefixes: [] },
};

/**
 * Lowercase letters of any script, digits and underscores, starting with a letter or underscore: names
 * the script quotes but clients may not, and that MySQL's case-folding settings (lower_case_table_names)
 * cannot turn into another name. Characters outside the Basic Multilingual Plane are refused because
 * MySQL stores names as utf8mb3.
 */
const NAME = /^[\p{Ll}\p{Lo}_][\p{Ll}\p{Lo}\p{Mn}\p{Mc}\p{Nd}_]*$/u;
const BASIC_PLANE = /^[\u0000-\uffff]*$/u;
/** RDS's rule for the master user name, which it creates. */
const MASTER_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

const ENGINE: Readonly<Record<EngineFamily, string>> = { POSTGRESQL: "PostgreSQL", MYSQL: "MySQL" };

function byteLength(name: string): number {
  return Buffer.byteLength(name, "utf8");
}

/** The NOLOGIN group role (PostgreSQL) that holds a level's privileges on a database. */
export function groupRoleName(database: string, level: PrivilegeLevel): string {
  return `${database}_${level}`;
}

function reservedProblem(name: string, reserved: Reserved, who: string): string | undefined {
  const lower = name.toLowerCase();
  if (!reserved.names.includes(lower) && !reserved.prefixes.some((prefix) => lower.startsWith(prefix))) return undefined;
  const prefixes = reserved.prefixes.length > 0 ? `, or starting with ${reserved.prefixes.join(" or ")}` : "";
  return `must not be one ${who} reserves (${reserved.names.join(", ")}${prefixes})`;
}

function lengthProblem(name: string, max: number, family: EngineFamily): string | undefined {
  const bytes = byteLength(name);
  return bytes > max ? `must be at most ${max} bytes in UTF-8, not ${bytes}: ${ENGINE[family]} would truncate or refuse it` : undefined;
}

function characterProblem(name: string): string | undefined {
  if (name.length === 0) return "must not be empty";
  if (name !== name.normalize("NFC")) return "must be in Unicode normal form C (composed characters), so that a name that looks the same is the same name";
  if (!NAME.test(name) || !BASIC_PLANE.test(name)) return "must be lowercase letters, digits or underscores, starting with a letter or underscore";
  return undefined;
}

/**
 * What is wrong with an application user name, or undefined. `database` (when known) checks it against
 * the group roles derived from it; `masterUser` against the master, which the proxy serves already.
 */
export function userNameProblem(name: string, family: EngineFamily, context: { readonly masterUser?: string; readonly database?: string } = {}): string | undefined {
  const reserved = reservedProblem(name, RESERVED_USERS[family], `${ENGINE[family]} or RDS`);
  if (reserved) return reserved;
  const problem = characterProblem(name) ?? lengthProblem(name, MAX_NAME_BYTES[family].user, family);
  if (problem) return problem;
  if (context.masterUser !== undefined && name === context.masterUser.toLowerCase()) return "must differ from the master user, which the proxy already serves";
  if (family === "POSTGRESQL" && context.database !== undefined) {
    const group = PRIVILEGE_LEVELS.map((level) => groupRoleName(context.database!, level)).find((g) => g === name);
    if (group) return `must differ from the group role "${group}" derived from the database name`;
  }
  return undefined;
}

/** What is wrong with the master user name (RDS creates it; the script logs in as it), or undefined. */
export function masterUserNameProblem(name: string, family: EngineFamily): string | undefined {
  const reserved = reservedProblem(name, RESERVED_MASTERS[family], "RDS");
  if (reserved) return reserved;
  if (RESERVED_MASTER_KEYWORDS[family].includes(name.toLowerCase())) return `must not be a key word ${ENGINE[family]} reserves (such as ${family === "POSTGRESQL" ? "user" : "key"}, table or select): RDS refuses it as the master user name`;
  if (!MASTER_NAME.test(name)) return "must be ASCII letters, digits or underscores, starting with a letter";
  return lengthProblem(name, MAX_NAME_BYTES[family].user, family);
}

/**
 * What is wrong with the application database name, or undefined. On PostgreSQL the name also derives
 * a group role per privilege level: every one is checked, so adding a user of a new level later never
 * meets a name that is too long.
 */
export function databaseNameProblem(name: string, family: EngineFamily): string | undefined {
  const reserved = reservedProblem(name, RESERVED_DATABASES[family], ENGINE[family]);
  if (reserved) return reserved;
  const problem = characterProblem(name) ?? lengthProblem(name, MAX_NAME_BYTES[family].database, family);
  if (problem || family === "MYSQL") return problem;
  for (const level of PRIVILEGE_LEVELS) {
    const group = groupRoleName(name, level);
    const bytes = byteLength(group);
    if (bytes > MAX_NAME_BYTES.POSTGRESQL.user) {
      const room = MAX_NAME_BYTES.POSTGRESQL.user - (bytes - byteLength(name));
      return `must be at most ${room} bytes in UTF-8, not ${byteLength(name)}: the group role "${group}" derived from it would be ${bytes} bytes, and PostgreSQL keeps ${MAX_NAME_BYTES.POSTGRESQL.user}`;
    }
    const groupReserved = reservedProblem(group, RESERVED_USERS.POSTGRESQL, "PostgreSQL or RDS");
    if (groupReserved) return `must not derive the group role "${group}", which ${groupReserved.replace(/^must not be one /, "is one ")}`;
  }
  return undefined;
}
