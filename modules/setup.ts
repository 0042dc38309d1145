import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group/index.js";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy/index.js";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function/index.js";
import { LambdaInvocation } from "@cdktf/provider-aws/lib/lambda-invocation/index.js";
import { LOG_RETENTION_DAYS, dnsSuffixOf } from "./aws-regions.ts";
import { FunctionRole, LAMBDA_RUNTIME, functionLogGroupName } from "./clients.ts";
import type { Database } from "./database.ts";
import { renderPolicy } from "./iam.ts";
import { bundledCode } from "./lambda-bundle.ts";
import type { DatabaseProxy } from "./proxy.ts";
import { servedByProxy, type DatabaseUsers } from "./users.ts";
import { isRecord, Problems } from "./validation.ts";

// ---------------------------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------------------------

export interface SetupSettingsInput {
  /**
   * Run the setup function on every deploy. Off, the user secrets stay empty until the bootstrap CLI runs
   * (from a bastion or a tunnel).
   * @default true
   */
  readonly enabled?: boolean;
  /** 128..10240 MiB. @default 512 */
  readonly memoryMb?: number;
  /** The function's timeout, 60..900 seconds: waiting for the database plus the setup itself. @default 900 */
  readonly timeoutSeconds?: number;
  /** How long the function waits for the database to accept connections, 0..840 s, at least 60 s less than the timeout. @default 600 */
  readonly waitSeconds?: number;
  /** @default 365 in production, 30 elsewhere */
  readonly logRetentionDays?: number;
}

export interface SetupSettings {
  readonly enabled: boolean;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  readonly waitSeconds: number;
  readonly logRetentionDays?: number;
}

export function resolveSetupSettings(given: SetupSettingsInput | undefined = {}): SetupSettings {
  // Only reached with a malformed value when validation reports it; the defaults keep derived names sane.
  const input: SetupSettingsInput = isRecord(given) ? given : {};
  return {
    enabled: input.enabled ?? true,
    memoryMb: input.memoryMb ?? 512,
    timeoutSeconds: input.timeoutSeconds ?? 900,
    waitSeconds: input.waitSeconds ?? 600,
    ...(input.logRetentionDays !== undefined ? { logRetentionDays: input.logRetentionDays } : {}),
  };
}

/**
 * `reachesSecretsManager`: whether the function's subnets have a way to Secrets Manager (NAT, interface
 * endpoints, or an adopted network's own path). Without one the function would time out at deploy.
 */
export function validateSetupSettings(input: SetupSettingsInput, reachesSecretsManager: { ok: boolean; why: string }, problems: Problems): void {
  if (!problems.check(typeof input === "object" && input !== null && !Array.isArray(input), "", input, "must be an object: { enabled?, memoryMb?, timeoutSeconds?, waitSeconds?, logRetentionDays? }")) return;
  if (input.enabled !== undefined) problems.check(typeof input.enabled === "boolean", "enabled", input.enabled, "must be true or false");
  if (input.memoryMb !== undefined) problems.integer("memoryMb", input.memoryMb, 128, 10240);
  if (input.timeoutSeconds !== undefined) problems.integer("timeoutSeconds", input.timeoutSeconds, 60, 900);
  if (input.waitSeconds !== undefined) problems.integer("waitSeconds", input.waitSeconds, 0, 840);
  if (input.logRetentionDays !== undefined) problems.oneOf("logRetentionDays", input.logRetentionDays, LOG_RETENTION_DAYS);
  const s = resolveSetupSettings(input);
  if (Number.isInteger(s.timeoutSeconds) && Number.isInteger(s.waitSeconds)) {
    problems.check(s.waitSeconds + 60 <= s.timeoutSeconds, "waitSeconds", s.waitSeconds,
      `must leave at least 60 s of the ${s.timeoutSeconds} s timeout for the setup itself`);
  }
  if (s.enabled) problems.check(reachesSecretsManager.ok, "enabled", true, `needs a path from the application subnets to Secrets Manager: ${reachesSecretsManager.why}`);
}

// ---------------------------------------------------------------------------------------------------------
// Construct
// ---------------------------------------------------------------------------------------------------------

export interface DatabaseSetupProps {
  readonly settings: SetupSettings;
  /** The function's name, e.g. "orders-prod-db-setup". */
  readonly functionName: string;
  readonly account: string;
  readonly region: string;
  /** The application subnets and the setup group (it reaches the database directly and the proxy). */
  readonly network: { readonly applicationSubnetIds: readonly string[]; readonly setupSecurityGroupId: string };
  readonly database: Database;
  /** The application database the function creates. */
  readonly databaseName: string;
  /** Engine name stored in user secrets, e.g. "aurora-postgresql". */
  readonly engine: string;
  readonly users: DatabaseUsers;
  /** The proxy clients use: stored in the users' secrets, and where the function checks the path. */
  readonly proxy: DatabaseProxy;
  /** Encrypts the log group, the function's environment, and every secret it reads or writes. */
  readonly kmsKeyArn: string;
  /** @default 30 */
  readonly logRetentionDays?: number;
}

