import { Construct } from "constructs";
import { AssetType, TerraformAsset } from "cdktf";
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group/index.js";
import { EcsTaskDefinition } from "@cdktf/provider-aws/lib/ecs-task-definition/index.js";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role/index.js";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy/index.js";
import { LOG_RETENTION_DAYS, ecrRepositoryProblem } from "./aws-regions.ts";
import { logGroupArn, renderPolicy, serviceTrustPolicy, writeLogsStatement, type PolicyStatement } from "./iam.ts";
import type { DatabaseProxy } from "./proxy.ts";
import type { NamedClientSettings } from "./clients.ts";
import { servedByProxy, type DatabaseUsers } from "./users.ts";
import { Problems, credentialIn, isRecord, isSecretLikeName } from "./validation.ts";

// ---------------------------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------------------------

export interface ContainerSettings {
  /** @default "app" */
  readonly name?: string;
  /** Image repository without tag, e.g. "123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders". */
  readonly imageRepository: string;
  /** Tag deployed by Terraform (managed mode) or the placeholder default of the template. */
  readonly imageTag: string;
  /** Fargate task CPU units: 256, 512, 1024, 2048, 4096, 8192 or 16384. */
  readonly cpu: number;
  /** Fargate task memory in MiB; must be a size Fargate pairs with `cpu`. */
  readonly memory: number;
  /** Container port, 1..65535. @default none (a worker with no listener) */
  readonly port?: number;
  /** Container health check: a CMD-SHELL command and timings ECS accepts. @default none */
  readonly healthCheck?: {
    readonly command: string;
    /** 5..300 @default 30 */ readonly intervalSeconds?: number;
    /** 2..120 @default 5 */ readonly timeoutSeconds?: number;
    /** 1..10 @default 3 */ readonly retries?: number;
    /** 0..300 @default 0 */ readonly startPeriodSeconds?: number;
  };
  /** Plain environment variables; names that look secret are refused (use secrets instead). @default {} */
  readonly environment?: Readonly<Record<string, string>>;
  /** @default true */
  readonly readonlyRootFilesystem?: boolean;
  /** @default "X86_64" */
  readonly architecture?: "X86_64" | "ARM64";
}

export interface EcsSettingsInput extends NamedClientSettings {
  /** The database user the service connects as; must be one of the environment's users. */
  readonly user: string;
  readonly container: ContainerSettings;
  /**
   * `managed`: Terraform owns the task definition. `template`: Terraform creates the roles and log group
   * only and writes the task definition as a template under cdktf.out, so CI can register revisions
   * with new images (scripts/register-task-definition.ts) without touching Terraform state.
   * @default "managed"
   */
  readonly mode?: "managed" | "template";
  /** @default 365 in production, 30 elsewhere */
  readonly logRetentionDays?: number;
  /**
   * How many database connections the service may hold: for the connection budget. Size the
   * application's pool to `poolSize`.
   * @default pool of 10 per task, at most 2 tasks
   */
  readonly connections?: { readonly poolSize?: number; readonly maxTasks?: number };
  /**
   * The migrations pipeline's Deploy stage rolls this service, so its roles may be passed by the pipeline.
   * @default true when the environment has exactly one service, false otherwise (then one must say so)
   */
  readonly deployedByPipeline?: boolean;
}

/** Fargate's task sizes: CPU units -> allowed memory (MiB). */
export const FARGATE_SIZES: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: [1024, 2048, 3072, 4096],
  1024: range(2048, 8192, 1024),
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
  8192: range(16384, 61440, 4096),
  16384: range(32768, 122880, 8192),
};

