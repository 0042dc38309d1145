import { Construct } from "constructs";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group/index.js";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role/index.js";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy/index.js";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function/index.js";
import { LOG_RETENTION_DAYS } from "./aws-regions.ts";
import { LAMBDA_RUNTIMES, lifecycleOn } from "./catalog/index.ts";
import type { EngineFamily } from "./database-engines.ts";
import { logGroupArn, renderPolicy, serviceTrustPolicy, writeLogsStatement } from "./iam.ts";
import type { Network } from "./network.ts";
import type { DatabaseProxy } from "./proxy.ts";
import type { UserAuth } from "./users.ts";
import { Problems } from "./validation.ts";
import { bundledCode } from "./lambda-bundle.ts";

// ---------------------------------------------------------------------------------------------------------
// Named clients
// ---------------------------------------------------------------------------------------------------------

/** What every named client (a service under `clients.services`, a function under `clients.functions`) may say about its identity. */
export interface NamedClientSettings {
  /**
   * The client takes over the Terraform addresses of the single client of its kind an environment had
   * before clients were named, so an environment deployed then plans no replacement: construct id
   * "service" and family "<app>-<env>" for a service, construct id "lambda" for a function (whose name
   * must then be "db-check", giving today's "<app>-<env>-db-check"). At most one service and one
   * function may set it.
   * @default false - construct id "service-<name>" or "function-<name>", family "<app>-<env>-<name>"
   */
  readonly legacyNames?: boolean;
  /**
   * Another client connects as the same database user, on purpose: every client that shares a user must
   * say so, because sharing a user shares its grants, its proxy auth entry and its connection limit.
   * @default false - the user is this client's alone
   */
  readonly sharedUser?: boolean;
}

/** Client names: what `clients.services` and `clients.functions` are keyed by. */
export const CLIENT_NAME = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
/** Long enough for a word or two; the derived AWS names are checked on their own (modules/names.ts). */
export const MAX_CLIENT_NAME_LENGTH = 20;
/** The function name a `legacyNames` function must have: the single Lambda client's old name. */
export const LEGACY_FUNCTION_NAME = "db-check";

export type ClientKind = "service" | "function";

/** The construct id of a named client, the same in the iam layer and its workload's layer (one suppression covers both). */
export function clientConstructId(kind: ClientKind, name: string, legacyNames: boolean | undefined): string {
  if (legacyNames) return kind === "service" ? "service" : "lambda";
  return `${kind}-${name}`;
}

/** A client's name (the key) and its `legacyNames` flag, checked where the client is configured. */
export function validateClientName(kind: ClientKind, name: string, legacyNames: unknown, problems: Problems): void {
  problems.check(CLIENT_NAME.test(name) && name.length <= MAX_CLIENT_NAME_LENGTH, "", name,
    `must be a client name: 1..${MAX_CLIENT_NAME_LENGTH} lowercase letters, digits and single hyphens, starting with a letter (it becomes part of AWS names)`);
  if (legacyNames === undefined) return;
  if (!problems.check(typeof legacyNames === "boolean", "legacyNames", legacyNames, "must be true or false")) return;
  if (legacyNames && kind === "function") {
    problems.check(name === LEGACY_FUNCTION_NAME, "legacyNames", legacyNames,
      `keeps the single Lambda client's addresses, whose function was "<app>-<env>-${LEGACY_FUNCTION_NAME}": name this function "${LEGACY_FUNCTION_NAME}"`);
  }
}

export interface LambdaClientSettingsInput extends NamedClientSettings {
  /** The database user the function connects as; it must authenticate with IAM (no password in Lambda). */
  readonly user: string;
  /** 128..10240 MiB. @default 256 */
  readonly memoryMb?: number;
  /** 1..900 seconds. @default 30 */
  readonly timeoutSeconds?: number;
  /**
   * Concurrency reserved for (and capped at) this function: each concurrent execution is one proxy
   * connection, so this is the function's share of the connection budget. @default unreserved
   */
  readonly reservedConcurrency?: number;
  /** @default "arm64" */
  readonly architecture?: "arm64" | "x86_64";
  /** @default 365 in production, 30 elsewhere */
  readonly logRetentionDays?: number;
}

/**
 * Problems with the Lambda client settings. With `environment.now`, the runtime dbstack deploys
 * (LAMBDA_RUNTIME) is checked against the dates AWS blocks creating functions on it: refused from that
 * day, warned about within 90 days of it (reported at `runtime`).
 */
