import { describe, expect, it } from "vitest";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function/index.js";
import { LambdaInvocation } from "@cdktf/provider-aws/lib/lambda-invocation/index.js";
import { resolveEnvironments } from "../../stacks/config.ts";
import { environments } from "../../stacks/environments.ts";
import { parseSetupEvent } from "../../scripts/lib/setup/event.ts";
import { environment, fixtures, resourcesOf, synthEnvironment, type SynthesizedStack } from "../helpers.ts";

type Statement = { Sid: string; Action: string | string[]; Resource: string | string[]; Condition?: Record<string, Record<string, unknown>> };
const statementsOf = (policy: Record<string, unknown>) => (JSON.parse(String(policy.policy)) as { Statement: Statement[] }).Statement;
const only = (stack: SynthesizedStack, type: string) => Object.values(resourcesOf(stack, type))[0]!;
const staging = synthEnvironment(environments.find((e) => e.name === "staging")!);
const proxyStack = staging.stacks["staging-proxy"]!;

describe("the setup function", () => {
  it("runs in the application subnets with its own group, traced, one at a time, on nodejs22.x", () => {
    expect(proxyStack.json).toHaveResourceWithProperties(LambdaFunction, {
      function_name: "orders-staging-db-setup", runtime: "nodejs22.x", handler: "index.handler", timeout: 900, memory_size: 512,
      reserved_concurrent_executions: 1, tracing_config: { mode: "Active" },
    });
    // The proxy layer also holds the rotation function (modules/rotation.ts).
    const fn = Object.values(resourcesOf(proxyStack.parsed, "aws_lambda_function")).find((f) => f.function_name === "orders-staging-db-setup")!;
    const vpc = fn.vpc_config as { subnet_ids: string[]; security_group_ids: string[] };
    expect(vpc.subnet_ids).toEqual([expect.stringMatching(/network_application-subnet-0_/), expect.stringMatching(/network_application-subnet-1_/)]);
    expect(vpc.security_group_ids).toEqual([expect.stringMatching(/cross-stack-output-aws_security_groupnetwork_database-setup_/)]);
    expect(fn.kms_key_arn).toMatch(/aws_kms_keykey_/);
    expect(fn.environment).toBeUndefined();
  });

  it("is invoked by Terraform on create, update and delete, after the proxy target and endpoints exist, again when its code changes", () => {
    expect(proxyStack.json).toHaveResourceWithProperties(LambdaInvocation, { lifecycle_scope: "CRUD" });
    const invocation = only(proxyStack.parsed, "aws_lambda_invocation");
    expect(invocation.function_name).toMatch(/^\$\{aws_lambda_function\.setup_function_[0-9A-F]+\.function_name\}$/);
    expect(invocation.triggers).toEqual({ code: expect.stringMatching(/^[0-9A-F]{32}$/) });
    expect(invocation.depends_on).toEqual(expect.arrayContaining([
      expect.stringMatching(/^aws_lambda_function\.setup_function_/),
      expect.stringMatching(/^aws_iam_role_policy\.setup_secrets-policy_/),
      expect.stringMatching(/^aws_db_proxy_target\.proxy_target_/),
      expect.stringMatching(/^aws_db_proxy_endpoint\.proxy_read-only-endpoint_/),
    ]));
  });

  it("sends an input that holds no secret and that the function's own parser accepts", () => {
    const invocation = only(proxyStack.parsed, "aws_lambda_invocation");
    const text = String(invocation.input);
    expect(text).not.toMatch(/password"\s*:|"token"|AKIA/);
    const input = JSON.parse(text) as Record<string, unknown>;
    expect(input).toMatchObject({
      dialect: "postgresql", port: 5432, database: "orders", engine: "aurora-postgresql", proxyMasterAuth: "iam", waitSeconds: 600,
      host: expect.stringMatching(/cross-stack-output-aws_rds_clusterdatabase_cluster_[0-9A-F]+endpoint/),
      proxyHost: expect.stringMatching(/^\$\{aws_db_proxy\.proxy_[0-9A-F]+\.endpoint\}$/),
      masterSecretArn: expect.stringMatching(/master_user_secret0secret_arn/),
    });
    expect((input.users as { name: string; privileges: string; login: string }[]).map((u) => [u.name, u.privileges, u.login])).toEqual([
      ["app", "readwrite", "password"], ["migrator", "owner", "password"], ["worker", "readwrite", "password"],
    ]);
    // With the references replaced by values of their shape, the handler's contract accepts it.
    const resolved = JSON.parse(text
      .replace(/\$\{[^}]*endpoint[^}]*\}/g, "orders-staging.cluster-abc.eu-west-1.rds.amazonaws.com")
      // Each secret its own: the contract refuses a secret shared by two users or with the master.
      .replace(/\$\{([^}]*)\}/g, (_, reference: string) => `arn:aws:secretsmanager:eu-west-1:222222222222:secret:orders/staging/database/${reference.replace(/[^A-Za-z0-9]/g, "")}-AbCdEf`));
    expect(parseSetupEvent({ ...resolved, tf: { action: "create" } })).toMatchObject({ kind: "apply" });
  });

  it("reads exactly the master secret, writes exactly the users' secrets, and uses the key only through Secrets Manager", () => {
    const policy = Object.values(resourcesOf(proxyStack.parsed, "aws_iam_role_policy")).find((p) => p.name === "read-master-write-user-secrets")!;
    const [read, write, key] = statementsOf(policy);
    expect(read).toMatchObject({ Sid: "ReadMasterSecret", Action: "secretsmanager:GetSecretValue", Resource: expect.stringMatching(/master_user_secret0secret_arn\}$/) });
    expect(write!.Sid).toBe("WriteUserSecrets");
    expect(write!.Action).toEqual(["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"]);
    expect(write!.Resource).toEqual([expect.stringMatching(/users_secret-app_[0-9A-F]+arn\}$/), expect.stringMatching(/users_secret-migrator_[0-9A-F]+arn\}$/), expect.stringMatching(/users_secret-worker_[0-9A-F]+arn\}$/)]);
    expect(key).toMatchObject({
      Sid: "UseKeyThroughSecretsManager", Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: expect.stringMatching(/aws_kms_keykey_[0-9A-F]+arn\}$/),
      Condition: { StringEquals: { "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com" } },
    });
    expect(statementsOf(policy)).toHaveLength(3);
  });

  it("may connect through the proxy only as the master user, and writes only its own log group", () => {
    const policies = Object.values(resourcesOf(proxyStack.parsed, "aws_iam_role_policy")).filter((p) => String(p.role).includes("setup_function-role_"));
    expect(policies.map((p) => p.name).sort()).toEqual(["connect-dbadmin-via-proxy", "read-master-write-user-secrets", "vpc-logs-traces"]);
    const connect = statementsOf(policies.find((p) => p.name === "connect-dbadmin-via-proxy")!);
    expect(connect).toEqual([{ Sid: "ConnectThroughProxy", Effect: "Allow", Action: "rds-db:connect", Resource: expect.stringMatching(/\/dbadmin$/) }]);
    const basics = statementsOf(policies.find((p) => p.name === "vpc-logs-traces")!);
    expect(basics[0]).toMatchObject({ Sid: "WriteOwnLogGroup", Resource: "arn:aws:logs:eu-west-1:222222222222:log-group:/aws/lambda/orders-staging-db-setup:*" });
  });

  it("gets no rds-db grant when the master authenticates to the proxy with its password", () => {
    const { stacks } = synthEnvironment({ ...fixtures["adopt-ids"]!, proxy: { masterAuth: "password" } });
    const names = Object.values(resourcesOf(stacks["adopt-proxy"]!.parsed, "aws_iam_role_policy")).map((p) => p.name);
    expect(names).not.toContain("connect-dbadmin-via-proxy");
    expect(JSON.parse(String(only(stacks["adopt-proxy"]!.parsed, "aws_lambda_invocation").input)).proxyMasterAuth).toBe("password");
  });

  it("outputs its name and its input for npm run rotate", () => {
    expect(proxyStack.parsed.output.setup_function_name!.value).toMatch(/setup_function_[0-9A-F]+\.function_name/);
    expect(proxyStack.parsed.output.setup_input!.value).toMatchObject({ dialect: "postgresql", database: "orders" });
  });

  it("stores direct-IAM users' secrets with the writer as host and logs them in with IAM", () => {
    const { stacks } = synthEnvironment(fixtures["rds-mysql"]!);
    const input = JSON.parse(String(only(stacks["rdsmysql-proxy"]!.parsed, "aws_lambda_invocation").input)) as { dialect: string; users: Record<string, unknown>[] };
    expect(input.dialect).toBe("mysql");
    expect(input.users).toEqual([
      { name: "lambda", privileges: "readwrite", login: "password", secretArn: expect.any(String) },
      { name: "etl", privileges: "readonly", login: "iam", secretArn: expect.any(String), secretHost: expect.stringMatching(/aws_db_instancedatabase_instance_[0-9A-F]+address/) },
    ]);
  });
});

