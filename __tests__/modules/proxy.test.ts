import { describe, expect, it } from "vitest";
import { Testing, TerraformStack } from "cdktf";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group/index.js";
import { DbProxy } from "@cdktf/provider-aws/lib/db-proxy/index.js";
import { DbProxyDefaultTargetGroup } from "@cdktf/provider-aws/lib/db-proxy-default-target-group/index.js";
import { DbProxyEndpoint } from "@cdktf/provider-aws/lib/db-proxy-endpoint/index.js";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role/index.js";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret/index.js";
import type { EnvironmentInput } from "../../stacks/config.ts";
import { Database } from "../../modules/database.ts";
import { resolveDatabaseSettings } from "../../modules/database-settings.ts";
import { Network } from "../../modules/network.ts";
import { DatabaseProxy, resolveProxySettings, type ProxySettingsInput } from "../../modules/proxy.ts";
import { DatabaseUsers } from "../../modules/users.ts";
import { buildEnvironment, environment, fixtures, resourcesOf, synthEnvironment, thrownMessage, type SynthesizedStack } from "../helpers.ts";

type Policy = { Statement: Record<string, unknown>[] };
const policyOf = (resource: Record<string, unknown>) => JSON.parse(String(resource.policy)) as Policy;
const only = (stack: SynthesizedStack, type: string) => {
  const all = Object.values(resourcesOf(stack, type));
  expect(all).toHaveLength(1);
  return all[0]!;
};

