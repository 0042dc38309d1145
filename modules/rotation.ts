import { Construct } from "constructs";
import { AssetType, TerraformAsset, type ITerraformDependable } from "cdktf";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group/index.js";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy/index.js";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function/index.js";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission/index.js";
import { SecretsmanagerSecretRotation, type SecretsmanagerSecretRotationRotationRules } from "@cdktf/provider-aws/lib/secretsmanager-secret-rotation/index.js";
import { dnsSuffixOf } from "./aws-regions.ts";
import { FunctionRole, LAMBDA_RUNTIME, functionLogGroupName } from "./clients.ts";
import type { Database } from "./database.ts";
import { renderPolicy } from "./iam.ts";
import { bundleHandler } from "./lambda-bundle.ts";
import type { DatabaseProxy } from "./proxy.ts";
import { servedByProxy, type DatabaseUser, type DatabaseUsers } from "./users.ts";
import { isRecord, type Problems } from "./validation.ts";

// ---------------------------------------------------------------------------------------------------------
// Schedule
// ---------------------------------------------------------------------------------------------------------

/** A Secrets Manager rotation schedule (RotationRulesType): days, or a rate()/cron() expression with an optional window. */
export interface RotationScheduleInput {
  /** Days between rotations, 1..1000. Exclusive with `scheduleExpression`. */
  readonly automaticallyAfterDays?: number;
  /**
   * `rate(N hours)` (4..23), `rate(N days)` (1..1000), or `cron(0 H D M W *)` in UTC (minutes 0, year *).
   * Exclusive with `automaticallyAfterDays`.
   */
  readonly scheduleExpression?: string;
  /** The rotation window, "1h".."24h", with `scheduleExpression`: within one UTC day and shorter than the interval. @default to the end of the UTC day (days), 1 h (hours) */
  readonly duration?: string;
}

export interface RotationSettingsInput {
  /**
   * When every application user's password and the RDS-managed master password rotate; false: only when
   * `npm run rotate` asks.
   * @default { automaticallyAfterDays: 30 } in production, false elsewhere
   */
  readonly schedule?: RotationScheduleInput | false;
}

export interface RotationSettings {
  readonly schedule: RotationScheduleInput | false;
}

export function resolveRotationSettings(input: RotationSettingsInput | undefined, production: boolean): RotationSettings {
  const given = isRecord(input) ? input : {};
  return { schedule: given.schedule ?? (production ? { automaticallyAfterDays: 30 } : false) };
}

const RATE = /^rate\((\d+) (hour|hours|day|days)\)$/;
const CRON = /^cron\((.+)\)$/;
const DURATION = /^(\d+)h$/;

