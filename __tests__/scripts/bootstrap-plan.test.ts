import { describe, expect, it } from "vitest";
import { plan, planMysql, planPostgres, type DesiredState, type MysqlCatalog, type PostgresCatalog } from "../../scripts/lib/bootstrap-plan.ts";
import { bootstrapUsersFromOutputs } from "../../scripts/lib/bootstrap.ts";

const state: DesiredState = {
  dialect: "postgresql",
  database: "shop",
  users: [
    { name: "migrator", privileges: "owner", login: "password" },
    { name: "app", privileges: "readwrite", login: "password" },
    { name: "etl", privileges: "readonly", login: "iam" },
  ],
};
const emptyPostgres: PostgresCatalog = {
  databaseExists: false, roles: {}, currentUserMemberOf: [], publicCanConnect: false, connectGrantees: [], publicCanCreateInPublicSchema: false,
  schemas: {}, schemaUsage: {}, defaultPrivileges: [], tablesMissingGrants: [], searchPaths: {},
};
const passwords = { migrator: "m-secret", app: "a-secret" };

describe("PostgreSQL plan from an empty server", () => {
  const steps = planPostgres(state, emptyPostgres, passwords);

  it("creates group roles, users, memberships, the database and locks down PUBLIC, in order", () => {
    expect(steps.filter((s) => s.target === "server").map((s) => s.display)).toEqual([
      'CREATE ROLE "shop_owner" NOLOGIN',
      'CREATE ROLE "shop_readonly" NOLOGIN',
      'CREATE ROLE "shop_readwrite" NOLOGIN',
      "CREATE ROLE \"migrator\" LOGIN PASSWORD '********'",
      'GRANT "shop_owner" TO "migrator"',
      'GRANT "migrator" TO CURRENT_USER',
      "CREATE ROLE \"app\" LOGIN PASSWORD '********'",
      'GRANT "shop_readwrite" TO "app"',
      'GRANT "app" TO CURRENT_USER',
      'CREATE ROLE "etl" LOGIN',
      'GRANT "shop_readonly" TO "etl"',
      "GRANT rds_iam TO \"etl\"",
      'GRANT "etl" TO CURRENT_USER',
      'CREATE DATABASE "shop"',
      'REVOKE CONNECT, TEMPORARY ON DATABASE "shop" FROM PUBLIC',
      'GRANT CONNECT ON DATABASE "shop" TO "shop_owner"',
      'GRANT CONNECT ON DATABASE "shop" TO "shop_readonly"',
      'GRANT CONNECT ON DATABASE "shop" TO "shop_readwrite"',
    ]);
  });

  it("gives every user a schema of its own and lets the others use the owner's tables", () => {
    expect(steps.filter((s) => s.target === "database").map((s) => s.sql)).toEqual([
      "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
      'CREATE SCHEMA "migrator" AUTHORIZATION "migrator"',
      'CREATE SCHEMA "app" AUTHORIZATION "app"',
      'CREATE SCHEMA "etl" AUTHORIZATION "etl"',
      'GRANT USAGE ON SCHEMA "migrator" TO "shop_readwrite"',
      'ALTER DEFAULT PRIVILEGES FOR ROLE "migrator" IN SCHEMA "migrator" GRANT DELETE, INSERT, SELECT, UPDATE ON TABLES TO "shop_readwrite"',
      'ALTER DEFAULT PRIVILEGES FOR ROLE "migrator" IN SCHEMA "migrator" GRANT SELECT, USAGE ON SEQUENCES TO "shop_readwrite"',
      'GRANT USAGE ON SCHEMA "migrator" TO "shop_readonly"',
      'ALTER DEFAULT PRIVILEGES FOR ROLE "migrator" IN SCHEMA "migrator" GRANT SELECT ON TABLES TO "shop_readonly"',
      'ALTER DEFAULT PRIVILEGES FOR ROLE "migrator" IN SCHEMA "migrator" GRANT SELECT ON SEQUENCES TO "shop_readonly"',
      'ALTER ROLE "migrator" IN DATABASE "shop" SET search_path = "$user"',
      'ALTER ROLE "app" IN DATABASE "shop" SET search_path = "$user", "migrator"',
      'ALTER ROLE "etl" IN DATABASE "shop" SET search_path = "$user", "migrator"',
    ]);
  });

  it("puts passwords only in the executable SQL, escaped as literals, never in the display form", () => {
    const hostile = planPostgres(state, emptyPostgres, { migrator: "it's;\\ DROP ROLE x; --ñ", app: "a" });
    const create = hostile.find((s) => s.display.startsWith('CREATE ROLE "migrator"'))!;
    expect(create.sql).toBe("CREATE ROLE \"migrator\" LOGIN PASSWORD E'it''s;\\\\ DROP ROLE x; --ñ'");
    expect(hostile.map((s) => s.display).join("\n")).not.toContain("DROP ROLE x");
  });

  it("refuses to create a password user without a password", () => {
    expect(() => planPostgres(state, emptyPostgres, { app: "a" })).toThrow("planPostgres: user migrator is new and needs a password");
  });
});