describe("DatabaseProxy in a stack", () => {
  const { json, parsed } = synthEnvironment(environment({ database: { ...environment().database, readers: 1 } }));

  it("derives the engine family, requires TLS and sits in the database subnets with the proxy group", () => {
    expect(json).toHaveResourceWithProperties(DbProxy, {
      name: "shop-test", engine_family: "POSTGRESQL", require_tls: true, idle_client_timeout: 1800, debug_logging: false,
    });
    const proxy = only(parsed, "aws_db_proxy");
    expect(proxy.vpc_subnet_ids).toEqual([expect.stringMatching(/cross-stack-output-aws_subnetnetwork_database-subnet-0_/), expect.stringMatching(/cross-stack-output-aws_subnetnetwork_database-subnet-1_/)]);
    expect(proxy.vpc_security_group_ids).toEqual([expect.stringMatching(/cross-stack-output-aws_security_groupnetwork_proxy_/)]);
  });

  it("has one auth entry per user secret plus the master secret, IAM required unless the user is a password user", () => {
    const auth = only(parsed, "aws_db_proxy").auth as Record<string, unknown>[];
    expect(auth.map((a) => [a.description, a.iam_auth, a.auth_scheme, a.client_password_auth_type])).toEqual([
      ["app (readwrite)", "REQUIRED", "SECRETS", "POSTGRES_SCRAM_SHA_256"],
      ["reporting (readonly)", "DISABLED", "SECRETS", "POSTGRES_SCRAM_SHA_256"],
      ["dbadmin (master, administration)", "REQUIRED", "SECRETS", "POSTGRES_SCRAM_SHA_256"],
    ]);
    expect(auth[0]!.secret_arn).toMatch(/^\$\{data\.terraform_remote_state\.cross-stack-reference-input-test-database\.outputs\.cross-stack-output-aws_secretsmanager_secretusers_secret-app_[0-9A-F]+arn\}$/);
    expect(auth[2]!.secret_arn).toMatch(/^\$\{data\.terraform_remote_state\.cross-stack-reference-input-test-database\.outputs\.cross-stack-output-aws_rds_clusterdatabase_cluster_[0-9A-F]+master_user_secret0secret_arn\}$/);
  });

  it("creates secret containers with the environment key and no secret version", () => {
    expect(json).toHaveResourceWithProperties(SecretsmanagerSecret, { name: "shop/test/database/app", recovery_window_in_days: 7 });
    for (const secret of Object.values(resourcesOf(parsed, "aws_secretsmanager_secret"))) {
      expect(secret.kms_key_id).toMatch(/aws_kms_key\.key_/);
    }
    expect(parsed.resource.aws_secretsmanager_secret_version).toBeUndefined();
  });

  it("pools connections with the default target group settings", () => {
    expect(json).toHaveResourceWithProperties(DbProxyDefaultTargetGroup, {
      connection_pool_config: { connection_borrow_timeout: 120, max_connections_percent: 100, max_idle_connections_percent: 50 },
    });
    const pool = only(parsed, "aws_db_proxy_default_target_group").connection_pool_config as Record<string, unknown>;
    expect(pool.init_query).toBeUndefined();
    expect(pool.session_pinning_filters).toBeUndefined();
  });

  it("targets the cluster, and its target group and target are replaced with the proxy", () => {
    const target = only(parsed, "aws_db_proxy_target");
    expect(target.db_cluster_identifier).toBe("shop-test");
    expect(target.db_instance_identifier).toBeUndefined();
    const proxyAddress = expect.stringMatching(/^aws_db_proxy\.proxy_[0-9A-F]+\.id$/);
    expect((target.lifecycle as Record<string, unknown>).replace_triggered_by).toEqual([proxyAddress]);
    expect((only(parsed, "aws_db_proxy_default_target_group").lifecycle as Record<string, unknown>).replace_triggered_by).toEqual([proxyAddress]);
    // The instances are in the database stack, applied whole before this one; cdktf cannot render a cross-stack depends_on.
    expect(target.depends_on).toBeUndefined();
  });

  it("adds a READ_ONLY endpoint when the cluster has readers", () => {
    expect(json).toHaveResourceWithProperties(DbProxyEndpoint, { db_proxy_endpoint_name: "shop-test-ro", target_role: "READ_ONLY" });
    const withoutReaders = synthEnvironment(environment());
    expect(withoutReaders.parsed.resource.aws_db_proxy_endpoint).toBeUndefined();
  });

  it("logs to /aws/rds/proxy/<name> with retention and the key, created before the proxy", () => {
    expect(json).toHaveResourceWithProperties(CloudwatchLogGroup, { name: "/aws/rds/proxy/shop-test", retention_in_days: 30 });
    expect(only(parsed, "aws_db_proxy").depends_on).toEqual([
      expect.stringMatching(/^aws_cloudwatch_log_group\.proxy_log-group_/), expect.stringMatching(/^aws_iam_role_policy\.proxy_role-policy_/),
    ]);
  });

  it("gives the proxy a role only RDS can assume, reading exactly the auth secrets and decrypting exactly their key via Secrets Manager", () => {
    expect(json).toHaveResourceWithProperties(IamRole, { name: "shop-test-proxy" });
    const role = Object.values(resourcesOf(parsed, "aws_iam_role")).find((r) => r.name === "shop-test-proxy")!;
    expect(JSON.parse(String(role.assume_role_policy)).Statement).toEqual([{ Effect: "Allow", Principal: { Service: "rds.amazonaws.com" }, Action: "sts:AssumeRole" }]);
    const policy = Object.values(resourcesOf(parsed, "aws_iam_role_policy")).find((p) => p.name === "read-database-user-secrets")!;
    const [read, decrypt] = policyOf(policy).Statement;
    expect(read).toEqual({
      Sid: "ReadDatabaseUserSecrets", Effect: "Allow", Action: "secretsmanager:GetSecretValue",
      Resource: [
        expect.stringMatching(/^\$\{data\.terraform_remote_state\.cross-stack-reference-input-test-database\.outputs\.cross-stack-output-aws_secretsmanager_secretusers_secret-app_[0-9A-F]+arn\}$/),
        expect.stringMatching(/^\$\{data\.terraform_remote_state\.cross-stack-reference-input-test-database\.outputs\.cross-stack-output-aws_secretsmanager_secretusers_secret-reporting_[0-9A-F]+arn\}$/),
        expect.stringMatching(/master_user_secret0secret_arn\}$/),
      ],
    });
    expect(decrypt).toEqual({
      Sid: "DecryptSecretsThroughSecretsManager", Effect: "Allow", Action: "kms:Decrypt",
      Resource: expect.stringMatching(/^\$\{data\.terraform_remote_state\.cross-stack-reference-input-test-database\.outputs\.cross-stack-output-aws_kms_keykey_[0-9A-F]+arn\}$/),
      Condition: { StringEquals: { "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com" } },
    });
    expect(JSON.stringify(policyOf(policy))).not.toContain('"*"');
  });

  it("exposes endpoint, ARN, name and the prx- resource id", () => {
    const { proxy } = buildEnvironment(environment({ database: { ...environment().database, readers: 1 } })).proxy;
    for (const value of [proxy.endpoint, proxy.arn, proxy.name, proxy.resourceId, proxy.readOnlyEndpoint]) {
      expect(value).toMatch(/TfToken/);
    }
  });
});