/** Secrets Manager's rules for RotationRules (API RotationRulesType; user guide "Schedule expressions in Secrets Manager rotation"). */
export function validateRotationSettings(input: RotationSettingsInput, problems: Problems): void {
  if (!problems.check(isRecord(input), "", input, "must be an object: { schedule? }")) return;
  const schedule = input.schedule;
  if (schedule === undefined || schedule === false) return;
  if (!problems.check(isRecord(schedule), "schedule", schedule, "must be false or { automaticallyAfterDays } or { scheduleExpression, duration? }")) return;
  const at = problems.at("schedule");
  const { automaticallyAfterDays: days, scheduleExpression: expression, duration } = schedule;
  if (!at.check((days === undefined) !== (expression === undefined), "", schedule, "must set exactly one of automaticallyAfterDays and scheduleExpression (Secrets Manager takes one, not both)")) return;
  if (days !== undefined) at.integer("automaticallyAfterDays", days, 1, 1000);
  /** Hours the window may last: to the end of the UTC day from its start, and no longer than the interval. */
  let maxWindow = 24;
  if (expression !== undefined) {
    const rate = typeof expression === "string" ? RATE.exec(expression) : null;
    const cron = typeof expression === "string" ? CRON.exec(expression) : null;
    if (rate) {
      const value = Number(rate[1]);
      const hours = rate[2]!.startsWith("hour");
      if (hours) {
        if (at.check(value >= 4 && value <= 23, "scheduleExpression", expression, "a rate in hours must be 4..23 hours (Secrets Manager rotates at most every four hours; for a day or more, use days)")) maxWindow = value;
      } else {
        at.check(value >= 1 && value <= 1000, "scheduleExpression", expression, "a rate in days must be 1..1000 days");
      }
      at.check(value !== 1 || !rate[2]!.endsWith("s"), "scheduleExpression", expression, 'the unit of a rate of 1 is singular: "rate(1 day)"');
    } else if (cron) {
      const fields = cron[1]!.trim().split(/\s+/);
      if (at.check(fields.length === 6, "scheduleExpression", expression, "a cron expression has six fields: cron(Minutes Hours Day-of-month Month Day-of-week Year)")) {
        at.check(fields[0] === "0", "scheduleExpression", expression, "the minutes field must be 0: Secrets Manager rotation windows open on the hour");
        at.check(fields[5] === "*", "scheduleExpression", expression, "the year field must be *: Secrets Manager does not schedule rotations more than a year apart");
        at.check(fields[2] === "?" || fields[4] === "?", "scheduleExpression", expression, "one of day-of-month and day-of-week must be ?");
        const hour = /^\d+$/.test(fields[1]!) ? Number(fields[1]) : undefined;
        if (hour !== undefined && at.check(hour <= 23, "scheduleExpression", expression, "the hours field must be 0..23")) maxWindow = 24 - hour;
      }
    } else {
      at.add("scheduleExpression", expression, 'must be "rate(N hours)", "rate(N days)" or "cron(0 H D M W *)"');
    }
  }
  if (duration !== undefined) {
    const match = typeof duration === "string" ? DURATION.exec(duration) : null;
    if (!at.check(expression !== undefined, "duration", duration, "needs scheduleExpression: the window opens where the expression says")) return;
    if (at.check(match !== null && Number(match[1]) >= 1 && Number(match[1]) <= 24, "duration", duration, 'must be whole hours, "1h".."24h"')) {
      at.check(Number(match![1]) <= maxWindow, "duration", duration, `must end by the end of the UTC day and before the next rotation window: at most ${maxWindow}h for ${String(expression)}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Construct
// ---------------------------------------------------------------------------------------------------------

export interface DatabaseRotationProps {
  /** The function's name, e.g. "orders-prod-db-rotate". */
  readonly functionName: string;
  readonly account: string;
  readonly region: string;
  readonly partition: string;
  /** The application subnets and the setup group, which already reaches the writer, the proxy and Secrets Manager. */
  readonly network: { readonly applicationSubnetIds: readonly string[]; readonly setupSecurityGroupId: string };
  readonly database: Database;
  readonly databaseName: string;
  readonly users: DatabaseUsers;
  /** User secrets are named "<secretPrefix>/<user>": the function rotates these only. */
  readonly secretPrefix: string;
  readonly proxy: DatabaseProxy;
  readonly kmsKeyArn: string;
  readonly settings: RotationSettings;
  /** @default 30 */
  readonly logRetentionDays?: number;
  /** What must exist before a schedule may start: the setup that writes each secret's first value. */
  readonly after?: readonly ITerraformDependable[];
}

/**
 * Scheduled rotation through Secrets Manager's own protocol. A function (the setup function's sibling:
 * Secrets Manager invokes it per secret with { SecretId, ClientRequestToken, Step }, another contract and
 * another permission set than the deploy-time setup; both share the database core) rotates every
 * application user's password; the RDS-managed master secret rotates by RDS's managed rotation (a
 * schedule, no function). Only Secrets Manager, from this account, for exactly these secrets, may invoke
 * the function. IAM-only users (direct-iam) have no password and are not rotated.
 */
export class DatabaseRotation extends Construct {
  readonly functionName: string;
  readonly functionArn: string;
  readonly roleArn: string;
  /** The users whose secrets this function rotates. */
  readonly rotatedUsers: readonly string[];

  constructor(scope: Construct, id: string, props: DatabaseRotationProps) {
    super(scope, id);
    const { users, proxy, database } = props;
    const rotated = users.all.filter((u) => servedByProxy(u.auth));
    this.rotatedUsers = rotated.map((u) => u.name);

    const logGroup = new CloudwatchLogGroup(this, "log-group", {
      name: functionLogGroupName(props.functionName),
      retentionInDays: props.logRetentionDays ?? 30,
      kmsKeyId: props.kmsKeyArn,
    });
    const { role } = new FunctionRole(this, "function-role", {
      functionName: props.functionName, account: props.account, region: props.region,
      purpose: "rotates the application users' passwords for Secrets Manager",
    });
    const secretsManager = `secretsmanager.${props.region}.${dnsSuffixOf(props.region)}`;
    const grants: ITerraformDependable[] = [];
    if (rotated.length > 0) {
      grants.push(new IamRolePolicy(this, "secrets-policy", {
        name: "rotate-user-secrets",
        role: role.name,
        policy: renderPolicy([
          {
            sid: "RotateUserSecrets",
            actions: ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"],
            resources: rotated.map((u) => u.secretArn),
          },
          { sid: "ReadMasterSecret", actions: ["secretsmanager:GetSecretValue"], resources: [users.master.secretArn] },
          {
            sid: "UseKeyThroughSecretsManager",
            actions: ["kms:Decrypt", "kms:GenerateDataKey"],
            resources: [...new Set([users.master.kmsKeyArn, ...rotated.map((u) => u.kmsKeyArn)])],
            conditions: { StringEquals: { "kms:ViaService": [secretsManager] } },
          },
        ]),
      }));
    }
    // The proxy check logs in as each user the way its clients do: IAM users with a token.
    const proxyIamUsers = rotated.filter((u) => u.auth === "iam").map((u) => u.name);
    for (const name of proxyIamUsers) grants.push(proxy.grantConnect(role, name));

    const bundle = new TerraformAsset(this, "code", { path: bundleHandler("db-rotate"), type: AssetType.FILE });
    const fn = new LambdaFunction(this, "function", {
      functionName: props.functionName,
      description: "dbstack rotation: Secrets Manager's four steps for the application users' passwords",
      role: role.arn,
      runtime: LAMBDA_RUNTIME,
      handler: "index.handler",
      filename: bundle.path,
      sourceCodeHash: bundle.assetHash,
      architectures: ["arm64"],
      memorySize: 256,
      // A step waits at most for the lock and a minute of proxy checks; Secrets Manager retries a failed step.
      timeout: 300,
      kmsKeyArn: props.kmsKeyArn,
      tracingConfig: { mode: "Active" },
      vpcConfig: { subnetIds: [...props.network.applicationSubnetIds], securityGroupIds: [props.network.setupSecurityGroupId] },
      environment: {
        variables: {
          DB_DIALECT: database.engineFamily === "POSTGRESQL" ? "postgresql" : "mysql",
          DB_WRITER_HOST: database.writerEndpoint,
          DB_PORT: String(database.port),
          DB_NAME: props.databaseName,
          DB_MASTER_ARN: users.master.secretArn,
          DB_USER_PREFIX: props.secretPrefix,
          DB_PROXY_HOST: proxy.endpoint,
          DB_PROXY_IAM_USERS: proxyIamUsers.join(","),
        },
      },
      dependsOn: [logGroup, ...grants],
    });

    // One permission per secret: a permission names one source ARN, and Secrets Manager invokes per secret.
    const permissions = rotated.map((user) => new LambdaPermission(this, `invoke-${user.name}`, {
      statementId: `secretsmanager-${user.name}`.slice(0, 100),
      action: "lambda:InvokeFunction",
      functionName: fn.functionName,
      principal: "secretsmanager.amazonaws.com",
      sourceAccount: props.account,
      sourceArn: user.secretArn,
    }));

    const schedule = props.settings.schedule;
    if (schedule !== false) {
      const rules = rotationRules(schedule);
      rotated.forEach((user: DatabaseUser, i) => {
        new SecretsmanagerSecretRotation(this, `schedule-${user.name}`, {
          secretId: user.secretArn,
          rotationLambdaArn: fn.arn,
          rotationRules: rules,
          // The first rotation waits for the schedule: the setup writes each secret's first value on this deploy.
          rotateImmediately: false,
          dependsOn: [permissions[i]!, ...(props.after ?? [])],
        });
      });
      // RDS's managed rotation: a schedule on the RDS-managed secret, without a function.
      new SecretsmanagerSecretRotation(this, "schedule-master", {
        secretId: users.master.secretArn,
        rotationRules: rules,
        rotateImmediately: false,
        dependsOn: [...(props.after ?? [])],
      });
    }

    this.functionName = fn.functionName;
    this.functionArn = fn.arn;
    this.roleArn = role.arn;
  }
}

function rotationRules(schedule: RotationScheduleInput): SecretsmanagerSecretRotationRotationRules {
  return {
    ...(schedule.automaticallyAfterDays !== undefined ? { automaticallyAfterDays: schedule.automaticallyAfterDays } : {}),
    ...(schedule.scheduleExpression !== undefined ? { scheduleExpression: schedule.scheduleExpression } : {}),
    ...(schedule.duration !== undefined ? { duration: schedule.duration } : {}),
  };
}