describe("PostgreSQL plan against a server that already matches", () => {
  it("is empty", () => {
    const complete: PostgresCatalog = {
      databaseExists: true,
      roles: {
        shop_owner: { login: false, memberOf: [] }, shop_readwrite: { login: false, memberOf: [] }, shop_readonly: { login: false, memberOf: [] },
        migrator: { login: true, memberOf: ["shop_owner"] }, app: { login: true, memberOf: ["shop_readwrite"] }, etl: { login: true, memberOf: ["shop_readonly", "rds_iam"] },
      },
      currentUserMemberOf: ["migrator", "app", "etl"],
      publicCanConnect: false,
      connectGrantees: ["shop_owner", "shop_readwrite", "shop_readonly"],
      publicCanCreateInPublicSchema: false,
      schemas: { migrator: "migrator", app: "app", etl: "etl" },
      schemaUsage: { migrator: ["migrator", "shop_readwrite", "shop_readonly"] },
      defaultPrivileges: [
        "migrator|migrator|tables|shop_readwrite|DELETE,INSERT,SELECT,UPDATE", "migrator|migrator|sequences|shop_readwrite|SELECT,USAGE",
        "migrator|migrator|tables|shop_readonly|SELECT", "migrator|migrator|sequences|shop_readonly|SELECT",
      ],
      tablesMissingGrants: [],
      searchPaths: { migrator: ["$user"], app: ["$user", "migrator"], etl: ["$user", "migrator"] },
    };
    expect(planPostgres(state, complete, {})).toEqual([]);
  });

  it("removes rds_iam from a password user, which it would otherwise lock out", () => {
    const catalog = { ...emptyPostgres, roles: { app: { login: true, memberOf: ["rds_iam"] } } };
    expect(planPostgres({ ...state, users: [state.users[1]!] }, catalog, {}).map((s) => s.sql)).toContain('REVOKE rds_iam FROM "app"');
  });
});

const mysqlState: DesiredState = { ...state, dialect: "mysql" };
const emptyMysql: MysqlCatalog = { databaseExists: false, users: {} };