describe("DatabaseProxy on an RDS instance", () => {
  it("targets the instance and has no read-only endpoint", () => {
    const { parsed } = synthEnvironment(fixtures["rds-mysql"]!);
    const target = only(parsed, "aws_db_proxy_target");
    expect(target.db_instance_identifier).toBeDefined();
    expect(target.db_cluster_identifier).toBeUndefined();
    expect(only(parsed, "aws_db_proxy").engine_family).toBe("MYSQL");
    expect(parsed.resource.aws_db_proxy_endpoint).toBeUndefined();
  });

  it("applies MySQL pool options", () => {
    const { json } = synthEnvironment(fixtures["aurora-mysql"]!);
    expect(json).toHaveResourceWithProperties(DbProxyDefaultTargetGroup, {
      connection_pool_config: { session_pinning_filters: ["EXCLUDE_VARIABLE_SETS"], init_query: "SET time_zone = '+00:00'" },
    });
  });
});

/** A bare stack with the parts a proxy needs, so construct-level props can be varied. */
function proxyParts(extraNetwork = false) {
  const stack = new TerraformStack(Testing.app(), "parts");
  const kmsKeyArn = "arn:aws:kms:eu-west-1:123456789012:key/0b2d6a1e-1111-4c1d-9a4e-123456789abc";
  const makeNetwork = (id: string, cidr: string) => new Network(stack, id, {
    settings: { mode: "create", vpcCidr: cidr, applicationSubnetCidrs: [cidr.replace("0.0/16", "0.0/20"), cidr.replace("0.0/16", "16.0/20")], databaseSubnetCidrs: [cidr.replace("0.0/16", "128.0/24"), cidr.replace("0.0/16", "129.0/24")], egress: { type: "none" } },
    namePrefix: id, region: "eu-west-1", availabilityZones: ["eu-west-1a", "eu-west-1b"], databasePort: 5432,
  });
  const network = makeNetwork("net", "10.0.0.0/16");
  const otherNetwork = extraNetwork ? makeNetwork("other", "10.1.0.0/16") : undefined;
  const database = new Database(stack, "db", {
    settings: resolveDatabaseSettings({ engine: "aurora-postgresql", engineVersion: "16.6", instanceClass: "db.t4g.medium", databaseName: "shop" }, false),
    identifier: "shop", region: "eu-west-1", availabilityZones: ["eu-west-1a"], subnetGroupName: network.dbSubnetGroupName,
    securityGroupId: network.databaseSecurityGroupId, kmsKeyArn,
  });
  const users = new DatabaseUsers(stack, "users", {
    users: { app: { auth: "iam", privileges: "readwrite" }, reporting: { auth: "password", privileges: "readonly" } },
    secretPrefix: "shop/db", engine: "aurora-postgresql", masterUsername: "dbadmin", masterSecretArn: database.masterSecretArn,
    kmsKeyArn, region: "eu-west-1",
  });
  const proxy = (settings: ProxySettingsInput = {}, extra: Partial<ConstructorParameters<typeof DatabaseProxy>[2]> = {}) =>
    new DatabaseProxy(stack, "proxy", {
      name: "shop", settings: resolveProxySettings(settings, "POSTGRESQL", false), database, network, users, region: "eu-west-1", kmsKeyArn, ...extra,
    });
  return { stack, network, otherNetwork, database, users, proxy };
}