function range(from: number, to: number, step: number): number[] {
  return Array.from({ length: (to - from) / step + 1 }, (_, i) => from + i * step);
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const CONTAINER_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$/;
/** The variables dbstack sets itself. */
const DATABASE_VARIABLES = ["DB_USER", "DB_PASSWORD", "DB_HOST", "DB_PORT", "DB_NAME", "DB_AUTH", "DB_REGION"];

/**
 * Problems with the service settings. With `environment.region`, an ECR repository in another partition
 * (or a region that does not exist) is refused too.
 */
export function validateEcsSettings(input: EcsSettingsInput, userNames: readonly string[], problems: Problems, environment: { readonly region?: string } = {}): void {
  problems.check(userNames.includes(input.user), "user", input.user, `must be one of the environment's users (${userNames.join(", ") || "none configured"})`);
  if (input.mode !== undefined) problems.oneOf("mode", input.mode, ["managed", "template"]);
  if (input.logRetentionDays !== undefined) problems.oneOf("logRetentionDays", input.logRetentionDays, LOG_RETENTION_DAYS);
  const c = input.container;
  if (!problems.check(isRecord(c), "container", c, "must be an object: { imageRepository, imageTag, cpu, memory, … }")) return;
  const at = problems.at("container");
  if (c.name !== undefined) at.matches("name", c.name, CONTAINER_NAME, "must be 1..255 letters, digits, hyphens or underscores");
  at.matches("imageRepository", c.imageRepository, /^[a-z0-9][a-z0-9.-]*(?::\d+)?(?:\/[a-z0-9._-]+)*\/?[a-z0-9._-]+$|^[a-z0-9._-]+(?:\/[a-z0-9._-]+)*$/,
    'must be an image repository without a tag, e.g. "123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders"');
  const ecrProblem = environment.region === undefined ? undefined : ecrRepositoryProblem(c.imageRepository, environment.region);
  if (ecrProblem) at.add("imageRepository", c.imageRepository, ecrProblem);
  at.matches("imageTag", c.imageTag, /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, "must be a Docker tag: 1..128 letters, digits, _ . -");
  if (at.oneOf("cpu", c.cpu, Object.keys(FARGATE_SIZES).map(Number))) {
    const allowed = FARGATE_SIZES[c.cpu]!;
    at.check(allowed.includes(c.memory), "memory", c.memory,
      `must be a Fargate memory size for cpu ${c.cpu}: ${allowed.length > 6 ? `${allowed[0]}..${allowed.at(-1)} in steps of ${allowed[1]! - allowed[0]!}` : allowed.join(", ")}`);
  }
  if (c.port !== undefined) at.integer("port", c.port, 1, 65535);
  const hc = c.healthCheck;
  problems.booleans({ "container.readonlyRootFilesystem": c.readonlyRootFilesystem });
  if (hc !== undefined && at.check(isRecord(hc), "healthCheck", hc, "must be { command, intervalSeconds?, timeoutSeconds?, retries?, startPeriodSeconds? }")) {
    at.check(typeof hc.command === "string" && hc.command.trim().length > 0, "healthCheck.command", hc.command, "must be a non-empty shell command");
    if (hc.intervalSeconds !== undefined) at.integer("healthCheck.intervalSeconds", hc.intervalSeconds, 5, 300);
    if (hc.timeoutSeconds !== undefined) at.integer("healthCheck.timeoutSeconds", hc.timeoutSeconds, 2, 120);
    if (hc.retries !== undefined) at.integer("healthCheck.retries", hc.retries, 1, 10);
    if (hc.startPeriodSeconds !== undefined) at.integer("healthCheck.startPeriodSeconds", hc.startPeriodSeconds, 0, 300);
  }
  for (const name of Object.keys(c.environment ?? {})) {
    if (!at.check(ENV_NAME.test(name), `environment.${name}`, name, "must be a variable name: letters, digits, underscores")) continue;
    if (!at.check(!DATABASE_VARIABLES.includes(name), `environment.${name}`, name, `is set by dbstack (${DATABASE_VARIABLES.join(", ")})`)) continue;
    if (!at.check(!isSecretLikeName(name), `environment.${name}`, "(redacted)",
      "looks like a secret: plain environment variables are visible in the task definition; store it in Secrets Manager")) continue;
    const credential = credentialIn(c.environment![name]);
    at.check(credential === undefined, `environment.${name}`, "(redacted)",
      `value looks like ${credential}: plain environment variables are visible in the task definition; store it in Secrets Manager`);
  }
  if (c.architecture !== undefined) at.oneOf("architecture", c.architecture, ["X86_64", "ARM64"]);
  if (input.connections?.poolSize !== undefined) problems.integer("connections.poolSize", input.connections.poolSize, 1, 1000);
  if (input.connections?.maxTasks !== undefined) problems.integer("connections.maxTasks", input.connections.maxTasks, 1, 1000);
  problems.booleans({ sharedUser: input.sharedUser, deployedByPipeline: input.deployedByPipeline });
}

// ---------------------------------------------------------------------------------------------------------
// Container definition
// ---------------------------------------------------------------------------------------------------------

/** What the container definition needs that is only known at deploy time (tokens or template placeholders). */
export interface ContainerValues {
  readonly image: string;
  readonly secretArn: string;
  readonly logGroupName: string;
}

export interface ContainerContext {
  readonly container: ContainerSettings;
  readonly auth: "iam" | "password";
  readonly region: string;
}

/**
 * The container definition: database settings as `secrets` from the user's secret JSON keys (the password
 * only for password users), plain settings as `environment`, awslogs to the service's group.
 */
export function containerDefinition(ctx: ContainerContext, values: ContainerValues): Record<string, unknown> {
  const c = ctx.container;
  const fromSecret = (name: string, key: string) => ({ name, valueFrom: `${values.secretArn}:${key}::` });
  const secrets = [fromSecret("DB_USER", "username"), fromSecret("DB_HOST", "host"), fromSecret("DB_PORT", "port"), fromSecret("DB_NAME", "dbname")];
  if (ctx.auth === "password") secrets.splice(1, 0, fromSecret("DB_PASSWORD", "password"));
  const environment = { ...c.environment, DB_AUTH: ctx.auth, DB_REGION: ctx.region };
  return {
    name: c.name ?? "app",
    image: values.image,
    essential: true,
    readonlyRootFilesystem: c.readonlyRootFilesystem ?? true,
    ...(c.port !== undefined ? { portMappings: [{ containerPort: c.port, protocol: "tcp" }] } : {}),
    ...(c.healthCheck ? {
      healthCheck: {
        command: ["CMD-SHELL", c.healthCheck.command],
        interval: c.healthCheck.intervalSeconds ?? 30,
        timeout: c.healthCheck.timeoutSeconds ?? 5,
        retries: c.healthCheck.retries ?? 3,
        startPeriod: c.healthCheck.startPeriodSeconds ?? 0,
      },
    } : {}),
    environment: Object.entries(environment).sort(([a], [b]) => a.localeCompare(b)).map(([name, value]) => ({ name, value })),
    secrets,
    logConfiguration: {
      logDriver: "awslogs",
      options: { "awslogs-group": values.logGroupName, "awslogs-region": ctx.region, "awslogs-stream-prefix": c.name ?? "app" },
    },
  };
}

/** Placeholders of the task definition template; register-task-definition.ts fills them from stack outputs. */
export const TEMPLATE_PLACEHOLDERS = {
  image: "{{image}}",
  executionRoleArn: "{{execution_role_arn}}",
  taskRoleArn: "{{task_role_arn}}",
  secretArn: "{{user_secret_arn}}",
  logGroupName: "{{log_group_name}}",
} as const;

// ---------------------------------------------------------------------------------------------------------
// Construct
// ---------------------------------------------------------------------------------------------------------

/** The log group of a task definition family; its roles are made before it, so they derive its ARN from this. */
export function serviceLogGroupName(family: string): string {
  return `/ecs/${family}`;
}

export interface ServiceIdentityProps {
  readonly settings: EcsSettingsInput;
  /** Task definition family and role name prefix, e.g. "orders-prod". */
  readonly family: string;
  readonly region: string;
  readonly account: string;
  readonly proxy: DatabaseProxy;
  readonly users: DatabaseUsers;
}

/**
 * The service's two identities, in the clients' IAM layer: an execution role that can pull the image,
 * write the service's log group and read exactly the user's secret, and a separate task role that can
 * connect through the proxy when the user authenticates with IAM.
 */
export class ServiceIdentity extends Construct {
  readonly executionRoleArn: string;
  readonly taskRoleArn: string;
  readonly userSecretArn: string;
  /** How the container authenticates: with an IAM token, or the password from its secret. */
  readonly auth: "iam" | "password";

  constructor(scope: Construct, id: string, props: ServiceIdentityProps) {
    super(scope, id);
    const s = props.settings;
    const problems = new Problems();
    validateEcsSettings(s, props.users.all.filter((u) => servedByProxy(u.auth)).map((u) => u.name), problems);
    problems.throwIfAny(`ServiceIdentity ${id}`);
    const user = props.users.user(s.user);
    this.auth = user.auth === "iam" ? "iam" : "password";
    this.userSecretArn = user.secretArn;

    const executionRole = new IamRole(this, "execution-role", {
      name: `${props.family}-ecs-execution`,
      description: `ECS agent for ${props.family}: pull the image, write logs, read the database secret`,
      assumeRolePolicy: serviceTrustPolicy("ecs-tasks.amazonaws.com", props.account),
    });
    new IamRolePolicy(this, "execution-role-policy", {
      name: "pull-image-and-write-logs",
      role: executionRole.name,
      policy: renderPolicy([
        ...imagePullStatements(s.container.imageRepository),
        writeLogsStatement(logGroupArn(props.region, props.account, serviceLogGroupName(props.family))),
      ]),
    });
    props.users.grantReadSecret(executionRole, s.user);

    const taskRole = new IamRole(this, "task-role", {
      name: `${props.family}-ecs-task`,
      description: `Application tasks of ${props.family}`,
      assumeRolePolicy: serviceTrustPolicy("ecs-tasks.amazonaws.com", props.account),
    });
    if (this.auth === "iam") props.proxy.grantConnect(taskRole, s.user);
    this.executionRoleArn = executionRole.arn;
    this.taskRoleArn = taskRole.arn;
  }
}

export interface ServiceTaskDefinitionProps {
  readonly settings: EcsSettingsInput;
  /** Task definition family, e.g. "orders-prod"; the log group is "/ecs/<family>". */
  readonly family: string;
  readonly region: string;
  /** The roles and secret the task uses. */
  readonly identity: Pick<ServiceIdentity, "executionRoleArn" | "taskRoleArn" | "userSecretArn" | "auth">;
  readonly kmsKeyArn: string;
  /** @default 30 */
  readonly logRetentionDays?: number;
}

/**
 * A Fargate task definition for the application (managed by Terraform), or its template for
 * register-task-definition.ts, and the service's log group. The container gets its DB_* settings from the
 * user's secret; the password only when the user authenticates with one.
 */
export class ServiceTaskDefinition extends Construct {
  readonly family: string;
  readonly logGroupName: string;
  /** Managed mode only. */
  readonly taskDefinitionArn?: string;
  /** Template mode only: the template's path relative to the stack's synthesized directory. */
  readonly templatePath?: string;

  constructor(scope: Construct, id: string, props: ServiceTaskDefinitionProps) {
    super(scope, id);
    const s = props.settings;
    const { identity } = props;
    this.family = props.family;
    const logGroup = new CloudwatchLogGroup(this, "log-group", {
      name: serviceLogGroupName(props.family),
      retentionInDays: props.logRetentionDays ?? 30,
      kmsKeyId: props.kmsKeyArn,
    });
    this.logGroupName = logGroup.name;

    const context: ContainerContext = { container: s.container, auth: identity.auth, region: props.region };
    const shape = {
      family: props.family,
      networkMode: "awsvpc",
      requiresCompatibilities: ["FARGATE"],
      cpu: String(s.container.cpu),
      memory: String(s.container.memory),
      runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: s.container.architecture ?? "X86_64" },
    };

    if ((s.mode ?? "managed") === "managed") {
      const definition = containerDefinition(context, {
        image: `${s.container.imageRepository}:${s.container.imageTag}`, secretArn: identity.userSecretArn, logGroupName: logGroup.name,
      });
      this.taskDefinitionArn = new EcsTaskDefinition(this, "task-definition", {
        family: shape.family,
        networkMode: shape.networkMode,
        requiresCompatibilities: shape.requiresCompatibilities,
        cpu: shape.cpu,
        memory: shape.memory,
        runtimePlatform: shape.runtimePlatform,
        executionRoleArn: identity.executionRoleArn,
        taskRoleArn: identity.taskRoleArn,
        containerDefinitions: JSON.stringify([definition]),
      }).arn;
    } else {
      const template = {
        ...shape,
        executionRoleArn: TEMPLATE_PLACEHOLDERS.executionRoleArn,
        taskRoleArn: TEMPLATE_PLACEHOLDERS.taskRoleArn,
        containerDefinitions: [containerDefinition(context, {
          image: TEMPLATE_PLACEHOLDERS.image, secretArn: TEMPLATE_PLACEHOLDERS.secretArn, logGroupName: TEMPLATE_PLACEHOLDERS.logGroupName,
        })],
      };
      // Named by content, so repeated synths reuse one file instead of leaving a new one behind each time.
      const text = `${JSON.stringify(template, null, 2)}\n`;
      const dir = join(tmpdir(), "dbstack-task-definitions", createHash("sha256").update(text).digest("hex").slice(0, 16));
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "task-definition.json"), text);
      this.templatePath = new TerraformAsset(this, "template", { path: join(dir, "task-definition.json"), type: AssetType.FILE }).path;
    }
  }
}

const ECR_REPOSITORY = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/(.+)$/;

/** ECR pull rights on exactly the repository; nothing for images from other registries. */
function imagePullStatements(repository: string): PolicyStatement[] {
  const ecr = ECR_REPOSITORY.exec(repository);
  if (!ecr) return [];
  const [, account, region, name] = ecr;
  const partition = repository.includes(".amazonaws.com.cn/") ? "aws-cn" : "aws";
  return [
    // GetAuthorizationToken has no resource to scope to.
    { sid: "EcrLogin", actions: ["ecr:GetAuthorizationToken"], resources: ["*"] },
    {
      sid: "PullApplicationImage",
      actions: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
      resources: [`arn:${partition}:ecr:${region}:${account}:repository/${name}`],
    },
  ];
}
