import { describe, expect, it } from "vitest";
import { validateUsers } from "../../modules/users.ts";
import { Problems } from "../../modules/validation.ts";
import { userNameProblem } from "../../scripts/lib/names/database-names.ts";

/** The problems validateUsers reports for one user called `name`, as "path — allowed". */
function problemsFor(name: string, engine: "aurora-postgresql" | "aurora-mysql" = "aurora-postgresql", databaseName?: string): string[] {
  const problems = new Problems();
  validateUsers({ [name]: { privileges: "readwrite" } }, engine, "dbadmin", problems.at("users"), databaseName);
  return problems.all.map((p) => `${p.path} — ${p.allowed}`);
}

describe("user names in the configuration", () => {
  it("pass the bootstrap script's own rule: every name it refuses, the configuration refuses", () => {
    const names = ["rds_iam", "rds_replication", "pg_monitor", "public", "none", "current_user", "session_user", "postgres", "information_schema", "rdstopmgr", "dbadmin"];
    for (const name of names) {
      expect(userNameProblem(name, "POSTGRESQL", { masterUser: "dbadmin" }), name).toBeDefined();
      expect(problemsFor(name), name).toEqual([`users.${name} — user name ${userNameProblem(name, "POSTGRESQL", { masterUser: "dbadmin" })}`]);
    }
  });

  it("fails for MySQL's and MariaDB's own accounts on a MySQL engine", () => {
    expect(problemsFor("root", "aurora-mysql")).toEqual([
      "users.root — user name must not be one MySQL or RDS reserves (root, public, rdsadmin, rdsrepladmin, rdsproxyadmin, mariadb.sys, or starting with mysql. or rds_)",
    ]);
    expect(problemsFor("postgres", "aurora-mysql")).toEqual([]);
  });

  it("fails for a name that is one of the group roles derived from the database name", () => {
    expect(problemsFor("orders_readwrite", "aurora-postgresql", "orders")).toEqual([
      'users.orders_readwrite — user name must differ from the group role "orders_readwrite" derived from the database name',
    ]);
    expect(problemsFor("orders_readwrite", "aurora-postgresql")).toEqual([]);
  });

  it("fails for names longer than the engine keeps, and for anything a secret name cannot hold", () => {
    expect(problemsFor("u".repeat(64))).toEqual([`users.${"u".repeat(64)} — user name must be 1..63 lowercase letters, digits or underscores, starting with a letter or underscore`]);
    expect(problemsFor("u".repeat(33), "aurora-mysql")).toEqual([`users.${"u".repeat(33)} — user name must be 1..32 lowercase letters, digits or underscores, starting with a letter or underscore`]);
    // The script would take "bücher"; its secret "<prefix>/bücher" would not exist.
    expect(userNameProblem("bücher", "POSTGRESQL")).toBeUndefined();
    expect(problemsFor("bücher")).toEqual(["users.bücher — user name must be 1..63 lowercase letters, digits or underscores, starting with a letter or underscore"]);
  });

  it("accepts ordinary names", () => {
    expect(problemsFor("app")).toEqual([]);
    expect(problemsFor("u".repeat(63))).toEqual([]);
  });
});