export function validateLambdaSettings(input: LambdaClientSettingsInput, users: Readonly<Record<string, UserAuth>>, problems: Problems, environment: { readonly now?: Date } = {}): void {
  if (environment.now) checkLambdaRuntime(LAMBDA_RUNTIME, environment.now, problems);
  const auth = users[input.user];
  if (problems.check(auth !== undefined, "user", input.user, `must be one of the environment's users (${Object.keys(users).join(", ") || "none configured"})`)) {
    problems.check(auth === "iam", "user", input.user, 'must be an auth: "iam" user: the function signs a token instead of holding a password');
  }
  if (input.memoryMb !== undefined) problems.integer("memoryMb", input.memoryMb, 128, 10240);
  if (input.timeoutSeconds !== undefined) problems.integer("timeoutSeconds", input.timeoutSeconds, 1, 900);
  if (input.reservedConcurrency !== undefined && problems.integer("reservedConcurrency", input.reservedConcurrency, 1, 1000)
    && input.reservedConcurrency > DEFAULT_RESERVABLE_CONCURRENCY) {
    problems.warn("reservedConcurrency", input.reservedConcurrency, `is more than a default account can reserve (${DEFAULT_RESERVABLE_CONCURRENCY}: Lambda keeps 100 of ` +
      "the account's 1,000 concurrent executions unreserved); AWS refuses it unless the account's concurrency quota was raised (an adjustable quota)");
  }
  if (input.architecture !== undefined) problems.oneOf("architecture", input.architecture, ["arm64", "x86_64"]);
  if (input.logRetentionDays !== undefined) problems.oneOf("logRetentionDays", input.logRetentionDays, LOG_RETENTION_DAYS);
  problems.booleans({ sharedUser: input.sharedUser });
}

/** Concurrency one function can reserve in an account with Lambda's default quota (1,000, of which 100 stay unreserved). */
const DEFAULT_RESERVABLE_CONCURRENCY = 900;

/** The runtime against the catalog: known to the provider, and not blocked (or soon blocked) for new functions. */
export function checkLambdaRuntime(runtime: string, now: Date, problems: Problems): void {
  const entry = LAMBDA_RUNTIMES[runtime];
  const constant = "(LAMBDA_RUNTIME in modules/clients.ts)";
  if (!entry) {
    problems.add("runtime", runtime, `must be a Lambda runtime in the catalog: ${Object.keys(LAMBDA_RUNTIMES).join(", ")} ${constant}`);
    return;
  }
  if (!entry.provider) problems.add("runtime", runtime, `is not accepted by hashicorp/aws 5.100.0 (its runtime list ends at nodejs22.x) ${constant}`);
  const life = lifecycleOn(entry.blockCreate, now);
  const date = `${entry.blockCreate}${entry.estimated ? " (estimated date)" : ""}`;
  if (life.status === "retired") {
    problems.add("runtime", runtime, `AWS Lambda blocks creating functions on ${runtime} since ${date} (updates from ${entry.blockUpdate}): move to a supported runtime ${constant}`);
  } else if (life.status === "expiring") {
    problems.warn("runtime", runtime, `AWS Lambda blocks creating functions on ${runtime} from ${date}, in ${life.daysLeft} days (updates from ${entry.blockUpdate}): move to a newer runtime ${constant}`);
  }
}

/** A function's log group; its role is made before it, so it derives the group's ARN from this. */
export function functionLogGroupName(functionName: string): string {
  return `/aws/lambda/${functionName}`;
}

export interface FunctionRoleProps {
  /** The function's name: the role is "<functionName>-lambda" and may write only its log group. */
  readonly functionName: string;
  readonly account: string;
  readonly region: string;
  /** Why the function exists, for the role's description. */
  readonly purpose: string;
}

/**
 * The execution role of a function inside the VPC, in the IAM layer: writes its own log group (by
 * derived ARN, since the group lives in a later stack), manages its network interfaces and sends traces.
 * What it may reach in the database path is added with grants.
 */
export class FunctionRole extends Construct {
  readonly role: IamRole;

  constructor(scope: Construct, id: string, props: FunctionRoleProps) {
    super(scope, id);
    this.role = new IamRole(this, "role", {
      name: `${props.functionName}-lambda`,
      description: `Lambda ${props.functionName}: ${props.purpose}`,
      assumeRolePolicy: serviceTrustPolicy("lambda.amazonaws.com", props.account),
    });
    new IamRolePolicy(this, "role-policy", {
      name: "vpc-logs-traces",
      role: this.role.name,
      policy: renderPolicy([
        writeLogsStatement(logGroupArn(props.region, props.account, functionLogGroupName(props.functionName))),
        // Lambda manages the function's network interfaces; EC2 offers no narrower resource for these calls.
        {
          sid: "ManageFunctionNetworkInterfaces",
          actions: ["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"],
          resources: ["*"],
        },
        // X-Ray trace ingestion has no resource-level permissions.
        { sid: "WriteTraces", actions: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], resources: ["*"] },
      ]),
    });
  }
}

