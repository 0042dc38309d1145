import { describe, expect, it } from "vitest";
import { databaseNameProblem, groupRoleName, masterUserNameProblem, userNameProblem } from "../../../scripts/lib/names/database-names.ts";

describe("user names", () => {
  it("are measured in UTF-8 bytes against the engine's limit", () => {
    expect(userNameProblem("ü".repeat(31), "POSTGRESQL")).toBeUndefined();
    expect(userNameProblem("ü".repeat(32), "POSTGRESQL")).toBe("must be at most 63 bytes in UTF-8, not 64: PostgreSQL would truncate or refuse it");
    expect(userNameProblem("ü".repeat(16), "MYSQL")).toBeUndefined();
    expect(userNameProblem("ü".repeat(17), "MYSQL")).toBe("must be at most 32 bytes in UTF-8, not 34: MySQL would truncate or refuse it");
  });

  it.each([
    "public", "none", "current_user", "current_role", "session_user", "postgres", "information_schema",
    "rdsadmin", "rdsrepladmin", "rdsproxyadmin", "rdstopmgr", "rds_superuser", "rds_iam", "rds_replication", "rds_password", "pg_monitor", "pg_anything", "RDS_IAM",
  ])("fails for %s, which PostgreSQL or RDS keeps", (name) => {
    expect(userNameProblem(name, "POSTGRESQL")).toBe(
      "must not be one PostgreSQL or RDS reserves (public, none, current_user, current_role, session_user, postgres, information_schema, rdsadmin, rdsrepladmin, rdsproxyadmin, rdstopmgr, or starting with pg_ or rds_)");
  });

  it.each(["root", "public", "PUBLIC", "mariadb.sys", "mysql.sys", "mysql.session", "mysql.infoschema", "rdsadmin", "rdsrepladmin", "rdsproxyadmin", "rds_superuser_role"])(
    "fails for %s, which MySQL, MariaDB or RDS keeps", (name) => {
      expect(userNameProblem(name, "MYSQL")).toMatch(/^must not be one MySQL or RDS reserves \(root, public, /);
    });

  it("lets each engine keep only its own reserved names", () => {
    expect(userNameProblem("postgres", "MYSQL")).toBeUndefined();
    expect(userNameProblem("root", "POSTGRESQL")).toBeUndefined();
  });

  it.each([
    ["App", "must be lowercase letters, digits or underscores, starting with a letter or underscore"],
    ["1app", "must be lowercase letters, digits or underscores, starting with a letter or underscore"],
    ["app-x", "must be lowercase letters, digits or underscores, starting with a letter or underscore"],
    ["app\u{1d41a}", "must be lowercase letters, digits or underscores, starting with a letter or underscore"],
    ["bu\u0308cher", "must be in Unicode normal form C (composed characters), so that a name that looks the same is the same name"],
    ["", "must not be empty"],
  ])("fails for %j", (name, problem) => {
    expect(userNameProblem(name, "POSTGRESQL")).toBe(problem);
  });

  it("fails for the master's name and for the group roles derived from the database name", () => {
    expect(userNameProblem("dbadmin", "POSTGRESQL", { masterUser: "DBAdmin" })).toBe("must differ from the master user, which the proxy already serves");
    expect(userNameProblem("shop_owner", "POSTGRESQL", { database: "shop" })).toBe('must differ from the group role "shop_owner" derived from the database name');
    expect(userNameProblem("shop_owner", "MYSQL", { database: "shop" })).toBeUndefined();
  });
});

describe("database names", () => {
  it("leave room, on PostgreSQL, for every group role derived from them", () => {
    expect(groupRoleName("shop", "readwrite")).toBe("shop_readwrite");
    expect(databaseNameProblem("d".repeat(53), "POSTGRESQL")).toBeUndefined();
    expect(databaseNameProblem("d".repeat(54), "POSTGRESQL")).toBe(
      `must be at most 53 bytes in UTF-8, not 54: the group role "${"d".repeat(54)}_readwrite" derived from it would be 64 bytes, and PostgreSQL keeps 63`);
    expect(databaseNameProblem("é".repeat(27), "POSTGRESQL")).toMatch(/^must be at most 53 bytes in UTF-8, not 54: /);
    expect(databaseNameProblem("d".repeat(64), "MYSQL")).toBeUndefined();
    expect(databaseNameProblem("é".repeat(33), "MYSQL")).toBe("must be at most 64 bytes in UTF-8, not 66: MySQL would truncate or refuse it");
  });

  it("fails when a derived group role would be a reserved role", () => {
    expect(databaseNameProblem("pg", "POSTGRESQL")).toBe(
      'must not derive the group role "pg_owner", which is one PostgreSQL or RDS reserves (public, none, current_user, current_role, session_user, postgres, information_schema, rdsadmin, rdsrepladmin, rdsproxyadmin, rdstopmgr, or starting with pg_ or rds_)');
  });

  it.each([
    ["POSTGRESQL", "template1", "must not be one PostgreSQL reserves (postgres, template0, template1, rdsadmin)"],
    ["POSTGRESQL", "postgres", "must not be one PostgreSQL reserves (postgres, template0, template1, rdsadmin)"],
    ["MYSQL", "performance_schema", "must not be one MySQL reserves (mysql, sys, information_schema, performance_schema, rdsadmin)"],
    ["MYSQL", "Shop", "must be lowercase letters, digits or underscores, starting with a letter or underscore"],
  ] as const)("fails on %s for %s", (family, name, problem) => {
    expect(databaseNameProblem(name, family)).toBe(problem);
  });
});

describe("master user names", () => {
  it("follow RDS: ASCII, a letter first, the engine's length, none of RDS's own accounts", () => {
    expect(masterUserNameProblem("postgres", "POSTGRESQL")).toBeUndefined();
    expect(masterUserNameProblem("DBAdmin", "POSTGRESQL")).toBeUndefined();
    expect(masterUserNameProblem("rdsadmin", "POSTGRESQL")).toMatch(/^must not be one RDS reserves \(public, none, /);
    expect(masterUserNameProblem("root", "MYSQL")).toMatch(/^must not be one RDS reserves \(root, /);
    expect(masterUserNameProblem("Admin", "POSTGRESQL")).toMatch(/^must not be one RDS reserves \(.*, admin, or starting with pg_ or rds_\)$/);
    expect(masterUserNameProblem("admin", "MYSQL")).toBeUndefined();
    expect(masterUserNameProblem("user", "MYSQL")).toBeUndefined();
    expect(masterUserNameProblem("Rank", "MYSQL")).toBe("must not be a key word MySQL reserves (such as key, table or select): RDS refuses it as the master user name");
    expect(masterUserNameProblem("usage", "MYSQL")).toBe("must not be a key word MySQL reserves (such as key, table or select): RDS refuses it as the master user name");
    expect(masterUserNameProblem("User", "POSTGRESQL")).toBe("must not be a key word PostgreSQL reserves (such as user, table or select): RDS refuses it as the master user name");
    expect(masterUserNameProblem("table", "POSTGRESQL")).toBe("must not be a key word PostgreSQL reserves (such as user, table or select): RDS refuses it as the master user name");
    expect(masterUserNameProblem("_admin", "POSTGRESQL")).toBe("must be ASCII letters, digits or underscores, starting with a letter");
    expect(masterUserNameProblem("a".repeat(33), "MYSQL")).toBe("must be at most 32 bytes in UTF-8, not 33: MySQL would truncate or refuse it");
    expect(masterUserNameProblem("a".repeat(63), "POSTGRESQL")).toBeUndefined();
  });
});