describe("DatabaseProxy props", () => {
  it("registers its target only once the instances exist when they are in the same stack", () => {
    const { stack, proxy } = proxyParts();
    proxy();
    const parsed = JSON.parse(Testing.synth(stack)) as SynthesizedStack;
    expect(only(parsed, "aws_db_proxy_target").depends_on).toEqual([expect.stringMatching(/^aws_rds_cluster_instance\.db_instance-1_/)]);
  });

  it("uses a role it is given and still grants it exactly the secrets", () => {
    const { stack, proxy } = proxyParts();
    const role = new IamRole(stack, "own-role", { name: "own", assumeRolePolicy: "{}" });
    proxy({}, { role });
    const parsed = JSON.parse(Testing.synth(stack)) as SynthesizedStack;
    expect(Object.values(resourcesOf(parsed, "aws_iam_role")).map((r) => r.name)).not.toContain("shop-proxy");
    const policy = Object.values(resourcesOf(parsed, "aws_iam_role_policy")).find((p) => p.name === "read-database-user-secrets")!;
    expect(policy.role).toBe("${aws_iam_role.own-role.name}");
    expect(only(parsed, "aws_db_proxy").role_arn).toBe("${aws_iam_role.own-role.arn}");
  });

  it("fails when the proxy would sit in another network than the database", () => {
    const { otherNetwork, proxy } = proxyParts(true);
    const message = thrownMessage(() => proxy({}, { network: otherNetwork! }));
    expect(message).toContain("DatabaseProxy proxy: 1 problem");
    expect(message).toContain("must be the database's network: the proxy must sit in the database's VPC and subnets");
  });

  it("fails on a name RDS refuses", () => {
    const { proxy } = proxyParts();
    expect(thrownMessage(() => proxy({}, { name: "1-proxy" }))).toContain('name: "1-proxy" — must be 1..63 letters, digits and hyphens, starting with a letter');
  });

  it("fails when asked for a read-only endpoint in front of an RDS instance", () => {
    const env = buildEnvironment(fixtures["rds-mysql"]!);
    const message = thrownMessage(() => new DatabaseProxy(env.proxy, "second", {
      name: "second", settings: resolveProxySettings({}, "MYSQL", false), database: env.database.database, network: env.network.network,
      users: env.database.users, region: "eu-west-1", kmsKeyArn: env.database.kmsKeyArn, readOnlyEndpoint: true,
    }));
    expect(message).toBe("DatabaseProxy second readOnlyEndpoint: true — needs an Aurora cluster with readers");
  });
});

