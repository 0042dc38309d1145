import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group/index.js";
import { EcsTaskDefinition } from "@cdktf/provider-aws/lib/ecs-task-definition/index.js";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role/index.js";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function/index.js";
import { resolveEnvironments, type EnvironmentInput } from "../../stacks/config.ts";
import { environments } from "../../stacks/environments.ts";
import { addressesOf, type Addresses } from "../support/addresses.ts";
import { environment, fixtures, resourcesOf, synthEnvironment } from "../helpers.ts";

const container = { imageRepository: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop", imageTag: "1", cpu: 256, memory: 512 };
const users = {
  app: { auth: "iam", privileges: "readwrite" }, worker: { auth: "iam", privileges: "readwrite" }, reports: { auth: "iam", privileges: "readonly" },
  migrator: { auth: "iam", privileges: "owner" }, reporting: { auth: "password", privileges: "readonly" },
} as const;
const withClients = (clients: EnvironmentInput["clients"], overrides: Partial<EnvironmentInput> = {}) => environment({ users, clients, ...overrides });
const statementsOf = (policy: Record<string, unknown>) => (JSON.parse(String(policy.policy)) as { Statement: { Sid: string; Resource: unknown }[] }).Statement;

/**
 * The shipped environments as they were synthesized before clients were named (the fixture) against
 * today's synth: nothing of what was deployed moves or gets a new identity, so `terraform plan` of an
 * environment deployed then destroys nothing.
 */
describe("the shipped environments keep every resource of the single-client layout", () => {
  const before = JSON.parse(readFileSync(join(import.meta.dirname, "../fixtures/shipped-addresses.json"), "utf8")) as Addresses;
  const after = addressesOf(Object.assign({}, ...environments.map((e) => Object.fromEntries(Object.entries(synthEnvironment(e).stacks).map(([name, s]) => [name, s.parsed])))));

  it.each(Object.keys(before))("%s: every address is still there, with the same name, family and role", (stack) => {
    expect(Object.keys(before[stack]!).length).toBeGreaterThan(0);
    for (const [address, identity] of Object.entries(before[stack]!)) {
      expect(after[stack]?.[address], `${stack} ${address}`).toEqual(identity);
    }
  });

  it("adds only the staging worker's resources and prod's reader scaling", () => {
    // Layers that did not exist then (monitoring) are not part of the comparison.
    const added = Object.entries(after).filter(([stack]) => stack in before)
      .flatMap(([stack, addresses]) => Object.keys(addresses).filter((a) => !(a in before[stack]!)).map((a) => `${stack} ${a}`));
    // The rotation function (issue 21) came after the fixture: additions of the proxy layer only.
    const rotation = added.filter((a) => / aws_[a-z_]+\.rotation_/.test(a));
    expect(rotation.length).toBeGreaterThan(0);
    expect(rotation.filter((a) => !/^[a-z]+-proxy /.test(a))).toEqual([]);
    const worker = added.filter((a) => a.startsWith("staging-") && a.includes("worker") && !rotation.includes(a));
    expect(worker).toHaveLength(9);
    expect(added.filter((a) => !worker.includes(a) && !rotation.includes(a)).map((a) => a.replace(/_[0-9A-F]{8}$/, ""))).toEqual([
      "prod-database aws_appautoscaling_policy.database_reader-scaling_policy", "prod-database aws_appautoscaling_target.database_reader-scaling_target",
    ]);
  });
});

describe("several services", () => {
  const { stacks, env } = synthEnvironment(environments.find((e) => e.name === "staging")!);
  const iam = stacks["staging-iam"]!;
  const taskdef = stacks["staging-ecs-taskdef"]!;

  it("give each service its own family, log group and pair of roles", () => {
    expect(taskdef.json).toHaveResourceWithProperties(EcsTaskDefinition, { family: "orders-staging", cpu: "512" });
    expect(taskdef.json).toHaveResourceWithProperties(EcsTaskDefinition, { family: "orders-staging-worker", cpu: "256" });
    expect(taskdef.json).toHaveResourceWithProperties(CloudwatchLogGroup, { name: "/ecs/orders-staging-worker", retention_in_days: 30 });
    for (const name of ["orders-staging-ecs-execution", "orders-staging-ecs-task", "orders-staging-worker-ecs-execution", "orders-staging-worker-ecs-task"]) {
      expect(iam.json).toHaveResourceWithProperties(IamRole, { name });
    }
    expect(Object.keys(env.iam!.services)).toEqual(["api", "worker"]);
  });

  it("grant each service's roles its own user only: the worker connects and reads secrets as worker", () => {
    const policies = Object.entries(resourcesOf(iam.parsed, "aws_iam_role_policy"));
    const ofWorker = policies.filter(([address]) => address.startsWith("service-worker_")).map(([, p]) => p);
    expect(ofWorker.map((p) => p.name).sort()).toEqual(["connect-worker-via-proxy", "pull-image-and-write-logs", "read-secret-worker"]);
    const connect = ofWorker.find((p) => p.name === "connect-worker-via-proxy")!;
    expect(String(connect.role)).toContain("service-worker_task-role_");
    expect(statementsOf(connect)[0]!.Resource).toMatch(/\/worker$/);
    const read = ofWorker.find((p) => p.name === "read-secret-worker")!;
    expect(String(read.role)).toContain("service-worker_execution-role_");
    expect(JSON.stringify(statementsOf(read))).toContain("users_secret-worker_");
    const pull = statementsOf(ofWorker.find((p) => p.name === "pull-image-and-write-logs")!);
    expect(pull.find((s) => s.Sid === "PullApplicationImage")!.Resource).toBe("arn:aws:ecr:eu-west-1:222222222222:repository/orders-worker");
  });

  it("list every service by name in the outputs the register script reads", () => {
    expect(Object.keys(taskdef.parsed.output.ecs_services!.value as object)).toEqual(["api", "worker"]);
    expect((taskdef.parsed.output.ecs_services!.value as Record<string, { family: string }>).worker!.family).toBe("orders-staging-worker");
    expect(Object.keys(iam.parsed.output.ecs_service_roles!.value as object)).toEqual(["api", "worker"]);
  });

  it("each take their share of the connection budget, named", () => {
    expect(env.budget.demand.map((d) => [d.client, d.connections, d.basis])).toEqual([
      ["service api", 20, "pool 10 × 2 tasks, as app"], ["service worker", 8, "pool 4 × 2 tasks, as worker"],
      ["migrations", 1, "one job, pool of 1, as migrator"], ["admin reserve", 5, "bootstrap and an administrator's session"],
    ]);
  });
});

describe("several functions", () => {
  const input = withClients({
    functions: { reports: { user: "reports", reservedConcurrency: 10 }, "db-check": { user: "app", reservedConcurrency: 2, memoryMb: 512 } },
  });
  const { stacks, env } = synthEnvironment(input);
  const iam = stacks["test-iam"]!;
  const clients = stacks["test-clients"]!;

  it("give each function its own name, role and log group", () => {
    expect(clients.json).toHaveResourceWithProperties(LambdaFunction, { function_name: "shop-test-reports", reserved_concurrent_executions: 10 });
    expect(clients.json).toHaveResourceWithProperties(LambdaFunction, { function_name: "shop-test-db-check", memory_size: 512 });
    expect(clients.json).toHaveResourceWithProperties(CloudwatchLogGroup, { name: "/aws/lambda/shop-test-reports" });
    expect(iam.json).toHaveResourceWithProperties(IamRole, { name: "shop-test-reports-lambda" });
    expect(iam.json).toHaveResourceWithProperties(IamRole, { name: "shop-test-db-check-lambda" });
    expect(clients.parsed.output.lambda_function_names!.value).toEqual({
      reports: expect.stringMatching(/aws_lambda_function\.function-reports_function_/), "db-check": expect.stringMatching(/aws_lambda_function\.function-db-check_function_/),
    });
  });

  it("grant each function's role its own user", () => {
    const connects = Object.entries(resourcesOf(iam.parsed, "aws_iam_role_policy")).filter(([, p]) => String(p.name).startsWith("connect-"));
    expect(connects.map(([address, p]) => [address.split("_")[0], p.name]).sort()).toEqual([["function-db-check", "connect-app-via-proxy"], ["function-reports", "connect-reports-via-proxy"]]);
  });

  it("are listed with their names for what spans clients (alarms, dashboards)", () => {
    const [config] = resolveEnvironments([input]);
    expect(config!.clientList).toEqual([
      { kind: "function", name: "reports", constructId: "function-reports", user: "reports", awsName: "shop-test-reports", logGroup: "/aws/lambda/shop-test-reports" },
      { kind: "function", name: "db-check", constructId: "function-db-check", user: "app", awsName: "shop-test-db-check", logGroup: "/aws/lambda/shop-test-db-check" },
    ]);
    expect(env.budget.demand.map((d) => d.client)).toEqual(["function reports", "function db-check", "admin reserve"]);
  });
});

describe("clients sharing a user", () => {
  const both = (sharedUser: { service?: boolean; fn?: boolean }) => withClients({
    services: { api: { user: "app", container, ...(sharedUser.service ? { sharedUser: true } : {}) } },
    functions: { check: { user: "app", ...(sharedUser.fn ? { sharedUser: true } : {}) } },
  });

  it("is allowed when every client that shares it says so", () => {
    expect(() => resolveEnvironments([both({ service: true, fn: true })])).not.toThrow();
  });

  it("fails when a client shares a user without saying so", () => {
    expect(() => resolveEnvironments([both({ service: true })])).toThrow(
      'test.clients.functions.check.user: "app" — is also the user of clients.services.api: give each client its own user, or set sharedUser: true on every client that shares it (they then share its grants, proxy auth entry and connections)');
  });
});

describe("named client validation", () => {
  it.each([
    ["a client name AWS names cannot carry", withClients({ services: { Api_1: { user: "app", container } } }),
      'test.clients.services.Api_1: "Api_1" — must be a client name: 1..20 lowercase letters, digits and single hyphens, starting with a letter (it becomes part of AWS names)'],
    ["a client name longer than 20", withClients({ functions: { ["a".repeat(21)]: { user: "app" } } }),
      `test.clients.functions.${"a".repeat(21)}: "${"a".repeat(21)}" — must be a client name: 1..20`],
    ["services that are not a map", withClients({ services: [] as never }), "test.clients.services: [] — must be a map of client name to its settings"],
    ["an unknown user", withClients({ services: { api: { user: "ghost", container } } }), 'test.clients.services.api.user: "ghost" — must be one of the environment\'s users'],
    ["two services with legacyNames", withClients({ services: { api: { user: "app", legacyNames: true, container }, worker: { user: "worker", legacyNames: true, container } } }),
      'test.clients.services: ["api","worker"] — at most one service can set legacyNames: they would share the construct id "service"'],
    ["a legacyNames function not named db-check", withClients({ functions: { check: { user: "app", legacyNames: true } } }),
      "test.clients.functions.check.legacyNames: true — keeps the single Lambda client's addresses, whose function was \"<app>-<env>-db-check\": name this function \"db-check\""],
    ["the single-client form of old", withClients({ ecs: { user: "app", container } } as never),
      'test.clients.ecs: "ecs" — is the single-client form: write clients.services.<name> with legacyNames: true to keep today\'s resources (README, Clients)'],
    ["sharedUser that is not a boolean", withClients({ functions: { check: { user: "app", sharedUser: "yes" as never } } }), 'test.clients.functions.check.sharedUser: "yes" — must be true or false'],
    ["a derived role name too long for IAM", withClients({ services: { "queue-consumer-east": { user: "app", container } } }, { app: "a".repeat(24), name: "b".repeat(12) }),
      `${"b".repeat(12)}.names.services.queue-consumer-east.executionRole: "${"a".repeat(24)}-${"b".repeat(12)}-queue-consumer-east-ecs-execution" — must be 1..64 characters (it is 71) ` +
      "letters, digits and +=,.@_- (IAM User Guide, IAM object quotas: role names); it is derived from app, name and the client's name: shorten them"],
    ["a pipeline with several services and none deployed by it",
      withClients({
        services: { api: { user: "app", container }, worker: { user: "worker", container } },
        migrations: { user: "migrator", pipeline: { connectionArn: "arn:aws:codeconnections:eu-west-1:123456789012:connection/0f5e8a52-3b1d-4c8e-9a77-2f0d6c1b9e10", repository: "o/r", branch: "main", ecsCluster: "c", ecsService: "s", imageRepository: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop" } },
      }),
      'test.clients.migrations.pipeline: "(no service)" — needs exactly one service with deployedByPipeline: true when there are several'],
    ["a suppression on a client the environment does not have",
      withClients({ services: { api: { user: "app", container } } }, { policySuppressions: [{ rule: "DBS3", construct: "service-worker", reason: "a reason long enough" }] }),
      'test.policySuppressions[0].construct: "service-worker" — must be one of "key", "network", "database", "users", "proxy", "parameters", "setup", "rotation", "service", "lambda", "migrations", "notifications", "alarms", "events", "dashboard", "service-api"'],
  ])("fails on %s", (_case, input, message) => {
    expect(() => resolveEnvironments([input])).toThrow(message);
  });

  it("fails when a client's derived names collide with another resource's (a function named db-setup beside the setup function)", () => {
    const input = { ...fixtures["rds-mysql"]!, clients: { functions: { "db-setup": { user: "lambda" } } } };
    expect(() => resolveEnvironments([input])).toThrow(
      'rdsmysql.names.functions.db-setup.functionName: "shop-rdsmysql-db-setup" — must be unique, but names.setup.functionName is the same Lambda function: rename one of the clients');
    expect(() => resolveEnvironments([input])).toThrow('rdsmysql.names.functions.db-setup.role: "shop-rdsmysql-db-setup-lambda" — must be unique, but names.setup.role is the same IAM role');
  });

  it("suppresses a rule on a named client's constructs", () => {
    const input = withClients({ services: { worker: { user: "worker", container } } }, { policySuppressions: [{ rule: "DBS3", construct: "service-worker", reason: "only to prove the id is accepted" }] });
    expect(() => resolveEnvironments([input])).not.toThrow();
  });
});