export interface LambdaClientIdentityProps {
  readonly settings: LambdaClientSettingsInput;
  /** The function's name, e.g. "orders-dev-db-check". */
  readonly functionName: string;
  readonly account: string;
  readonly region: string;
  readonly proxy: DatabaseProxy;
}

/** The example client's role: a function role plus rds-db:connect through the proxy as its user. */
export class LambdaClientIdentity extends Construct {
  readonly roleArn: string;

  constructor(scope: Construct, id: string, props: LambdaClientIdentityProps) {
    super(scope, id);
    const s = props.settings;
    const problems = new Problems();
    validateLambdaSettings(s, Object.fromEntries(props.proxy.userAuth), problems);
    problems.throwIfAny(`LambdaClientIdentity ${id}`);
    const { role } = new FunctionRole(this, "function-role", {
      functionName: props.functionName, account: props.account, region: props.region,
      purpose: `VPC networking, logs, traces, rds-db:connect as ${s.user}`,
    });
    props.proxy.grantConnect(role, s.user);
    this.roleArn = role.arn;
  }
}

export interface LambdaClientProps {
  readonly settings: LambdaClientSettingsInput;
  /** Function name, e.g. "orders-dev-db-check". */
  readonly name: string;
  readonly region: string;
  /** Its execution role, from `LambdaClientIdentity`. */
  readonly roleArn: string;
  /** Where clients connect: the proxy's read/write endpoint. */
  readonly proxyEndpoint: string;
  /** Private application subnets and the database-clients group. */
  readonly network: Pick<Network, "applicationSubnetIds" | "clientsSecurityGroupId">;
  readonly databaseName: string;
  readonly port: number;
  readonly engineFamily: EngineFamily;
  /** Encrypts the log group and the function's environment. */
  readonly kmsKeyArn: string;
  /** @default 30 */
  readonly logRetentionDays?: number;
}

/** What AWS still creates functions with (the Node.js 20 runtime: creation blocked since 2026-08-31; dates in modules/catalog/runtimes.ts). */
export const LAMBDA_RUNTIME = "nodejs22.x";

/**
 * The example Lambda client (seeds 001 and 003): in the private application subnets with the
 * database-clients group, connecting through the proxy with an IAM token over TLS. X-Ray tracing on,
 * logs kept and encrypted, no secret in its environment. Its role comes from `LambdaClientIdentity`.
 */
export class LambdaClient extends Construct {
  readonly functionName: string;
  readonly functionArn: string;

  constructor(scope: Construct, id: string, props: LambdaClientProps) {
    super(scope, id);
    const s = props.settings;
    const logGroup = new CloudwatchLogGroup(this, "log-group", {
      name: functionLogGroupName(props.name),
      retentionInDays: props.logRetentionDays ?? 30,
      kmsKeyId: props.kmsKeyArn,
    });
    const fn = new LambdaFunction(this, "function", {
      functionName: props.name,
      description: "dbstack example client: SELECT 1 through RDS Proxy with an IAM token over TLS",
      role: props.roleArn,
      runtime: LAMBDA_RUNTIME,
      ...bundledCode(this, "db-check"),
      architectures: [s.architecture ?? "arm64"],
      memorySize: s.memoryMb ?? 256,
      timeout: s.timeoutSeconds ?? 30,
      reservedConcurrentExecutions: s.reservedConcurrency,
      kmsKeyArn: props.kmsKeyArn,
      tracingConfig: { mode: "Active" },
      vpcConfig: { subnetIds: props.network.applicationSubnetIds, securityGroupIds: [props.network.clientsSecurityGroupId] },
      environment: {
        variables: {
          DB_HOST: props.proxyEndpoint,
          DB_PORT: String(props.port),
          DB_USER: s.user,
          DB_NAME: props.databaseName,
          DB_ENGINE_FAMILY: props.engineFamily,
          DB_REGION: props.region,
        },
      },
      dependsOn: [logGroup],
    });
    this.functionName = fn.functionName;
    this.functionArn = fn.arn;
  }
}