describe("grants", () => {
  it("proxy.grantConnect builds rds-db:connect on the proxy's dbuser ARN from its own ARN", () => {
    const { stack, proxy } = proxyParts();
    const role = new IamRole(stack, "app-role", { name: "app", assumeRolePolicy: "{}" });
    proxy().grantConnect(role, "app");
    const parsed = JSON.parse(Testing.synth(stack)) as SynthesizedStack;
    const grant = Object.values(resourcesOf(parsed, "aws_iam_role_policy")).find((p) => p.name === "connect-app-via-proxy")!;
    expect(grant.role).toBe("${aws_iam_role.app-role.name}");
    // The ARN is built in a local beside the grantee, so a grant across stacks reads only the proxy's ARN.
    const [local, prefix] = Object.entries(parsed.locals as Record<string, string>).find(([name]) => name.startsWith("app-role_connect-app-via-proxy-arn-prefix"))!;
    const proxyKey = Object.keys(resourcesOf(parsed, "aws_db_proxy"))[0]!;
    const part = (n: number) => `\${element(split(":", aws_db_proxy.${proxyKey}.arn), ${n})}`;
    expect(prefix).toBe(`arn:${part(1)}:rds-db:${part(3)}:${part(4)}:dbuser:${part(6)}`);
    expect(policyOf(grant).Statement).toEqual([{
      Sid: "ConnectThroughProxy", Effect: "Allow", Action: "rds-db:connect", Resource: `\${local.${local}}/app`,
    }]);
  });

  it("proxy.grantConnect works for the master user when it uses IAM", () => {
    const { stack, proxy } = proxyParts();
    const role = new IamRole(stack, "admin-role", { name: "admin", assumeRolePolicy: "{}" });
    expect(() => proxy().grantConnect(role, "dbadmin")).not.toThrow();
  });

  it("proxy.grantConnect fails for a user the proxy does not serve", () => {
    const { stack, proxy } = proxyParts();
    const role = new IamRole(stack, "r", { name: "r", assumeRolePolicy: "{}" });
    expect(thrownMessage(() => proxy().grantConnect(role, "nobody"))).toBe('no database user "nobody"; configured users: app, reporting, dbadmin');
  });

  it("proxy.grantConnect fails for a password user", () => {
    const { stack, proxy } = proxyParts();
    const role = new IamRole(stack, "r", { name: "r", assumeRolePolicy: "{}" });
    expect(thrownMessage(() => proxy().grantConnect(role, "reporting"))).toContain('user "reporting" authenticates to the proxy with a password');
  });

  it("database.grantConnect uses the cluster resource id for direct IAM auth", () => {
    const { stack, database } = proxyParts();
    const role = new IamRole(stack, "r", { name: "r", assumeRolePolicy: "{}" });
    database.grantConnect(role, "etl");
    const parsed = JSON.parse(Testing.synth(stack)) as SynthesizedStack;
    const grant = Object.values(resourcesOf(parsed, "aws_iam_role_policy")).find((p) => p.name === "connect-etl-direct")!;
    const [local, prefix] = Object.entries(parsed.locals as Record<string, string>).find(([name]) => name.startsWith("r_connect-etl-direct-arn-prefix"))!;
    expect(prefix).toMatch(/^arn:\$\{element\(split\(":", aws_rds_cluster\.db_cluster_[0-9A-F]+\.arn\), 1\)\}:rds-db:.*:dbuser:\$\{aws_rds_cluster\.db_cluster_[0-9A-F]+\.cluster_resource_id\}$/);
    expect(policyOf(grant).Statement[0]!.Resource).toBe(`\${local.${local}}/etl`);
  });

  it("database.grantConnect uses the instance resource id for an RDS instance", () => {
    const { database } = buildEnvironment(fixtures["rds-mysql"]!).database;
    const stack = database.node.scope as TerraformStack;
    const role = new IamRole(stack, "r", { name: "r", assumeRolePolicy: "{}" });
    database.grantConnect(role, "etl");
    const parsed = JSON.parse(Testing.synth(stack)) as SynthesizedStack;
    const grant = Object.values(resourcesOf(parsed, "aws_iam_role_policy")).find((p) => p.name === "connect-etl-direct")!;
    const prefix = Object.entries(parsed.locals as Record<string, string>).find(([name]) => name.startsWith("r_connect-etl-direct-arn-prefix"))![1];
    expect(prefix).toMatch(/:dbuser:\$\{aws_db_instance\.database_instance_[0-9A-F]+\.resource_id\}$/);
    expect(policyOf(grant).Statement[0]!.Resource).toMatch(/^\$\{local\.r_connect-etl-direct-arn-prefix_[0-9A-F]+\}\/etl$/);
  });

  it("database.grantConnect fails when the database has IAM authentication off", () => {
    const input: EnvironmentInput = environment({ database: { ...environment().database, iamAuthentication: false } });
    const { database } = buildEnvironment(input).database;
    const role = new IamRole(database.node.scope as TerraformStack, "r", { name: "r", assumeRolePolicy: "{}" });
    expect(thrownMessage(() => database.grantConnect(role, "etl"))).toBe('Database grantConnect: shop-test has iamAuthentication off; IAM tokens for "etl" would be refused');
  });

  it("users.grantReadSecret reads one secret by ARN and decrypts its key only via Secrets Manager", () => {
    const { stack, users } = proxyParts();
    const role = new IamRole(stack, "exec", { name: "exec", assumeRolePolicy: "{}" });
    users.grantReadSecret(role, "reporting");
    const parsed = JSON.parse(Testing.synth(stack)) as SynthesizedStack;
    const grant = Object.values(resourcesOf(parsed, "aws_iam_role_policy")).find((p) => p.name === "read-secret-reporting")!;
    expect(policyOf(grant).Statement).toEqual([
      { Sid: "ReadDatabaseUserSecret", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: expect.stringMatching(/^\$\{aws_secretsmanager_secret\.users_secret-reporting_[0-9A-F]+\.arn\}$/) },
      {
        Sid: "DecryptSecretsThroughSecretsManager", Effect: "Allow", Action: "kms:Decrypt",
        Resource: "arn:aws:kms:eu-west-1:123456789012:key/0b2d6a1e-1111-4c1d-9a4e-123456789abc",
        Condition: { StringEquals: { "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com" } },
      },
    ]);
  });

  it("users.grantReadSecret fails for an unknown user", () => {
    const { stack, users } = proxyParts();
    const role = new IamRole(stack, "exec", { name: "exec", assumeRolePolicy: "{}" });
    expect(() => users.grantReadSecret(role, "ghost")).toThrow('no database user "ghost"');
  });
});

