import { describe, expect, it } from "vitest";
import {
  desiredStateProblems, plan, planMysql, planPostgres, PlanRefused, type DesiredState, type MysqlCatalog, type PostgresCatalog, type RoleFacts,
} from "../../../scripts/lib/database/bootstrap-plan.ts";
import { bootstrapTargetFromOutputs } from "../../../scripts/lib/deploy/bootstrap-outputs.ts";

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
  serverVersion: 160004, currentUser: "master",
  databaseExists: false, roles: { rds_iam: { login: false, memberOf: [], master: { set: false, inherit: false, admin: true } } },
  publicCanConnect: false, connectGrantees: [], publicCanCreateInPublicSchema: false,
  schemas: {}, schemaUsage: {}, defaultPrivileges: [], tablesMissingGrants: [], sequencesMissingGrants: [], nonOwnersOwningObjects: [], searchPaths: {}, removedUsersWithSessions: [],
};
const verifiers = { migrator: "SCRAM-SHA-256$4096:bWlncmF0b3I=$m-stored:m-server", app: "SCRAM-SHA-256$4096:YXBw$a-stored:a-server" };
const actsAs = { set: true, inherit: true, admin: true };
const role = (memberOf: string[] = [], login = true): RoleFacts => ({ login, memberOf, master: actsAs });