describe("MySQL plan", () => {
  it("creates the database and TLS-only users with the privileges of their level", () => {
    expect(planMysql(mysqlState, emptyMysql, passwords).map((s) => s.display)).toEqual([
      "CREATE DATABASE `shop` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
      "CREATE USER 'migrator'@'%' IDENTIFIED BY '********' REQUIRE SSL",
      "GRANT ALTER, ALTER ROUTINE, CREATE, CREATE ROUTINE, CREATE TEMPORARY TABLES, CREATE VIEW, DELETE, DROP, EVENT, EXECUTE, INDEX, INSERT, LOCK TABLES, REFERENCES, SELECT, SHOW VIEW, TRIGGER, UPDATE ON `shop`.* TO 'migrator'@'%'",
      "CREATE USER 'app'@'%' IDENTIFIED BY '********' REQUIRE SSL",
      "GRANT DELETE, EXECUTE, INSERT, SELECT, SHOW VIEW, UPDATE ON `shop`.* TO 'app'@'%'",
      "CREATE USER 'etl'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS' REQUIRE SSL",
      "GRANT SELECT, SHOW VIEW ON `shop`.* TO 'etl'@'%'",
    ]);
  });

  it("escapes a hostile password with the driver's escaping", () => {
    const steps = planMysql(mysqlState, emptyMysql, { migrator: "it's;\\ --", app: "a" });
    expect(steps[1]!.sql).toBe("CREATE USER 'migrator'@'%' IDENTIFIED BY 'it\\'s;\\\\ --' REQUIRE SSL");
  });

  it("switches an IAM user to the IAM plugin and tightens TLS, granting only what is missing", () => {
    const catalog: MysqlCatalog = { databaseExists: true, users: { etl: { plugin: "mysql_native_password", sslType: "", privileges: ["SELECT"] } } };
    expect(planMysql({ ...mysqlState, users: [mysqlState.users[2]!] }, catalog, {}).map((s) => s.sql)).toEqual([
      "ALTER USER 'etl'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'",
      "ALTER USER 'etl'@'%' REQUIRE SSL",
      "GRANT SHOW VIEW ON `shop`.* TO 'etl'@'%'",
    ]);
  });
});

describe("requests the planner refuses", () => {
  it.each([
    ["a name with a quote", { ...state, users: [{ name: 'app"; DROP', privileges: "readwrite", login: "password" }] }, 'user name "app\\"; DROP" must be 1..63'],
    ["a database name with a semicolon", { ...state, database: "shop;drop" }, 'database name "shop;drop" must be 1..63'],
    ["a duplicate user", { ...state, users: [state.users[0]!, state.users[0]!] }, 'user "migrator" is listed twice'],
    ["a long MySQL user", { ...mysqlState, users: [{ name: "u".repeat(33), privileges: "readonly", login: "password" }] }, "must be 1..32"],
  ] as [string, DesiredState, string][])("%s", (_case, request, message) => {
    expect(() => plan(request, emptyPostgres, {})).toThrow(message);
  });

  it("accepts unicode names, quoting them", () => {
    const steps = plan({ ...state, users: [{ name: "bücher", privileges: "owner", login: "password" }] }, emptyPostgres, { "bücher": "x" });
    expect(steps.map((s) => s.sql)).toContain('CREATE SCHEMA "bücher" AUTHORIZATION "bücher"');
  });
});

describe("users from stack outputs", () => {
  const outputs = {
    database_writer_endpoint: "shop-test.cluster-abc.eu-west-1.rds.amazonaws.com",
    database_users: { app: { auth: "iam", privileges: "readwrite" }, reporting: { auth: "password", privileges: "readonly" }, etl: { auth: "direct-iam", privileges: "readonly" } },
    user_secret_arns: { app: "arn:app", reporting: "arn:reporting", etl: "arn:etl" },
  };

  it("gives every user the proxy serves a password login, and direct-IAM users an IAM login with the writer as host", () => {
    expect(bootstrapUsersFromOutputs(outputs)).toEqual([
      { name: "app", privileges: "readwrite", login: "password", secretArn: "arn:app" },
      { name: "reporting", privileges: "readonly", login: "password", secretArn: "arn:reporting" },
      { name: "etl", privileges: "readonly", login: "iam", secretArn: "arn:etl", secretHost: "shop-test.cluster-abc.eu-west-1.rds.amazonaws.com" },
    ]);
  });

  it("names what is missing", () => {
    expect(() => bootstrapUsersFromOutputs({ ...outputs, user_secret_arns: { app: "arn:app" } })).toThrow("no secret ARN for user reporting in user_secret_arns");
    expect(() => bootstrapUsersFromOutputs({})).toThrow('stack outputs "database_users" and "user_secret_arns" are missing');
  });
});
