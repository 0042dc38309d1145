import { Construct } from "constructs";
import { Fn, TerraformStack, type ITerraformDependable } from "cdktf";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group/index.js";
import { DbProxy } from "@cdktf/provider-aws/lib/db-proxy/index.js";
import { DbProxyDefaultTargetGroup } from "@cdktf/provider-aws/lib/db-proxy-default-target-group/index.js";
import { DbProxyEndpoint } from "@cdktf/provider-aws/lib/db-proxy-endpoint/index.js";
import { DbProxyTarget } from "@cdktf/provider-aws/lib/db-proxy-target/index.js";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role/index.js";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy/index.js";
import { LOG_RETENTION_DAYS } from "./aws-regions.ts";
import type { Database } from "./database.ts";
import type { EngineFamily } from "./database-engines.ts";
import { attachGrant, decryptViaSecretsManager, dbUserArn, renderPolicy, serviceTrustPolicy, type Grantee } from "./iam.ts";
import type { Network } from "./network.ts";
import { servedByProxy, type DatabaseUser, type DatabaseUsers, type UserAuth } from "./users.ts";
import { ProxyMetrics } from "./monitoring/metrics.ts";
import { Problems, isRecord } from "./validation.ts";

// ---------------------------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------------------------

/** How the proxy checks client passwords, per engine family. */
export const CLIENT_PASSWORD_AUTH_TYPES: Record<EngineFamily, readonly string[]> = {
  POSTGRESQL: ["POSTGRES_SCRAM_SHA_256", "POSTGRES_MD5"],
  MYSQL: ["MYSQL_NATIVE_PASSWORD", "MYSQL_CACHING_SHA2_PASSWORD"],
};

/** Proxy behaviour an environment configures; every setting is optional. */
export interface ProxySettingsInput {
  /**
   * Refuse clients that do not use TLS. Cannot be turned off in production.
   * @default true
   */
  readonly requireTls?: boolean;
  /**
   * Seconds a client connection may sit idle before the proxy closes it, 1..28800. Keep clients' own
   * idle timeouts below it.
   * @default 1800
   */
  readonly idleClientTimeoutSeconds?: number;
  /**
   * Logs SQL statements and their results: refused in production, where they may hold personal data.
   * @default false
   */
  readonly debugLogging?: boolean;
  /**
   * Client password hashing for `password` users: POSTGRES_SCRAM_SHA_256 or POSTGRES_MD5 (PostgreSQL),
   * MYSQL_NATIVE_PASSWORD or MYSQL_CACHING_SHA2_PASSWORD (MySQL).
   * @default POSTGRES_SCRAM_SHA_256 for PostgreSQL, MYSQL_NATIVE_PASSWORD for MySQL
   */
  readonly clientPasswordAuthType?: string;
  /** How clients authenticate as the master user. @default "iam" */
  readonly masterAuth?: "iam" | "password";
  readonly pool?: {
    /** Seconds a client waits for a pooled connection, 0..3600 (0 = fail at once). @default 120 */
    readonly borrowTimeoutSeconds?: number;
    /** Share of the database's max_connections the proxy may open, 1..100. @default 100 */
    readonly maxConnectionsPercent?: number;
    /** Share it may keep idle, 0..maxConnectionsPercent. @default 50 */
    readonly maxIdleConnectionsPercent?: number;
    /**
     * SQL run on every new database connection (e.g. "SET TIME ZONE 'UTC'"). Stored in plain text in the
     * proxy's configuration: never put a secret in it.
     * @default none
     */
    readonly initQuery?: string;
    /** MySQL only: ["EXCLUDE_VARIABLE_SETS"] stops SET statements from pinning sessions. @default none */
    readonly sessionPinningFilters?: readonly string[];
  };
  /** Retention of /aws/rds/proxy/<name>, a CloudWatch Logs value. @default 365 in production, 30 elsewhere */
  readonly logRetentionDays?: number;
}

export interface ProxySettings {
  readonly requireTls: boolean;
  readonly idleClientTimeoutSeconds: number;
  readonly debugLogging: boolean;
  readonly clientPasswordAuthType: string;
  readonly masterAuth: "iam" | "password";
  readonly pool: {
    readonly borrowTimeoutSeconds: number;
    readonly maxConnectionsPercent: number;
    readonly maxIdleConnectionsPercent: number;
    readonly initQuery?: string;
    readonly sessionPinningFilters: readonly string[];
  };
  readonly logRetentionDays: number;
}

const SECRET_LOOKING_SQL = /password|identified\s+by|secret|token/i;

