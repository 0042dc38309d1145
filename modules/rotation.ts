import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group/index.js";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy/index.js";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function/index.js";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission/index.js";
import { SecretsmanagerSecretRotation, type SecretsmanagerSecretRotationRotationRules } from "@cdktf/provider-aws/lib/secretsmanager-secret-rotation/index.js";
import { dnsSuffixOf } from "./aws-regions.ts";
import { FunctionRole, LAMBDA_RUNTIME, functionLogGroupName } from "./clients.ts";
import type { Database } from "./database.ts";
import { attachGrant, dbUserArn, renderPolicy, type PolicyStatement } from "./iam.ts";
import { bundledCode } from "./lambda-bundle.ts";
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
// Quotas: the function's resource policy and its role's inline policies grow with the users
// ---------------------------------------------------------------------------------------------------------

/** Lambda: a function's resource-based policy (Lambda Developer Guide, Lambda quotas; fixed). */
export const MAX_FUNCTION_POLICY_BYTES = 20_480;
/** IAM: the aggregate size of a role's inline policies, whitespace not counted (IAM and AWS STS quotas; fixed). */
export const MAX_ROLE_INLINE_POLICY_CHARS = 10_240;

/** The role's access to the secrets: what the construct attaches and the quota check measures. */
function secretStatements(userSecretArns: readonly string[], masterSecretArn: string, keyArns: readonly string[], region: string): PolicyStatement[] {
  return [
    {
      sid: "RotateUserSecrets",
      actions: ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"],
      resources: [...userSecretArns],
    },
    { sid: "ReadMasterSecret", actions: ["secretsmanager:GetSecretValue"], resources: [masterSecretArn] },
    {
      sid: "UseKeyThroughSecretsManager",
      actions: ["kms:Decrypt", "kms:GenerateDataKey"],
      resources: [...new Set(keyArns)],
      conditions: { StringEquals: { "kms:ViaService": [`secretsmanager.${region}.${dnsSuffixOf(region)}`] } },
    },
  ];
}

/** One permission's statement as Lambda stores it (AddPermission with SourceAccount and SourceArn). */
function permissionStatement(user: string, functionArn: string, account: string, secretArn: string): Record<string, unknown> {
  return {
    Sid: permissionId(user), Effect: "Allow", Principal: { Service: "secretsmanager.amazonaws.com" }, Action: "lambda:InvokeFunction", Resource: functionArn,
    Condition: { StringEquals: { "AWS:SourceAccount": account }, ArnLike: { "AWS:SourceArn": secretArn } },
  };
}

const permissionId = (user: string) => `secretsmanager-${user}`.slice(0, 100);

export interface RotationScopeFacts {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly functionName: string;
  /** User secrets are named "<secretPrefix>/<user>". */
  readonly secretPrefix: string;
  /** The rotated users, and whether each one's clients authenticate to the proxy with IAM. */
  readonly users: readonly { readonly name: string; readonly iamAtProxy: boolean }[];
  readonly keyArn: string;
}

/** How the function's permission and its role name the secrets, and the sizes that decided it. */
export interface RotationScope {
  /**
   * "secrets": one permission and one role resource per secret (the default). "prefix": the environment's
   * user secrets by their name prefix ("<prefix>/*": this account, Secrets Manager, these names only), when
   * one statement per secret would outgrow Lambda's 20 KB function policy or IAM's role quota.
   */
  readonly by: "secrets" | "prefix";
  readonly functionPolicyBytes: number;
  readonly roleChars: number;
}

/**
 * Chooses how to scope the rotation function's access, measured on the policies as AWS stores them with
 * realistic ARNs (each secret's random suffix, an RDS-managed master secret, a proxy id): per secret while
 * that fits both quotas, by the secrets' name prefix beyond.
 */
export function rotationScope(facts: RotationScopeFacts): RotationScope {
  const { partition, region, account } = facts;
  const secretArn = (user: string) => `arn:${partition}:secretsmanager:${region}:${account}:secret:${facts.secretPrefix}/${user}-AbCdEf`;
  const functionArn = `arn:${partition}:lambda:${region}:${account}:function:${facts.functionName}`;
  const measure = (by: RotationScope["by"]): RotationScope => {
    const sources = by === "secrets" ? facts.users.map((u) => [u.name, secretArn(u.name)] as const) : [["users", secretPrefixPattern(facts)] as const];
    const functionPolicy = JSON.stringify({ Version: "2012-10-17", Id: "default", Statement: sources.map(([id, source]) => permissionStatement(id, functionArn, account, source)) });
    const iamUsers = facts.users.filter((u) => u.iamAtProxy);
    const role = [
      renderPolicy(secretStatements(sources.map(([, source]) => source), `arn:${partition}:secretsmanager:${region}:${account}:secret:rds!cluster-00000000-0000-0000-0000-000000000000-AbCdEf`, [facts.keyArn], region)),
      ...(iamUsers.length > 0 ? [renderPolicy([{ sid: "CheckUsersThroughProxy", actions: ["rds-db:connect"], resources: iamUsers.map((u) => `arn:${partition}:rds-db:${region}:${account}:dbuser:prx-0123456789abcdef0/${u.name}`) }])] : []),
    ].join("");
    return { by, functionPolicyBytes: functionPolicy.length, roleChars: role.replace(/\s/g, "").length + FUNCTION_ROLE_BASE_CHARS };
  };
  const perSecret = measure("secrets");
  return perSecret.functionPolicyBytes <= MAX_FUNCTION_POLICY_BYTES && perSecret.roleChars <= MAX_ROLE_INLINE_POLICY_CHARS ? perSecret : measure("prefix");
}