describe("PostgreSQL plan from an empty server", () => {
  const steps = planPostgres(state, emptyPostgres, verifiers);

  it("creates group roles, users, memberships, the database and locks down PUBLIC, in order", () => {
    expect(steps.filter((s) => s.target === "server").map((s) => s.display)).toEqual([
      'CREATE ROLE "shop_owner" NOLOGIN',
      'CREATE ROLE "shop_readonly" NOLOGIN',
      'CREATE ROLE "shop_readwrite" NOLOGIN',
      "CREATE ROLE \"migrator\" LOGIN PASSWORD '********'",
      'GRANT "shop_owner" TO "migrator"',
      'GRANT "migrator" TO CURRENT_USER WITH INHERIT TRUE, SET TRUE',
      "CREATE ROLE \"app\" LOGIN PASSWORD '********'",
      'GRANT "shop_readwrite" TO "app"',
      'GRANT "app" TO CURRENT_USER WITH INHERIT TRUE, SET TRUE',
      'CREATE ROLE "etl" LOGIN',
      'GRANT "shop_readonly" TO "etl"',
      "GRANT rds_iam TO \"etl\"",
      'GRANT "etl" TO CURRENT_USER WITH INHERIT TRUE, SET TRUE',
      'CREATE DATABASE "shop"',
      'REVOKE CONNECT, TEMPORARY ON DATABASE "shop" FROM PUBLIC',
      'GRANT CONNECT ON DATABASE "shop" TO "shop_owner"',
      'GRANT CONNECT ON DATABASE "shop" TO "shop_readonly"',
      'GRANT CONNECT ON DATABASE "shop" TO "shop_readwrite"',
    ]);
  });

  it("gives owners a schema of their own, and nobody else one, and lets the others use the owner's tables", () => {
    expect(steps.filter((s) => s.target === "database").map((s) => s.sql)).toEqual([
      "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
      'CREATE SCHEMA "migrator" AUTHORIZATION "migrator"',
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

  it("sets passwords from their verifiers, only in the executable SQL, never in the display form", () => {
    const create = steps.find((s) => s.display.startsWith('CREATE ROLE "migrator"'))!;
    expect(create.sql).toBe(`CREATE ROLE "migrator" LOGIN PASSWORD '${verifiers.migrator}'`);
    expect(steps.map((s) => s.display).join("\n")).not.toContain("SCRAM-SHA-256");
  });

  it("fails when a new password user has no verifier", () => {
    expect(() => planPostgres(state, emptyPostgres, { app: "a" })).toThrow("planPostgres: user migrator is new and needs a password");
  });
});

describe("PostgreSQL plan against a server that already matches", () => {
  it("is empty", () => {
    const complete: PostgresCatalog = {
      databaseExists: true,
      serverVersion: 160004,
      currentUser: "master",
      roles: {
        shop_owner: role([], false), shop_readwrite: role([], false), shop_readonly: role([], false),
        migrator: role(["shop_owner"]), app: role(["shop_readwrite"]), etl: role(["shop_readonly", "rds_iam"]),
      },
      publicCanConnect: false,
      connectGrantees: ["shop_owner", "shop_readwrite", "shop_readonly"],
      publicCanCreateInPublicSchema: false,
      schemas: { migrator: "migrator" },
      schemaUsage: { migrator: ["migrator", "shop_readwrite", "shop_readonly"] },
      defaultPrivileges: [
        "migrator|migrator|tables|shop_readwrite|DELETE,INSERT,SELECT,UPDATE", "migrator|migrator|sequences|shop_readwrite|SELECT,USAGE",
        "migrator|migrator|tables|shop_readonly|SELECT", "migrator|migrator|sequences|shop_readonly|SELECT",
      ],
      tablesMissingGrants: [], sequencesMissingGrants: [], nonOwnersOwningObjects: [], removedUsersWithSessions: [],
      searchPaths: { migrator: ["$user"], app: ["$user", "migrator"], etl: ["$user", "migrator"] },
    };
    expect(planPostgres(state, complete, {})).toEqual([]);
  });

  it("removes rds_iam from a password user, which it would otherwise lock out", () => {
    const catalog = { ...emptyPostgres, roles: { ...emptyPostgres.roles, app: role(["rds_iam"]) } };
    expect(planPostgres({ ...state, users: [state.users[1]!] }, catalog, {}).map((s) => s.sql)).toContain('REVOKE rds_iam FROM "app"');
  });

  it("takes back a schema an earlier version gave a readwrite user, so it can no longer create objects there", () => {
    const catalog = { ...emptyPostgres, databaseExists: true, roles: { ...emptyPostgres.roles, app: role(["shop_readwrite"]) }, schemas: { app: "app" } };
    expect(planPostgres({ ...state, users: [state.users[1]!] }, catalog, {}).map((s) => s.sql)).toContain('ALTER SCHEMA "app" OWNER TO CURRENT_USER');
  });
});

describe("PostgreSQL plan for roles the master cannot act as", () => {
  const owner = { ...state, users: [state.users[0]!] };
  const withMigrator = (master: RoleFacts["master"], serverVersion = 160004): PostgresCatalog =>
    ({ ...emptyPostgres, serverVersion, roles: { ...emptyPostgres.roles, migrator: { login: true, memberOf: ["shop_owner"], master } } });

  it("grants the master SET and INHERIT on a role it holds only ADMIN on (what CREATE ROLE gives its creator on PostgreSQL 16)", () => {
    const steps = planPostgres(owner, withMigrator({ set: false, inherit: false, admin: true }), {}).map((s) => s.sql);
    expect(steps).toContain('GRANT "migrator" TO CURRENT_USER WITH INHERIT TRUE, SET TRUE');
  });

  it("grants membership without options before PostgreSQL 16, which has none", () => {
    const steps = planPostgres(owner, withMigrator({ set: false, inherit: false, admin: true }, 150008), {}).map((s) => s.sql);
    expect(steps).toContain('GRANT "migrator" TO CURRENT_USER');
  });

  it("grants nothing when the master can already SET ROLE to it and inherit from it", () => {
    const steps = planPostgres(owner, withMigrator(actsAs), {}).map((s) => s.sql);
    expect(steps.filter((sql) => sql.includes("TO CURRENT_USER"))).toEqual([]);
  });

  it("fails, listing every role and the fix, when the master cannot administer roles it must change", () => {
    const catalog: PostgresCatalog = {
      ...withMigrator({ set: false, inherit: false, admin: false }),
      roles: { migrator: { login: true, memberOf: [], master: { set: false, inherit: false, admin: false } }, shop_owner: { login: false, memberOf: [], master: { set: false, inherit: false, admin: false } } },
    };
    const error = (() => {
      try {
        return planPostgres(owner, catalog, { migrator: "verifier" });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(PlanRefused);
    expect((error as PlanRefused).reasons).toEqual([
      'role "migrator" exists but master cannot administer it, so its login and password cannot be set: as its creator or a superuser, GRANT "migrator" TO "master" WITH ADMIN OPTION, then rerun',
      'role "shop_owner" exists but master cannot administer it, so migrator cannot join it: as its creator or a superuser, GRANT "shop_owner" TO "master" WITH ADMIN OPTION, then rerun',
    ]);
  });

  it("fails when a direct-IAM user needs rds_iam on a server without it", () => {
    const catalog = { ...emptyPostgres, roles: {} };
    expect(() => planPostgres({ ...state, users: [state.users[2]!] }, catalog, {})).toThrow("role rds_iam does not exist, so etl cannot be given IAM authentication: IAM database authentication needs RDS or Aurora");
  });
});

const mysqlState: DesiredState = { ...state, dialect: "mysql" };
const emptyMysql: MysqlCatalog = { databaseExists: false, passwordPlugin: "mysql_native_password", users: {} };
const hashes = { migrator: "*0123456789ABCDEF0123456789ABCDEF01234567", app: "*89ABCDEF0123456789ABCDEF0123456789ABCDEF" };

describe("MySQL plan", () => {
  it("creates the database and TLS-only users with the privileges of their level", () => {
    expect(planMysql(mysqlState, emptyMysql, hashes).map((s) => s.display)).toEqual([
      "CREATE DATABASE `shop` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
      "CREATE USER 'migrator'@'%' IDENTIFIED WITH mysql_native_password AS '********' REQUIRE SSL",
      "GRANT ALTER, ALTER ROUTINE, CREATE, CREATE ROUTINE, CREATE TEMPORARY TABLES, CREATE VIEW, DELETE, DROP, EVENT, EXECUTE, INDEX, INSERT, LOCK TABLES, REFERENCES, SELECT, SHOW VIEW, TRIGGER, UPDATE ON `shop`.* TO 'migrator'@'%'",
      "CREATE USER 'app'@'%' IDENTIFIED WITH mysql_native_password AS '********' REQUIRE SSL",
      "GRANT DELETE, EXECUTE, INSERT, SELECT, SHOW VIEW, UPDATE ON `shop`.* TO 'app'@'%'",
      "CREATE USER 'etl'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS' REQUIRE SSL",
      "GRANT SELECT, SHOW VIEW ON `shop`.* TO 'etl'@'%'",
    ]);
  });

  it("sets passwords from their hashes for the server's plugin, only in the executable SQL", () => {
    const steps = planMysql(mysqlState, { ...emptyMysql, passwordPlugin: "caching_sha2_password" }, { migrator: "$A$005$salt", app: "$A$005$other" });
    expect(steps[1]!.sql).toBe("CREATE USER 'migrator'@'%' IDENTIFIED WITH caching_sha2_password AS '$A$005$salt' REQUIRE SSL");
    expect(steps.map((s) => s.display).join("\n")).not.toContain("$A$005$");
  });

  it("switches an IAM user to the IAM plugin and tightens TLS, granting only what is missing", () => {
    const catalog: MysqlCatalog = { ...emptyMysql, databaseExists: true, users: { etl: { plugin: "mysql_native_password", authenticationStringHex: "", sslType: "", privileges: ["SELECT"] } } };
    expect(planMysql({ ...mysqlState, users: [mysqlState.users[2]!] }, catalog, {}).map((s) => s.sql)).toEqual([
      "ALTER USER 'etl'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'",
      "ALTER USER 'etl'@'%' REQUIRE SSL",
      "GRANT SHOW VIEW ON `shop`.* TO 'etl'@'%'",
    ]);
  });
});

describe("desired states refused before anything runs", () => {
  it.each([
    ["a name with a quote", { ...state, users: [{ name: 'app"; DROP', privileges: "readwrite", login: "password" }] },
      'users.app"; DROP — user name must be lowercase letters, digits or underscores, starting with a letter or underscore'],
    ["a database name with a semicolon", { ...state, database: "shop;drop" }, "database — database name must be lowercase letters, digits or underscores, starting with a letter or underscore"],
    ["a duplicate user", { ...state, users: [state.users[0]!, state.users[0]!] }, "users.migrator — must be listed once"],
    ["a MySQL user of 33 bytes", { ...mysqlState, users: [{ name: "u".repeat(33), privileges: "readonly", login: "password" }] },
      `users.${"u".repeat(33)} — user name must be at most 32 bytes in UTF-8, not 33: MySQL would truncate or refuse it`],
    ["a user named like a derived group role", { ...state, users: [{ name: "shop_readonly", privileges: "readonly", login: "password" }] },
      'users.shop_readonly — user name must differ from the group role "shop_readonly" derived from the database name'],
    ["an unknown level", { ...state, users: [{ name: "app", privileges: "superuser", login: "password" }] }, 'users.app.privileges — must be "readwrite", "readonly" or "owner"'],
  ] as [string, DesiredState, string][])("fails for %s", (_case, request, message) => {
    expect(desiredStateProblems(request).map((p) => `${p.path} — ${p.allowed}`)).toEqual([message]);
  });

  it("fails for the master's own name", () => {
    expect(desiredStateProblems({ ...state, users: [{ name: "dbadmin", privileges: "owner", login: "password" }] }, "dbadmin").map((p) => p.allowed))
      .toEqual(["user name must differ from the master user, which the proxy already serves"]);
  });

  it("accepts unicode names, which the plan quotes", () => {
    const unicode: DesiredState = { ...state, users: [{ name: "bücher", privileges: "owner", login: "password" }] };
    expect(desiredStateProblems(unicode)).toEqual([]);
    expect(plan(unicode, emptyPostgres, { "bücher": "x" }).map((s) => s.sql)).toContain('CREATE SCHEMA "bücher" AUTHORIZATION "bücher"');
  });
});

describe("users from stack outputs", () => {
  const outputs = {
    database_engine_family: "POSTGRESQL", database_engine: "aurora-postgresql", database_name: "shop", database_port: "5432",
    proxy_endpoint: "shop-test.proxy-abc.eu-west-1.rds.amazonaws.com", master_username: "dbadmin", master_auth: "iam",
    master_secret_arn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!cluster-AbCdEf",
    database_writer_endpoint: "shop-test.cluster-abc.eu-west-1.rds.amazonaws.com",
    database_users: { app: { auth: "iam", privileges: "readwrite" }, reporting: { auth: "password", privileges: "readonly" }, etl: { auth: "direct-iam", privileges: "readonly" } },
    user_secret_arns: { app: "arn:app", reporting: "arn:reporting", etl: "arn:etl" },
  };

  it("gives every user the proxy serves a password login, and direct-IAM users an IAM login with the writer as host", () => {
    const { target } = bootstrapTargetFromOutputs(outputs);
    expect(target).toMatchObject({ family: "POSTGRESQL", database: "shop", port: 5432, masterUser: "dbadmin", masterAuth: "iam" });
    expect(target!.users).toEqual([
      { name: "app", privileges: "readwrite", login: "password", secretArn: "arn:app" },
      { name: "reporting", privileges: "readonly", login: "password", secretArn: "arn:reporting" },
      { name: "etl", privileges: "readonly", login: "iam", secretArn: "arn:etl", secretHost: "shop-test.cluster-abc.eu-west-1.rds.amazonaws.com" },
    ]);
  });

  it("fails naming every output that is missing or wrong", () => {
    const { target, problems } = bootstrapTargetFromOutputs({
      ...outputs, database_port: "70000", proxy_endpoint: undefined,
      database_users: { ...outputs.database_users, rds_iam: { auth: "iam", privileges: "readwrite" }, bad: { auth: "both", privileges: "all" } },
      user_secret_arns: { app: "arn:app", reporting: "arn:reporting", etl: "arn:etl", rds_iam: "arn:x" },
    });
    expect(target).toBeUndefined();
    expect(problems.map((p) => p.path)).toEqual([
      "proxy_endpoint", "database_port", "database_users.rds_iam", "database_users.bad.auth", "database_users.bad.privileges", "user_secret_arns.bad",
    ]);
    expect(problems[2]!.allowed).toMatch(/^user name must not be one PostgreSQL or RDS reserves \(public, none, current_user, .*, or starting with pg_ or rds_\)$/);
  });

  it("fails when the stack has no users map", () => {
    expect(bootstrapTargetFromOutputs({ ...outputs, database_users: undefined, user_secret_arns: undefined }).problems.map((p) => p.path)).toEqual(["database_users", "user_secret_arns"]);
  });
});