describe("the setup function's network path", () => {
  const rules = (stack: SynthesizedStack, type: string) => Object.values(resourcesOf(stack, type)).filter((r) => String(r.description).startsWith("Setup function"));

  it("reaches the database and the proxy on the database port, and AWS APIs on 443 through the endpoints", () => {
    const network = staging.stacks["staging-network"]!.parsed;
    const egress = rules(network, "aws_vpc_security_group_egress_rule").map((r) => [r.from_port, String(r.referenced_security_group_id).match(/network_([a-z-]+)_/)?.[1]]);
    expect(egress.sort()).toEqual([[443, "endpoints"], [5432, "database"], [5432, "proxy"]]);
    const ingress = rules(network, "aws_vpc_security_group_ingress_rule").map((r) => String(r.security_group_id).match(/network_([a-z-]+)_/)?.[1]);
    expect(ingress.sort()).toEqual(["database", "endpoints", "proxy"]);
  });

  it("goes out on 443 only, through the NAT gateway, where there are no endpoints", () => {
    const network = synthEnvironment(fixtures["rds-mysql"]!).stacks["rdsmysql-network"]!.parsed;
    const https = rules(network, "aws_vpc_security_group_egress_rule").filter((r) => r.from_port === 443);
    expect(https).toEqual([expect.objectContaining({ cidr_ipv4: "0.0.0.0/0", ip_protocol: "tcp", to_port: 443 })]);
  });

  it("has no group and no function when setup is off", () => {
    const { stacks } = synthEnvironment(environment());
    expect(resourcesOf(stacks["test-proxy"]!.parsed, "aws_lambda_function")).toEqual({});
    expect(Object.keys(resourcesOf(stacks["test-network"]!.parsed, "aws_security_group")).some((k) => k.includes("setup"))).toBe(false);
  });
});