/** The environment's user secrets by name: "arn:…:secret:<prefix>/*" (the master's, "rds!…", is not among them). */
function secretPrefixPattern(facts: Pick<RotationScopeFacts, "partition" | "region" | "account" | "secretPrefix">): string {
  return `arn:${facts.partition}:secretsmanager:${facts.region}:${facts.account}:secret:${facts.secretPrefix}/*`;
}

/** Fails when even the prefix scope leaves the role over IAM's quota (it still lists each IAM user for rds-db:connect). */
export function validateRotationScope(facts: RotationScopeFacts, problems: Problems): void {
  const scope = rotationScope(facts);
  problems.check(scope.roleChars <= MAX_ROLE_INLINE_POLICY_CHARS, "users", `${facts.users.length} users with passwords`,
    `the rotation function's role would hold about ${scope.roleChars} characters of inline policy (rds-db:connect names each user whose clients use IAM, for the proxy check); ` +
    `IAM allows ${MAX_ROLE_INLINE_POLICY_CHARS} per role, a quota AWS does not raise (IAM and AWS STS quotas: role policy size): give fewer users a password or shorten their names`);
}

/** The function role's own policy (its log group, network interfaces, traces: modules/clients.ts FunctionRole), at its longest. */
const FUNCTION_ROLE_BASE_CHARS = 700;

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
  /** How its permission and role name the secrets: one by one, or by their name prefix (see rotationScope). */
  readonly scope: RotationScope;

  constructor(scope: Construct, id: string, props: DatabaseRotationProps) {
    super(scope, id);
    const { users, proxy, database } = props;
    const rotated = users.all.filter((u) => servedByProxy(u.auth));
    this.rotatedUsers = rotated.map((u) => u.name);
    const proxyIamUsers = rotated.filter((u) => u.auth === "iam").map((u) => u.name);
    const scopeFacts = {
      partition: props.partition, region: props.region, account: props.account, functionName: props.functionName, secretPrefix: props.secretPrefix,
      users: rotated.map((u) => ({ name: u.name, iamAtProxy: u.auth === "iam" })), keyArn: `arn:${props.partition}:kms:${props.region}:${props.account}:key/00000000-0000-0000-0000-000000000000`,
    };
    this.scope = rotationScope(scopeFacts);
    const byPrefix = this.scope.by === "prefix";

    const logGroup = new CloudwatchLogGroup(this, "log-group", {
      name: functionLogGroupName(props.functionName),
      retentionInDays: props.logRetentionDays ?? 30,
      kmsKeyId: props.kmsKeyArn,
    });
    const { role } = new FunctionRole(this, "function-role", {
      functionName: props.functionName, account: props.account, region: props.region,
      purpose: "rotates the application users' passwords for Secrets Manager",
    });
    const grants: ITerraformDependable[] = [];
    if (rotated.length > 0) {
      grants.push(new IamRolePolicy(this, "secrets-policy", {
        name: "rotate-user-secrets",
        role: role.name,
        policy: renderPolicy(secretStatements(byPrefix ? [secretPrefixPattern(scopeFacts)] : rotated.map((u) => u.secretArn), users.master.secretArn, [users.master.kmsKeyArn, ...rotated.map((u) => u.kmsKeyArn)], props.region)),
      }));
    }
    // The proxy check logs in as each user the way its clients do: IAM users with a token. One policy for
    // all of them (not proxy.grantConnect per user): a role's inline policies share one 10,240-character quota.
    if (proxyIamUsers.length > 0) {
      grants.push(attachGrant("connect-users-via-proxy", role, [{
        sid: "CheckUsersThroughProxy", actions: ["rds-db:connect"],
        resources: proxyIamUsers.map((name) => dbUserArn(role, `proxy-check-${name}`, proxy.arn, proxy.resourceId, name)),
      }]));
    }

    const fn = new LambdaFunction(this, "function", {
      functionName: props.functionName,
      description: "dbstack rotation: Secrets Manager's four steps for the application users' passwords",
      role: role.arn,
      runtime: LAMBDA_RUNTIME,
      ...bundledCode(this, "db-rotate"),
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

    // One permission per secret (a permission names one source ARN); past Lambda's policy quota, one for the secrets' name prefix.
    const permit = (id: string, sourceArn: string) => new LambdaPermission(this, `invoke-${id}`, {
      statementId: permissionId(id),
      action: "lambda:InvokeFunction",
      functionName: fn.functionName,
      principal: "secretsmanager.amazonaws.com",
      sourceAccount: props.account,
      sourceArn,
    });
    const permissions = byPrefix ? (rotated.length > 0 ? [permit("users", secretPrefixPattern(scopeFacts))] : []) : rotated.map((user) => permit(user.name, user.secretArn));

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
          dependsOn: [permissions[byPrefix ? 0 : i]!, ...(props.after ?? [])],
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