/**
 * What replaces seed 000's local-exec: a function in the application subnets that creates the
 * application database, roles, users and schemas and writes each user's secret, run by Terraform on every
 * deploy (`aws_lambda_invocation`, CRUD) once the proxy target exists. It connects to the writer with the
 * RDS-managed master secret — the first run happens while the proxy's user secrets are still empty, so it
 * does not depend on the proxy — then checks the clients' path through the proxy as the master user.
 * Its input holds no secret; a failure fails the apply with the function's (redacted) message.
 */
export class DatabaseSetup extends Construct {
  readonly functionName: string;
  readonly functionArn: string;
  readonly roleArn: string;
  /** The deploy-time run, which writes each user secret's first value (what a rotation schedule waits for). */
  readonly invocation: LambdaInvocation;
  /** What Terraform sends the function (no secret), also what `npm run setup` sends as is. */
  readonly input: Readonly<Record<string, unknown>>;

  constructor(scope: Construct, id: string, props: DatabaseSetupProps) {
    super(scope, id);
    const s = props.settings;
    const { database, users, proxy } = props;
    const master = users.master;

    const logGroup = new CloudwatchLogGroup(this, "log-group", {
      name: functionLogGroupName(props.functionName),
      retentionInDays: props.logRetentionDays ?? 30,
      kmsKeyId: props.kmsKeyArn,
    });
    const { role } = new FunctionRole(this, "function-role", {
      functionName: props.functionName, account: props.account, region: props.region,
      purpose: "creates the application database, roles and users; writes their secrets",
    });
    const secretsManager = `secretsmanager.${props.region}.${dnsSuffixOf(props.region)}`;
    const secretsPolicy = new IamRolePolicy(this, "secrets-policy", {
      name: "read-master-write-user-secrets",
      role: role.name,
      policy: renderPolicy([
        { sid: "ReadMasterSecret", actions: ["secretsmanager:GetSecretValue"], resources: [master.secretArn] },
        // Rotation writes a pending version first and promotes it once the database has the password.
        {
          sid: "WriteUserSecrets",
          actions: ["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"],
          resources: users.all.map((u) => u.secretArn),
        },
        {
          sid: "UseKeyThroughSecretsManager",
          actions: ["kms:Decrypt", "kms:GenerateDataKey"],
          resources: [...new Set([master.kmsKeyArn, ...users.all.map((u) => u.kmsKeyArn)])],
          conditions: { StringEquals: { "kms:ViaService": [secretsManager] } },
        },
      ]),
    });
    // The path check logs in through the proxy as the master: with a token when its entry requires IAM.
    const grants: ITerraformDependable[] = [secretsPolicy];
    if (master.auth === "iam") grants.push(proxy.grantConnect(role, master.name));

    this.input = {
      dialect: database.engineFamily === "POSTGRESQL" ? "postgresql" : "mysql",
      host: database.writerEndpoint,
      port: database.port,
      database: props.databaseName,
      engine: props.engine,
      proxyHost: proxy.endpoint,
      masterSecretArn: master.secretArn,
      proxyMasterAuth: master.auth === "iam" ? "iam" : "password",
      users: users.all.map((u) => ({
        name: u.name,
        privileges: u.privileges,
        login: servedByProxy(u.auth) ? "password" : "iam",
        secretArn: u.secretArn,
        ...(servedByProxy(u.auth) ? {} : { secretHost: database.writerEndpoint }),
      })),
      waitSeconds: s.waitSeconds,
    };

    const code = bundledCode(this, "db-setup");
    const fn = new LambdaFunction(this, "function", {
      functionName: props.functionName,
      description: "dbstack setup: application database, roles, users and their secrets, run on every deploy",
      role: role.arn,
      runtime: LAMBDA_RUNTIME,
      ...code,
      architectures: ["arm64"],
      memorySize: s.memoryMb,
      timeout: s.timeoutSeconds,
      // One setup at a time: a second concurrent run would race the first on the same roles and secrets.
      reservedConcurrentExecutions: 1,
      kmsKeyArn: props.kmsKeyArn,
      tracingConfig: { mode: "Active" },
      vpcConfig: { subnetIds: [...props.network.applicationSubnetIds], securityGroupIds: [props.network.setupSecurityGroupId] },
      dependsOn: [logGroup, ...grants],
    });

    this.invocation = new LambdaInvocation(this, "invocation", {
      functionName: fn.functionName,
      input: JSON.stringify(this.input),
      // create and update run the setup; delete runs the function too, which does nothing harmful.
      lifecycleScope: "CRUD",
      // New code runs again even when the input is unchanged.
      triggers: { code: code.sourceCodeHash },
      dependsOn: [fn, ...grants, ...proxy.registration],
    });

    this.functionName = fn.functionName;
    this.functionArn = fn.arn;
    this.roleArn = role.arn;
  }
}