export function resolveProxySettings(input: ProxySettingsInput, family: EngineFamily, production: boolean): ProxySettings {
  const pool = input.pool ?? {};
  return {
    requireTls: input.requireTls ?? true,
    idleClientTimeoutSeconds: input.idleClientTimeoutSeconds ?? 1800,
    debugLogging: input.debugLogging ?? false,
    clientPasswordAuthType: input.clientPasswordAuthType ?? CLIENT_PASSWORD_AUTH_TYPES[family][0]!,
    masterAuth: input.masterAuth ?? "iam",
    pool: {
      borrowTimeoutSeconds: pool.borrowTimeoutSeconds ?? 120,
      maxConnectionsPercent: pool.maxConnectionsPercent ?? 100,
      maxIdleConnectionsPercent: pool.maxIdleConnectionsPercent ?? Math.min(50, pool.maxConnectionsPercent ?? 100),
      ...(pool.initQuery !== undefined ? { initQuery: pool.initQuery } : {}),
      sessionPinningFilters: [...(pool.sessionPinningFilters ?? [])],
    },
    logRetentionDays: input.logRetentionDays ?? (production ? 365 : 30),
  };
}

/** Every way RDS (or, with `production`, dbstack's production rules) would refuse the settings. */
export function validateProxySettings(input: ProxySettingsInput, family: EngineFamily, production: boolean, problems: Problems): void {
  if (!problems.check(isRecord(input), "", input, "must be an object of proxy settings")) return;
  problems.booleans({ requireTls: input.requireTls, debugLogging: input.debugLogging });
  if (input.requireTls !== undefined) {
    problems.check(!production || input.requireTls, "requireTls", input.requireTls, "must be true in production");
  }
  if (input.idleClientTimeoutSeconds !== undefined) problems.integer("idleClientTimeoutSeconds", input.idleClientTimeoutSeconds, 1, 28800);
  if (input.debugLogging !== undefined) {
    problems.check(!production || !input.debugLogging, "debugLogging", input.debugLogging, "must be false in production: debug logs hold SQL text and results");
  }
  if (input.clientPasswordAuthType !== undefined) problems.oneOf("clientPasswordAuthType", input.clientPasswordAuthType, CLIENT_PASSWORD_AUTH_TYPES[family]);
  if (input.masterAuth !== undefined) problems.oneOf("masterAuth", input.masterAuth, ["iam", "password"]);
  if (input.logRetentionDays !== undefined) problems.oneOf("logRetentionDays", input.logRetentionDays, LOG_RETENTION_DAYS);

  const pool = input.pool ?? {};
  if (!problems.check(isRecord(pool), "pool", pool, "must be an object of pool settings")) return;
  if (pool.borrowTimeoutSeconds !== undefined) problems.integer("pool.borrowTimeoutSeconds", pool.borrowTimeoutSeconds, 0, 3600);
  const maxOk = pool.maxConnectionsPercent === undefined || problems.integer("pool.maxConnectionsPercent", pool.maxConnectionsPercent, 1, 100);
  if (pool.maxIdleConnectionsPercent !== undefined && problems.integer("pool.maxIdleConnectionsPercent", pool.maxIdleConnectionsPercent, 0, 100) && maxOk) {
    const max = pool.maxConnectionsPercent ?? 100;
    problems.check(pool.maxIdleConnectionsPercent <= max, "pool.maxIdleConnectionsPercent", pool.maxIdleConnectionsPercent,
      `must not exceed pool.maxConnectionsPercent (${max})`);
  }
  if (pool.initQuery !== undefined) {
    if (problems.check(typeof pool.initQuery === "string" && pool.initQuery.trim().length > 0, "pool.initQuery", pool.initQuery, "must be non-empty SQL when set")) {
      problems.check(!SECRET_LOOKING_SQL.test(pool.initQuery), "pool.initQuery", "(redacted)",
        "must not mention passwords, secrets or tokens: the proxy stores it in plain text");
    }
  }
  if (pool.sessionPinningFilters !== undefined && problems.check(Array.isArray(pool.sessionPinningFilters), "pool.sessionPinningFilters", pool.sessionPinningFilters, "must be a list")) {
    if (family === "POSTGRESQL") {
      problems.check(pool.sessionPinningFilters.length === 0, "pool.sessionPinningFilters", pool.sessionPinningFilters, "applies to MySQL only");
    } else {
      pool.sessionPinningFilters.forEach((f, i) => problems.oneOf(`pool.sessionPinningFilters[${i}]`, f, ["EXCLUDE_VARIABLE_SETS"]));
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Construct
// ---------------------------------------------------------------------------------------------------------

export interface DatabaseProxyProps {
  /** Proxy name, 1..63 letters, digits and hyphens, starting with a letter; also names its log group. */
  readonly name: string;
  readonly settings: ProxySettings;
  /** The target: an Aurora cluster or an RDS instance. The proxy's engine family is the database's. */
  readonly database: Database;
  /** Must be the network the database lives in: the proxy goes in its database subnets, with its proxy group. */
  readonly network: Network;
  /** One auth entry per user secret, plus the master secret. */
  readonly users: DatabaseUsers;
  readonly region: string;
  /** Encrypts the proxy's log group. */
  readonly kmsKeyArn: string;
  /**
   * The role the proxy assumes to read the secrets; it is given exactly that access either way.
   * @default - a role is created
   */
  readonly role?: IamRole;
  /**
   * A READ_ONLY endpoint that spreads reads over Aurora readers.
   * @default true when the database is an Aurora cluster with readers
   */
  readonly readOnlyEndpoint?: boolean;
}

const PROXY_NAME = /^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{0,62}$/;

/**
 * RDS Proxy in front of the database: TLS required, one auth entry per database user with IAM required
 * unless the user is a password user, a connection pool, a log group created first, a role that can read
 * exactly the auth secrets, and grants (`grantConnect`) built from the proxy's ARN without data sources.
 */
export class DatabaseProxy extends Construct {
  readonly name: string;
  readonly arn: string;
  readonly endpoint: string;
  /** The READ_ONLY endpoint, when there is one. */
  readonly readOnlyEndpoint?: string;
  /** "prx-…", the id rds-db:connect ARNs are built from. */
  readonly resourceId: string;
  readonly roleArn: string;
  readonly securityGroupId: string;
  readonly engineFamily: EngineFamily;
  /** How clients authenticate as each user the proxy serves. */
  readonly userAuth: ReadonlyMap<string, UserAuth>;
  /** What must exist before clients can connect: the target and the endpoints (for depends_on in this stack). */
  readonly registration: readonly ITerraformDependable[];
  private readonly users: DatabaseUsers;

  constructor(scope: Construct, id: string, props: DatabaseProxyProps) {
    super(scope, id);
    const s = props.settings;
    const family = props.database.engineFamily;
    const problems = new Problems();
    problems.matches("name", props.name, PROXY_NAME, "must be 1..63 letters, digits and hyphens, starting with a letter, without -- or a trailing hyphen");
    problems.check(!props.name.endsWith("-"), "name", props.name, "must not end with a hyphen");
    validateProxySettings(s, family, false, problems.at("settings"));
    problems.check(props.database.subnetGroupName === props.network.dbSubnetGroupName, "network", props.network.node.path,
      `must be the database's network: the proxy must sit in the database's VPC and subnets (${props.database.node.path} uses another subnet group)`);
    problems.throwIfAny(`DatabaseProxy ${id}`);

    this.engineFamily = family;
    this.users = props.users;
    this.userAuth = new Map([...props.users.all, props.users.master].filter((u) => servedByProxy(u.auth)).map((u) => [u.name, u.auth]));
    this.securityGroupId = props.network.proxySecurityGroupId;

    // ----- Log group: created first, so the proxy never writes to a group without retention or key.
    const logGroup = new CloudwatchLogGroup(this, "log-group", {
      name: `/aws/rds/proxy/${props.name}`,
      retentionInDays: s.logRetentionDays,
      kmsKeyId: props.kmsKeyArn,
    });

    // ----- IAM: read exactly the auth secrets, decrypt exactly their keys through Secrets Manager.
    const authUsers: DatabaseUser[] = [...props.users.all, props.users.master].filter((u) => servedByProxy(u.auth));
    const role = props.role ?? new IamRole(this, "role", {
      name: `${props.name}-proxy`,
      description: `RDS Proxy ${props.name}: reads the database users' secrets`,
      assumeRolePolicy: serviceTrustPolicy("rds.amazonaws.com"),
    });
    const secretsPolicy = new IamRolePolicy(this, "role-policy", {
      name: "read-database-user-secrets",
      role: role.name,
      policy: renderPolicy([
        { sid: "ReadDatabaseUserSecrets", actions: ["secretsmanager:GetSecretValue"], resources: authUsers.map((u) => u.secretArn) },
        decryptViaSecretsManager(authUsers.map((u) => u.kmsKeyArn), props.region),
      ]),
    });
    this.roleArn = role.arn;

    // ----- Proxy
    const proxy = new DbProxy(this, "proxy", {
      name: props.name,
      engineFamily: family,
      roleArn: role.arn,
      requireTls: s.requireTls,
      idleClientTimeout: s.idleClientTimeoutSeconds,
      debugLogging: s.debugLogging,
      vpcSubnetIds: props.network.databaseSubnetIds,
      vpcSecurityGroupIds: [props.network.proxySecurityGroupId],
      auth: authUsers.map((user) => ({
        authScheme: "SECRETS",
        description: user === props.users.master ? `${user.name} (master, administration)` : `${user.name} (${user.privileges})`,
        iamAuth: user.auth === "iam" ? "REQUIRED" : "DISABLED",
        clientPasswordAuthType: s.clientPasswordAuthType,
        secretArn: user.secretArn,
      })),
      dependsOn: [logGroup, secretsPolicy],
    });

    // ----- Target group and target: replaced with the proxy, or the new proxy would have neither.
    // A bare address: cdktf 0.21 renders a resource object here as "${…}", which Terraform rejects.
    const replacedWithProxy = { replaceTriggeredBy: [`${proxy.terraformResourceType}.${proxy.friendlyUniqueId}.id`] };
    const pool = s.pool;
    const targetGroup = new DbProxyDefaultTargetGroup(this, "target-group", {
      dbProxyName: proxy.name,
      connectionPoolConfig: {
        connectionBorrowTimeout: pool.borrowTimeoutSeconds,
        maxConnectionsPercent: pool.maxConnectionsPercent,
        maxIdleConnectionsPercent: pool.maxIdleConnectionsPercent,
        initQuery: pool.initQuery,
        sessionPinningFilters: pool.sessionPinningFilters.length > 0 ? [...pool.sessionPinningFilters] : undefined,
      },
      lifecycle: replacedWithProxy,
    });

    const instancesHere = props.database.instances.filter((instance) => TerraformStack.of(instance) === TerraformStack.of(this));
    const target = new DbProxyTarget(this, "target", {
      dbProxyName: proxy.name,
      targetGroupName: targetGroup.name,
      ...(props.database.isCluster ? { dbClusterIdentifier: props.database.identifier } : { dbInstanceIdentifier: props.database.identifier }),
      // A target registered before the instances exist stays unavailable until they do. In layered stacks
      // the database's stack is applied whole before this one, and cdktf cannot render a cross-stack
      // depends_on, so the dependency is only written within one stack.
      ...(instancesHere.length > 0 ? { dependsOn: instancesHere } : {}),
      lifecycle: replacedWithProxy,
    });

    // ----- Endpoints
    const registration: ITerraformDependable[] = [target];
    if (props.readOnlyEndpoint ?? props.database.hasReaders) {
      if (!props.database.isCluster) throw new Error(`DatabaseProxy ${id} readOnlyEndpoint: true — needs an Aurora cluster with readers`);
      const endpoint = new DbProxyEndpoint(this, "read-only-endpoint", {
        dbProxyName: proxy.name,
        dbProxyEndpointName: `${props.name}-ro`.slice(0, 63),
        vpcSubnetIds: props.network.databaseSubnetIds,
        vpcSecurityGroupIds: [props.network.proxySecurityGroupId],
        targetRole: "READ_ONLY",
      });
      registration.push(endpoint);
      this.readOnlyEndpoint = endpoint.endpoint;
    }
    this.registration = registration;

    this.name = proxy.name;
    this.arn = proxy.arn;
    this.endpoint = proxy.endpoint;
    this.resourceId = Fn.element(Fn.split(":", proxy.arn), 6);
  }

  /**
   * The proxy's CloudWatch metrics (`metricDatabaseConnections()`, `metricAvailabilityPercentage(role)`…).
   * Inside this stack the name is the proxy's own attribute; the monitoring layer builds the same metrics
   * from the derived name instead (modules/monitoring/metrics.ts).
   */
  metrics(): ProxyMetrics {
    return new ProxyMetrics(this.name);
  }

  /**
   * Lets `grantee` connect through the proxy as `dbUser` with an IAM token: `rds-db:connect` on
   * arn:<partition>:rds-db:<region>:<account>:dbuser:<prx-id>/<dbUser>, built from the proxy ARN.
   * The policy is written in the grantee's stack. Throws when the proxy has no auth entry for the user,
   * or the entry does not use IAM.
   */
  grantConnect(grantee: Grantee, dbUser: string): IamRolePolicy {
    const user = this.users.user(dbUser);
    if (user.auth === "direct-iam") {
      throw new Error(`DatabaseProxy grantConnect: user "${dbUser}" connects straight to the database (auth: "direct-iam"); the proxy does not serve it — use database.grantConnect`);
    }
    if (user.auth !== "iam") {
      throw new Error(`DatabaseProxy grantConnect: user "${dbUser}" authenticates to the proxy with a password (auth: "password"), not IAM; use grantReadSecret, or set auth: "iam"`);
    }
    const id = `connect-${dbUser}-via-proxy`;
    return attachGrant(id, grantee, [
      { sid: "ConnectThroughProxy", actions: ["rds-db:connect"], resources: [dbUserArn(grantee, id, this.arn, this.resourceId, dbUser)] },
    ]);
  }
}