describe("setup settings", () => {
  const problems = (input: Parameters<typeof environment>[0]) => {
    try {
      resolveEnvironments([environment(input)]);
      return "";
    } catch (error) {
      return (error as Error).message;
    }
  };

  it("fails when the network has no path to Secrets Manager, saying what to do", () => {
    expect(problems({ setup: {} })).toContain('test.setup.enabled: true — needs a path from the application subnets to Secrets Manager: network.egress is "none": choose "nat" or "endpoints", or set setup.enabled to false');
  });

  it("fails when setup is not an object", () => {
    expect(problems({ setup: "yes" as never })).toContain('test.setup: "yes" — must be an object: { enabled?, memoryMb?, timeoutSeconds?, waitSeconds?, logRetentionDays? }');
  });

  it.each([
    [{ memoryMb: 64 }, "test.setup.memoryMb: 64 — must be a whole number from 128 to 10240"],
    [{ timeoutSeconds: 901 }, "test.setup.timeoutSeconds: 901 — must be a whole number from 60 to 900"],
    [{ waitSeconds: 880 }, "test.setup.waitSeconds: 880 — must be a whole number from 0 to 840"],
    [{ timeoutSeconds: 300, waitSeconds: 280 }, "test.setup.waitSeconds: 280 — must leave at least 60 s of the 300 s timeout for the setup itself"],
    [{ logRetentionDays: 2 }, "test.setup.logRetentionDays: 2 — must be one of"],
  ])("fails on %j", (setup, expected) => {
    expect(problems({ setup: { enabled: false, ...setup } })).toContain(expected);
  });
});
