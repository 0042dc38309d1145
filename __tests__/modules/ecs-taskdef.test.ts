import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Testing } from "cdktf";
import { EcsTaskDefinition } from "@cdktf/provider-aws/lib/ecs-task-definition/index.js";
import { resolveEnvironments } from "../../stacks/config.ts";
import type { EcsSettingsInput } from "../../modules/ecs-taskdef.ts";
import { buildEnvironment, environment, resourcesOf, synthEnvironment, type SynthesizedStack } from "../helpers.ts";

const container = {
  imageRepository: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop", imageTag: "abc123", cpu: 512, memory: 1024, port: 8080,
  healthCheck: { command: "wget -qO- localhost:8080/health", retries: 5 }, environment: { LOG_LEVEL: "info" },
};
const withEcs = (ecs: Partial<EcsSettingsInput>) => environment({ clients: { services: { api: { legacyNames: true, user: "app", container, ...ecs } } } });
const policies = (parsed: SynthesizedStack) => Object.values(resourcesOf(parsed, "aws_iam_role_policy"));
const statementsOf = (policy: Record<string, unknown>) => (JSON.parse(String(policy.policy)) as { Statement: Record<string, unknown>[] }).Statement;

describe("ServiceTaskDefinition, managed by Terraform", () => {
  const { json, parsed } = synthEnvironment(withEcs({ user: "reporting" }));
  const taskDefinition = Object.values(resourcesOf(parsed, "aws_ecs_task_definition"))[0]!;
  const [definition] = JSON.parse(String(taskDefinition.container_definitions)) as Record<string, unknown>[];

  it("is a Fargate task of the environment's family with a size Fargate accepts", () => {
    expect(json).toHaveResourceWithProperties(EcsTaskDefinition, {
      family: "shop-test", network_mode: "awsvpc", requires_compatibilities: ["FARGATE"], cpu: "512", memory: "1024",
      runtime_platform: { operating_system_family: "LINUX", cpu_architecture: "X86_64" },
    });
    expect(taskDefinition.execution_role_arn).not.toEqual(taskDefinition.task_role_arn);
  });

  it("passes every database setting of a password user as a secret from the user's secret JSON keys", () => {
    const secrets = definition!.secrets as { name: string; valueFrom: string }[];
    expect(secrets.map((s) => s.name)).toEqual(["DB_USER", "DB_PASSWORD", "DB_HOST", "DB_PORT", "DB_NAME"]);
    const keys = secrets.map((s) => /:(\w+)::$/.exec(s.valueFrom)![1]);
    expect(keys).toEqual(["username", "password", "host", "port", "dbname"]);
    for (const s of secrets) expect(s.valueFrom).toMatch(/^\$\{data\.terraform_remote_state\.cross-stack-reference-input-test-database\.outputs\.cross-stack-output-aws_secretsmanager_secretusers_secret-reporting_[0-9A-F]+arn\}:\w+::$/);
  });

  it("keeps secrets out of the plain environment and locks the root filesystem", () => {
    expect(definition!.environment).toEqual([
      { name: "DB_AUTH", value: "password" }, { name: "DB_REGION", value: "eu-west-1" }, { name: "LOG_LEVEL", value: "info" },
    ]);
    expect(definition).toMatchObject({
      name: "app", image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop:abc123", essential: true, readonlyRootFilesystem: true,
      portMappings: [{ containerPort: 8080, protocol: "tcp" }],
      healthCheck: { command: ["CMD-SHELL", "wget -qO- localhost:8080/health"], interval: 30, timeout: 5, retries: 5, startPeriod: 0 },
      logConfiguration: { logDriver: "awslogs", options: { "awslogs-region": "eu-west-1", "awslogs-stream-prefix": "app" } },
    });
  });

  it("lets the execution role pull exactly the image, write its log group and read exactly the user's secret", () => {
    const execution = policies(parsed).filter((p) => String(p.role).includes("service_execution-role_"));
    const pull = execution.find((p) => p.name === "pull-image-and-write-logs")!;
    expect(statementsOf(pull)).toEqual([
      { Sid: "EcrLogin", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
      {
        Sid: "PullApplicationImage", Effect: "Allow",
        Action: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
        Resource: "arn:aws:ecr:eu-west-1:123456789012:repository/shop",
      },
      { Sid: "WriteOwnLogGroup", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: "arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/shop-test:*" },
    ]);
    const read = execution.find((p) => p.name === "read-secret-reporting")!;
    expect(statementsOf(read)[0]!.Resource).toMatch(/users_secret-reporting_/);
  });

  it("gives a password user's task role no database grant", () => {
    const taskRolePolicies = policies(parsed).filter((p) => String(p.role).includes("service_task-role_"));
    expect(taskRolePolicies).toEqual([]);
  });

  it("trusts ECS tasks of this account only", () => {
    const roles = Object.values(resourcesOf(parsed, "aws_iam_role")).filter((r) => String(r.name).startsWith("shop-test-ecs"));
    expect(roles).toHaveLength(2);
    for (const role of roles) {
      expect(JSON.parse(String(role.assume_role_policy)).Statement[0].Condition).toEqual({ StringEquals: { "aws:SourceAccount": "123456789012" } });
    }
  });
});

describe("ServiceTaskDefinition for an IAM user", () => {
  const { parsed } = synthEnvironment(withEcs({}));
  const definition = (JSON.parse(String(Object.values(resourcesOf(parsed, "aws_ecs_task_definition"))[0]!.container_definitions)) as Record<string, unknown>[])[0]!;

  it("passes everything but a password and grants the task role rds-db:connect as the user", () => {
    expect((definition.secrets as { name: string }[]).map((s) => s.name)).toEqual(["DB_USER", "DB_HOST", "DB_PORT", "DB_NAME"]);
    expect(definition.environment).toContainEqual({ name: "DB_AUTH", value: "iam" });
    const connect = policies(parsed).find((p) => p.name === "connect-app-via-proxy")!;
    expect(String(connect.role)).toMatch(/service_task-role_/);
    expect(statementsOf(connect)[0]).toMatchObject({ Action: "rds-db:connect", Resource: expect.stringMatching(/\/app$/) });
  });

  it("skips ECR permissions for an image from another registry", () => {
    const { parsed: other } = synthEnvironment(withEcs({ container: { ...container, imageRepository: "ghcr.io/example/shop" } }));
    const pull = policies(other).find((p) => p.name === "pull-image-and-write-logs")!;
    expect(statementsOf(pull).map((s) => s.Sid)).toEqual(["WriteOwnLogGroup"]);
  });
});

describe("ServiceTaskDefinition as a template", () => {
  it("creates roles and log group but no task definition, and writes the template with placeholders", () => {
    const env = buildEnvironment(withEcs({ mode: "template" }));
    const outdir = Testing.fullSynth(env.ecsTaskdef!);
    const parsed = JSON.parse(readFileSync(join(outdir, "stacks", "test-ecs-taskdef", "cdk.tf.json"), "utf8")) as SynthesizedStack;
    expect(parsed.resource.aws_ecs_task_definition).toBeUndefined();
    const templatePath = String(parsed.output.ecs_task_definition_template!.value);
    expect(templatePath).toMatch(/^assets\/service_template_[0-9A-F]+\/[0-9A-F]+\/task-definition\.json$/);
    const file = join(outdir, "stacks", "test-ecs-taskdef", templatePath);
    expect(existsSync(file)).toBe(true);
    const template = JSON.parse(readFileSync(file, "utf8"));
    expect(template).toMatchObject({
      family: "shop-test", executionRoleArn: "{{execution_role_arn}}", taskRoleArn: "{{task_role_arn}}", cpu: "512", memory: "1024",
      containerDefinitions: [{ image: "{{image}}", logConfiguration: { options: { "awslogs-group": "{{log_group_name}}" } } }],
    });
    expect(template.containerDefinitions[0].secrets[0]).toEqual({ name: "DB_USER", valueFrom: "{{user_secret_arn}}:username::" });
    expect(Object.keys(parsed.output).sort()).toEqual(["ecs_family", "ecs_log_group_name", "ecs_services", "ecs_task_definition_template"]);
    const identity = JSON.parse(Testing.synth(env.iam!)) as SynthesizedStack;
    expect(Object.keys(identity.output).filter((name) => name.startsWith("ecs_")).sort()).toEqual(["ecs_execution_role_arn", "ecs_service_roles", "ecs_task_role_arn", "ecs_user_secret_arn"]);
  });
});

const problems = (ecs: Partial<EcsSettingsInput>, containerChanges: Record<string, unknown> = {}) => {
  try {
    resolveEnvironments([withEcs({ ...ecs, container: { ...container, ...containerChanges } as EcsSettingsInput["container"] })]);
    return "";
  } catch (error) {
    return (error as Error).message;
  }
};

describe("ECS settings validation", () => {
  it.each([
    [{ user: "nobody" }, {}, 'test.clients.services.api.user: "nobody" — must be one of the environment\'s users (app, reporting)'],
    [{ mode: "manual" as never }, {}, 'test.clients.services.api.mode: "manual" — must be one of "managed", "template"'],
    [{}, { cpu: 300 }, "test.clients.services.api.container.cpu: 300 — must be one of 256, 512, 1024, 2048, 4096, 8192, 16384"],
    [{}, { cpu: 256, memory: 4096 }, "test.clients.services.api.container.memory: 4096 — must be a Fargate memory size for cpu 256: 512, 1024, 2048"],
    [{}, { cpu: 2048, memory: 2048 }, "test.clients.services.api.container.memory: 2048 — must be a Fargate memory size for cpu 2048: 4096..16384 in steps of 1024"],
    [{}, { port: 70000 }, "test.clients.services.api.container.port: 70000 — must be a whole number from 1 to 65535"],
    [{}, { imageTag: "v1:latest" }, 'test.clients.services.api.container.imageTag: "v1:latest" — must be a Docker tag: 1..128 letters, digits, _ . -'],
    [{}, { imageRepository: "Shop:1" }, 'test.clients.services.api.container.imageRepository: "Shop:1" — must be an image repository without a tag, e.g. "123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders"'],
    [{}, { environment: { STRIPE_API_KEY: "sk_live_abc" } }, 'test.clients.services.api.container.environment.STRIPE_API_KEY: "(redacted)" — looks like a secret: plain environment variables are visible in the task definition; store it in Secrets Manager'],
    [{}, { environment: { DB_HOST: "x" } }, 'test.clients.services.api.container.environment.DB_HOST: "DB_HOST" — is set by dbstack (DB_USER, DB_PASSWORD, DB_HOST, DB_PORT, DB_NAME, DB_AUTH, DB_REGION)'],
    [{}, { healthCheck: { command: "true", intervalSeconds: 1 } }, "test.clients.services.api.container.healthCheck.intervalSeconds: 1 — must be a whole number from 5 to 300"],
    [{}, { architecture: "ARM" }, 'test.clients.services.api.container.architecture: "ARM" — must be one of "X86_64", "ARM64"'],
  ])("fails on %j %j", (ecs, changes, expected) => {
    expect(problems(ecs, changes)).toContain(expected);
  });

  it("never echoes a secret-looking value", () => {
    expect(problems({}, { environment: { STRIPE_API_KEY: "sk_live_abc" } })).not.toContain("sk_live_abc");
  });
});