describe("proxy and database sharing one security group", () => {
  it("gets the self rule on the database port (seed 001's pitfall)", () => {
    const { parsed } = synthEnvironment(fixtures["adopt-ids"]!);
    // database-clients, the shared proxy/database group, and the setup function's group.
    expect(Object.keys(resourcesOf(parsed, "aws_security_group"))).toHaveLength(3);
    const self = Object.values(resourcesOf(parsed, "aws_vpc_security_group_ingress_rule"))
      .filter((r) => r.security_group_id === r.referenced_security_group_id);
    expect(self).toHaveLength(1);
    expect(self[0]).toMatchObject({ from_port: 5432, to_port: 5432, ip_protocol: "tcp", description: "Self rule: RDS Proxy to database in the shared group" });
    expect(only(parsed, "aws_db_proxy").vpc_security_group_ids).toEqual(only(parsed, "aws_rds_cluster").vpc_security_group_ids);
  });
});

describe("direct-IAM users (seed 004)", () => {
  const input = environment({ users: { app: { auth: "iam", privileges: "readwrite" }, etl: { auth: "direct-iam", privileges: "readonly" } } });

  it("get a secret but no proxy auth entry, and the clients group may reach the database directly", () => {
    const { parsed } = synthEnvironment(input);
    const auth = only(parsed, "aws_db_proxy").auth as Record<string, unknown>[];
    expect(auth.map((a) => a.description)).toEqual(["app (readwrite)", "dbadmin (master, administration)"]);
    expect(Object.values(resourcesOf(parsed, "aws_secretsmanager_secret")).map((s) => s.name)).toContain("shop/test/database/etl");
    const direct = Object.values(resourcesOf(parsed, "aws_vpc_security_group_ingress_rule"))
      .filter((r) => String(r.security_group_id).includes("network_database_") && String(r.referenced_security_group_id).includes("network_database-clients_"));
    expect(direct).toHaveLength(1);
    expect(direct[0]).toMatchObject({ from_port: 5432, to_port: 5432, description: "Database clients straight to the database (direct IAM users)" });
  });

  it("cannot be granted a proxy connection, only a database one", () => {
    const env = buildEnvironment(input);
    const role = new IamRole(env.proxy, "r", { name: "r", assumeRolePolicy: "{}" });
    expect(thrownMessage(() => env.proxy.proxy.grantConnect(role, "etl"))).toContain('user "etl" connects straight to the database (auth: "direct-iam")');
    expect(() => env.database.database.grantConnect(role, "etl")).not.toThrow();
  });

  it("leave the database group closed to clients when there are none", () => {
    const { parsed } = synthEnvironment(environment());
    const direct = Object.values(resourcesOf(parsed, "aws_vpc_security_group_ingress_rule"))
      .filter((r) => String(r.security_group_id).includes("network_database_") && String(r.referenced_security_group_id).includes("network_database-clients_"));
    expect(direct).toEqual([]);
  });
});
