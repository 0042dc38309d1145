/**
 * Every AWS name dbstack derives from `app` and `name` (and account, region, users, parameters), computed
 * once, here, exactly as the constructs build them, and each checked against its own service's rules, so a
 * name AWS would refuse fails at synth instead of half-way through an apply.
 */
import { Problems } from "./validation.ts";

// ---------------------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------------------

/** What the names depend on besides app and name. */
export interface NameInputs {
  readonly app: string;
  readonly name: string;
  readonly account: string;
  readonly region: string;
  readonly partition: string;
  readonly database: {
    readonly cluster: boolean;
    readonly readers: number;
    readonly logExports: readonly string[];
    readonly instanceParameterGroup: boolean;
    /** Appended to parameter group names for a family other than the original major's ("-aurora-postgresql17"). */
    readonly parameterGroupNameSuffix: string;
    readonly finalSnapshot: boolean;
    readonly monitoring: boolean;
  };
  /** Application users, each with a secret and an SSM parameter for its ARN. */
  readonly users: readonly string[];
  readonly network: { readonly sharedProxyAndDatabaseGroup: boolean; readonly endpoints: boolean };
  /** A READ_ONLY proxy endpoint exists (Aurora with readers). */
  readonly readOnlyEndpoint: boolean;
  /** Names of the extra SSM parameters (`parameters`), relative to the tree. */
  readonly additionalParameters: readonly string[];
  readonly clients: {
    /** Services by name; a `legacyNames` service keeps the family "<app>-<name>". */
    readonly services: readonly { readonly name: string; readonly legacyNames: boolean }[];
    /** Functions by name ("<app>-<name>-<function>"). */
    readonly functions: readonly string[];
    readonly migrations: boolean;
    readonly pipeline: boolean;
  };
  /** The setup function runs on deploy. */
  readonly setup: boolean;
}

/**
 * The AWS names of one environment. The first field of each group is what its construct receives as a prop
 * (see each doc); the rest is what the construct derives from it, listed so each is checked once.
 */
export interface EnvironmentNames {
  /** "<app>-<name>": `Network.namePrefix`, `Migrations.name`, and the start of most other names. */
  readonly prefix: string;
  readonly kms: {
    /** `EnvironmentKey.alias` (without "alias/"). */
    readonly alias: string;
    /** The KMS alias name, "alias/<prefix>". */
    readonly aliasName: string;
  };
  readonly network: {
    /** DB subnet group "<prefix>-database". */
    readonly dbSubnetGroup: string;
    /** Security groups by role: database-clients, proxy (unless shared), database, endpoints (with endpoint egress). */
    readonly securityGroups: Readonly<Record<string, string>>;
  };
  readonly database: {
    /** `Database.identifier`: the cluster or instance identifier. */
    readonly identifier: string;
    /** Cluster instances "<identifier>-<n>" (writer first), or the instance itself. */
    readonly instances: readonly string[];
    readonly parameterGroups: readonly string[];
    readonly finalSnapshot?: string;
    readonly monitoringRole?: string;
    /** "/aws/rds/{cluster|instance}/<identifier>/<log type>". */
    readonly logGroups: readonly string[];
  };
  readonly proxy: {
    /** `DatabaseProxy.name`. */
    readonly name: string;
    readonly readOnlyEndpoint?: string;
    readonly role: string;
    readonly logGroup: string;
  };
  readonly secrets: {
    /** `DatabaseUsers.secretPrefix`: "<app>/<name>/database". */
    readonly prefix: string;
    /** Secret name of each application user. */
    readonly users: Readonly<Record<string, string>>;
  };
  readonly parameters: {
    /** `DatabaseParameters.path`: "/<app>/<name>/database". */
    readonly path: string;
    /** Every parameter's full name, dbstack's own and the extra ones. */
    readonly names: readonly string[];
  };
  /** Each service's names, by service name. */
  readonly services: Readonly<Record<string, {
    /** `ServiceTaskDefinition.family`: "<prefix>-<service>", or "<prefix>" for the `legacyNames` service. */
    readonly family: string;
    readonly logGroup: string;
    readonly executionRole: string;
    readonly taskRole: string;
  }>>;
  readonly setup?: {
    /** `DatabaseSetup.functionName`: "<prefix>-db-setup". */
    readonly functionName: string;
    readonly logGroup: string;
    readonly role: string;
  };
  /** The rotation function, which exists with the setup function (modules/rotation.ts). */
  readonly rotation?: {
    /** `DatabaseRotation.functionName`: "<prefix>-db-rotate". */
    readonly functionName: string;
    readonly logGroup: string;
    readonly role: string;
  };
  /** Each function's names, by function name. */
  readonly functions: Readonly<Record<string, {
    /** `LambdaClient.name`: "<prefix>-<function>" (the single client of old was "db-check"). */
    readonly functionName: string;
    readonly logGroup: string;
    readonly role: string;
  }>>;
  readonly migrations?: {
    /** `Migrations.name` (the name prefix of everything below). */
    readonly namePrefix: string;
    readonly project: string;
    readonly projectRole: string;
    readonly projectLogGroup: string;
    readonly pipeline?: {
      readonly name: string;
      readonly role: string;
      readonly renderProject: string;
      readonly renderProjectRole: string;
      readonly renderProjectLogGroup: string;
      readonly artifactsBucket: string;
    };
  };
  readonly monitoring: {
    /** `NotificationTopic.name`: "<prefix>-alarms" (not created when an existing topic ARN is configured). */
    readonly topic: string;
    /** `DataPathDashboard.name`: "<prefix>-data-path". */
    readonly dashboard: string;
    /** `PathAlarms.namePrefix`: each alarm is "<prefix>-<alarm key>". */
    readonly alarmPrefix: string;
    /** RDS event subscriptions: "<prefix>-{cluster,instance,proxy}-events". */
    readonly eventSubscriptions: readonly string[];
  };
}

/** The names, built exactly as the constructs build them today. */
export function deriveNames(i: NameInputs): EnvironmentNames {
  const prefix = `${i.app}-${i.name}`;
  const id = prefix;
  const kind = i.database.cluster ? "cluster" : "instance";
  const treePath = `/${i.app}/${i.name}/database`;
  const secretPrefix = `${i.app}/${i.name}/database`;
  const ownParameters = ["host", ...(i.readOnlyEndpoint ? ["reader-host"] : []), "port", "name", "engine", ...i.users.map((u) => `user-secret-arn/${u}`)];
  const codebuild = (key: string) => ({ project: `${prefix}-${key}`, role: `${prefix}-${key}-codebuild`, logGroup: `/aws/codebuild/${prefix}-${key}` });
  const migrate = codebuild("migrate");
  const render = codebuild("render");
  const service = (family: string) => ({ family, logGroup: `/ecs/${family}`, executionRole: `${family}-ecs-execution`, taskRole: `${family}-ecs-task` });
  const lambda = (functionName: string) => ({ functionName, logGroup: `/aws/lambda/${functionName}`, role: `${functionName}-lambda` });
  return {
    prefix,
    kms: { alias: prefix, aliasName: `alias/${prefix}` },
    network: {
      dbSubnetGroup: `${prefix}-database`,
      securityGroups: {
        "database-clients": `${prefix}-database-clients`,
        ...(i.network.sharedProxyAndDatabaseGroup ? {} : { proxy: `${prefix}-proxy` }),
        database: `${prefix}-database`,
        ...(i.network.endpoints ? { endpoints: `${prefix}-endpoints` } : {}),
        ...(i.setup ? { "database-setup": `${prefix}-database-setup` } : {}),
      },
    },
    database: {
      identifier: id,
      instances: i.database.cluster ? Array.from({ length: i.database.readers + 1 }, (_, n) => `${id}-${n + 1}`) : [id],
      parameterGroups: (i.database.cluster ? [`${id}-cluster`, ...(i.database.instanceParameterGroup ? [`${id}-instance`] : [])] : [id])
        .map((name) => `${name}${i.database.parameterGroupNameSuffix}`),
      ...(i.database.finalSnapshot ? { finalSnapshot: `${id}-final` } : {}),
      ...(i.database.monitoring ? { monitoringRole: `${id}-monitoring` } : {}),
      logGroups: i.database.logExports.map((type) => `/aws/rds/${kind}/${id}/${type}`),
    },
    proxy: {
      name: prefix,
      ...(i.readOnlyEndpoint ? { readOnlyEndpoint: `${prefix}-ro` } : {}),
      role: `${prefix}-proxy`,
      logGroup: `/aws/rds/proxy/${prefix}`,
    },
    secrets: { prefix: secretPrefix, users: Object.fromEntries(i.users.map((u) => [u, `${secretPrefix}/${u}`])) },
    parameters: { path: treePath, names: [...ownParameters, ...i.additionalParameters].map((n) => `${treePath}/${n}`) },
    services: Object.fromEntries(i.clients.services.map((s) => [s.name, service(s.legacyNames ? prefix : `${prefix}-${s.name}`)])),
    functions: Object.fromEntries(i.clients.functions.map((name) => [name, lambda(`${prefix}-${name}`)])),
    ...(i.setup ? { setup: { functionName: `${prefix}-db-setup`, logGroup: `/aws/lambda/${prefix}-db-setup`, role: `${prefix}-db-setup-lambda` } } : {}),
    ...(i.setup ? { rotation: { functionName: `${prefix}-db-rotate`, logGroup: `/aws/lambda/${prefix}-db-rotate`, role: `${prefix}-db-rotate-lambda` } } : {}),
    ...(i.clients.migrations ? {
      migrations: {
        namePrefix: prefix,
        project: migrate.project,
        projectRole: migrate.role,
        projectLogGroup: migrate.logGroup,
        ...(i.clients.pipeline ? {
          pipeline: {
            name: `${prefix}-deploy`,
            role: `${prefix}-pipeline`,
            renderProject: render.project,
            renderProjectRole: render.role,
            renderProjectLogGroup: render.logGroup,
            artifactsBucket: `${prefix}-pipeline-${i.account}-${i.region}`,
          },
        } : {}),
      },
    } : {}),
    monitoring: {
      topic: `${prefix}-alarms`,
      dashboard: `${prefix}-data-path`,
      alarmPrefix: prefix,
      eventSubscriptions: [...(i.database.cluster ? ["cluster"] : []), "instance", "proxy"].map((source) => `${prefix}-${source}-events`),
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Rules, one per kind of name
// ---------------------------------------------------------------------------------------------------------

/** Returns what is wrong with a name, or undefined. */
type NameRule = (value: string) => string | undefined;

const lengthAndPattern = (max: number, pattern: RegExp, what: string, min = 1): NameRule => (v) =>
  v.length < min || v.length > max ? `must be ${min}..${max} characters (it is ${v.length}) ${what}`
    : !pattern.test(v) ? `must be ${what}` : undefined;

/** RDS cluster, instance and proxy identifiers, parameter groups, snapshots: a letter first, no "--", no trailing "-". */
const rdsIdentifier = (max: number, source: string): NameRule => (v) => {
  if (v.length < 1 || v.length > max) return `must be 1..${max} characters (it is ${v.length}) (${source})`;
  if (!/^[A-Za-z][A-Za-z0-9-]*$/.test(v) || v.includes("--") || v.endsWith("-")) {
    return `must be letters, digits and hyphens, starting with a letter, without "--" or a trailing hyphen (${source})`;
  }
  return undefined;
};

const S3_PREFIXES = ["xn--", "sthree-", "amzn-s3-demo-"];
const S3_SUFFIXES = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];

/** Amazon S3 general purpose bucket names. */
export const s3BucketName: NameRule = (v) => {
  const source = "Amazon S3 User Guide, General purpose bucket naming rules";
  if (v.length < 3 || v.length > 63) return `must be 3..63 characters (it is ${v.length}) (${source})`;
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(v) || v.includes("..")) {
    return `must be lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit, without ".." (${source})`;
  }
  if (/^\d{1,3}(?:\.\d{1,3}){3}$/.test(v)) return `must not look like an IP address (${source})`;
  const prefix = S3_PREFIXES.find((p) => v.startsWith(p));
  if (prefix) return `must not start with "${prefix}", a prefix S3 reserves (${source})`;
  const suffix = S3_SUFFIXES.find((s) => v.endsWith(s));
  if (suffix) return `must not end with "${suffix}", a suffix S3 reserves (${source})`;
  return undefined;
};

/** CloudWatch alarm names: 1..255 characters, no control characters (PutMetricAlarm AlarmName). */
export function cloudwatchAlarmName(v: string): string | undefined {
  return lengthAndPattern(255, /^[\x20-\x7e]+$/, "printable ASCII characters (Amazon CloudWatch API Reference, PutMetricAlarm AlarmName)")(v);
}

/** The longest alarm key dbstack appends to `monitoring.alarmPrefix` (modules/monitoring/alarms.ts). */
export const LONGEST_ALARM_KEY = "proxy-target-unavailable-read-write";

const RULES = {
  kmsAlias: ((v) => v.startsWith("alias/aws/") ? 'must not start with "alias/aws/", which AWS reserves (AWS KMS API Reference, CreateAlias)'
    : lengthAndPattern(256, /^alias\/[a-zA-Z0-9/_-]+$/, '"alias/" then letters, digits, /, _ and - (AWS KMS API Reference, CreateAlias)')(v)) as NameRule,
  dbSubnetGroup: ((v) => v.toLowerCase() === "default" ? 'must not be "default" (Amazon RDS API Reference, CreateDBSubnetGroup)'
    : lengthAndPattern(255, /^[A-Za-z0-9._ -]+$/, "letters, digits, periods, underscores, spaces and hyphens (Amazon RDS API Reference, CreateDBSubnetGroup)")(v)) as NameRule,
  securityGroup: ((v) => /^sg-/i.test(v) ? 'must not start with "sg-" (Amazon EC2 API Reference, CreateSecurityGroup GroupName)'
    : lengthAndPattern(255, /^[A-Za-z0-9 ._\-:/()#,@[\]+=&;{}!$*]+$/, "letters, digits, spaces and ._-:/()#,@[]+=&;{}!$* (Amazon EC2 API Reference, CreateSecurityGroup GroupName)")(v)) as NameRule,
  rdsIdentifier: rdsIdentifier(63, "Amazon RDS API Reference, CreateDBCluster/CreateDBInstance identifiers"),
  parameterGroup: rdsIdentifier(255, "Amazon RDS API Reference, CreateDBParameterGroup/CreateDBClusterParameterGroup"),
  snapshot: rdsIdentifier(255, "Amazon RDS API Reference, FinalDBSnapshotIdentifier"),
  proxy: rdsIdentifier(63, "Amazon RDS API Reference, CreateDBProxy DBProxyName / CreateDBProxyEndpoint"),
  iamRole: lengthAndPattern(64, /^[\w+=,.@-]+$/, "letters, digits and +=,.@_- (IAM User Guide, IAM object quotas: role names)"),
  logGroup: ((v) => /^aws\//.test(v) ? 'must not start with "aws/" (Amazon CloudWatch Logs API Reference, CreateLogGroup)'
    : lengthAndPattern(512, /^[.\-_/#A-Za-z0-9]+$/, "letters, digits and ._-/# (Amazon CloudWatch Logs API Reference, CreateLogGroup)")(v)) as NameRule,
  secret: lengthAndPattern(512, /^[A-Za-z0-9/_+=.@-]+$/, "letters, digits and /_+=.@- (AWS Secrets Manager API Reference, CreateSecret Name)"),
  taskFamily: lengthAndPattern(255, /^[A-Za-z0-9_-]+$/, "letters, digits, underscores and hyphens (Amazon ECS API Reference, RegisterTaskDefinition family)"),
  lambdaFunction: lengthAndPattern(64, /^[A-Za-z0-9_-]+$/, "letters, digits, hyphens and underscores (AWS Lambda API Reference, CreateFunction FunctionName)"),
  codebuildProject: lengthAndPattern(255, /^[A-Za-z0-9][A-Za-z0-9_-]+$/, "a letter or digit, then letters, digits, _ and - (AWS CodeBuild API Reference, CreateProject name)", 2),
  pipeline: lengthAndPattern(100, /^[A-Za-z0-9.@_-]+$/, "letters, digits and .@_- (AWS CodePipeline User Guide, Quotas: pipeline names)"),
  s3Bucket: s3BucketName,
  snsTopic: lengthAndPattern(256, /^[A-Za-z0-9_-]+$/, "letters, digits, hyphens and underscores (Amazon SNS API Reference, CreateTopic Name)"),
  dashboard: lengthAndPattern(255, /^[A-Za-z0-9_-]+$/, "letters, digits, hyphens and underscores (Amazon CloudWatch API Reference, PutDashboard DashboardName)"),
  eventSubscription: lengthAndPattern(254, /^[A-Za-z][A-Za-z0-9-]*$/, "a letter, then letters, digits and hyphens, under 255 characters (Amazon RDS API Reference, CreateEventSubscription SubscriptionName)"),
  alarm: cloudwatchAlarmName,
} satisfies Record<string, NameRule>;

/**
 * The names that share one namespace in AWS (an account's IAM roles, a region's log groups, Lambda
 * functions, task families), each with the paths it is derived at: clients whose names collide after
 * derivation (a function "db-setup" and the setup function) would fight over one resource.
 */
function namesByKind(names: EnvironmentNames): Record<string, Map<string, string[]>> {
  const kinds: Record<string, Map<string, string[]>> = { "IAM role": new Map(), "log group": new Map(), "Lambda function": new Map(), "task definition family": new Map() };
  const add = (kind: string, path: string, value: string | undefined) => {
    if (value === undefined) return;
    const map = kinds[kind]!;
    map.set(value, [...(map.get(value) ?? []), path]);
  };
  add("IAM role", "proxy.role", names.proxy.role);
  add("IAM role", "database.monitoringRole", names.database.monitoringRole);
  add("log group", "proxy.logGroup", names.proxy.logGroup);
  if (names.setup) {
    add("Lambda function", "setup.functionName", names.setup.functionName);
    add("IAM role", "setup.role", names.setup.role);
    add("log group", "setup.logGroup", names.setup.logGroup);
  }
  for (const [name, s] of Object.entries(names.services)) {
    add("task definition family", `services.${name}.family`, s.family);
    add("log group", `services.${name}.logGroup`, s.logGroup);
    add("IAM role", `services.${name}.executionRole`, s.executionRole);
    add("IAM role", `services.${name}.taskRole`, s.taskRole);
  }
  for (const [name, f] of Object.entries(names.functions)) {
    add("Lambda function", `functions.${name}.functionName`, f.functionName);
    add("log group", `functions.${name}.logGroup`, f.logGroup);
    add("IAM role", `functions.${name}.role`, f.role);
  }
  if (names.migrations) {
    const m = names.migrations;
    add("IAM role", "migrations.projectRole", m.projectRole);
    add("log group", "migrations.projectLogGroup", m.projectLogGroup);
    if (m.pipeline) {
      add("IAM role", "migrations.pipeline.role", m.pipeline.role);
      add("IAM role", "migrations.pipeline.renderProjectRole", m.pipeline.renderProjectRole);
      add("log group", "migrations.pipeline.renderProjectLogGroup", m.pipeline.renderProjectLogGroup);
    }
  }
  return kinds;
}

/** Parameter Store's limits on a full parameter name. */
export const SSM_MAX_DEPTH = 15;
export const SSM_MAX_ARN_LENGTH = 1011;
const SSM_SOURCE = "AWS Systems Manager User Guide, Parameter Store: requirements and constraints for parameter names";

/** What is wrong with a full SSM parameter name ("/a/b/c") in this account and region, or undefined. */
export function ssmParameterNameProblem(fullName: string, arnPrefix: string): string | undefined {
  const segments = fullName.split("/").slice(1);
  if (!/^(?:\/[A-Za-z0-9_.-]+)+$/.test(fullName)) return `must be "/"-separated parts of letters, digits and _.- (${SSM_SOURCE})`;
  if (/^(?:aws|ssm)/i.test(segments[0]!)) return `must not start with "aws" or "ssm", which Parameter Store reserves (${SSM_SOURCE})`;
  if (segments.length > SSM_MAX_DEPTH) return `must be at most ${SSM_MAX_DEPTH} levels deep (it is ${segments.length}) (${SSM_SOURCE})`;
  const arnLength = arnPrefix.length + fullName.length;
  if (arnLength > SSM_MAX_ARN_LENGTH) return `must be at most ${SSM_MAX_ARN_LENGTH} characters counting its ARN (it is ${arnLength}) (${SSM_SOURCE})`;
  return undefined;
}

/** "arn:<partition>:ssm:<region>:<account>:parameter", to which a full name starting with "/" is appended. */
export function ssmArnPrefix(partition: string, region: string, account: string): string {
  return `arn:${partition}:ssm:${region}:${account}:parameter`;
}

// ---------------------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------------------

/**
 * Records every derived name its service would refuse, at `names.<group>.<name>`, saying which settings
 * it comes from. Extra SSM parameters are reported at their own setting (`parameters.<name>`).
 */
export function validateNames(names: EnvironmentNames, context: { partition: string; region: string; account: string; additionalParameters: readonly string[] }, problems: Problems): void {
  const from = "; it is derived from app and name: shorten them";
  const check = (path: string, value: string | undefined, rule: NameRule, origin = from) => {
    if (value === undefined) return;
    const wrong = rule(value);
    if (wrong) problems.add(`names.${path}`, value, `${wrong}${origin}`);
  };
  check("kms.aliasName", names.kms.aliasName, RULES.kmsAlias);
  check("network.dbSubnetGroup", names.network.dbSubnetGroup, RULES.dbSubnetGroup);
  for (const [role, name] of Object.entries(names.network.securityGroups)) check(`network.securityGroups.${role}`, name, RULES.securityGroup);
  check("database.identifier", names.database.identifier, RULES.rdsIdentifier);
  names.database.instances.forEach((n, i) => check(`database.instances[${i}]`, n, RULES.rdsIdentifier));
  names.database.parameterGroups.forEach((n, i) => check(`database.parameterGroups[${i}]`, n, RULES.parameterGroup));
  check("database.finalSnapshot", names.database.finalSnapshot, RULES.snapshot);
  check("database.monitoringRole", names.database.monitoringRole, RULES.iamRole);
  names.database.logGroups.forEach((n, i) => check(`database.logGroups[${i}]`, n, RULES.logGroup));
  check("proxy.name", names.proxy.name, RULES.proxy);
  check("proxy.readOnlyEndpoint", names.proxy.readOnlyEndpoint, RULES.proxy);
  check("proxy.role", names.proxy.role, RULES.iamRole);
  check("proxy.logGroup", names.proxy.logGroup, RULES.logGroup);
  for (const [user, name] of Object.entries(names.secrets.users)) check(`secrets.users.${user}`, name, RULES.secret, "; it is derived from app, name and the user name");
  const fromClient = "; it is derived from app, name and the client's name: shorten them";
  for (const [name, s] of Object.entries(names.services)) {
    check(`services.${name}.family`, s.family, RULES.taskFamily, fromClient);
    check(`services.${name}.logGroup`, s.logGroup, RULES.logGroup, fromClient);
    check(`services.${name}.executionRole`, s.executionRole, RULES.iamRole, fromClient);
    check(`services.${name}.taskRole`, s.taskRole, RULES.iamRole, fromClient);
  }
  if (names.rotation) {
    check("rotation.functionName", names.rotation.functionName, RULES.lambdaFunction);
    check("rotation.logGroup", names.rotation.logGroup, RULES.logGroup);
    check("rotation.role", names.rotation.role, RULES.iamRole);
  }
  if (names.setup) {
    check("setup.functionName", names.setup.functionName, RULES.lambdaFunction);
    check("setup.logGroup", names.setup.logGroup, RULES.logGroup);
    check("setup.role", names.setup.role, RULES.iamRole);
  }
  for (const [name, f] of Object.entries(names.functions)) {
    check(`functions.${name}.functionName`, f.functionName, RULES.lambdaFunction, fromClient);
    check(`functions.${name}.logGroup`, f.logGroup, RULES.logGroup, fromClient);
    check(`functions.${name}.role`, f.role, RULES.iamRole, fromClient);
  }
  if (names.migrations) {
    const m = names.migrations;
    check("migrations.project", m.project, RULES.codebuildProject);
    check("migrations.projectRole", m.projectRole, RULES.iamRole);
    check("migrations.projectLogGroup", m.projectLogGroup, RULES.logGroup);
    if (m.pipeline) {
      check("migrations.pipeline.name", m.pipeline.name, RULES.pipeline);
      check("migrations.pipeline.role", m.pipeline.role, RULES.iamRole);
      check("migrations.pipeline.renderProject", m.pipeline.renderProject, RULES.codebuildProject);
      check("migrations.pipeline.renderProjectRole", m.pipeline.renderProjectRole, RULES.iamRole);
      check("migrations.pipeline.renderProjectLogGroup", m.pipeline.renderProjectLogGroup, RULES.logGroup);
      check("migrations.pipeline.artifactsBucket", m.pipeline.artifactsBucket, RULES.s3Bucket, "; it is derived from app, name, account and region: shorten app or name");
    }
  }

  for (const [kind, byName] of Object.entries(namesByKind(names))) {
    for (const [value, paths] of byName) {
      if (paths.length > 1) problems.add(`names.${paths[1]}`, value, `must be unique, but names.${paths[0]} is the same ${kind}: rename one of the clients`);
    }
  }
  check("monitoring.topic", names.monitoring.topic, RULES.snsTopic);
  check("monitoring.dashboard", names.monitoring.dashboard, RULES.dashboard);
  check("monitoring.alarmPrefix", `${names.monitoring.alarmPrefix}-${LONGEST_ALARM_KEY}`, RULES.alarm);
  names.monitoring.eventSubscriptions.forEach((n, i) => check(`monitoring.eventSubscriptions[${i}]`, n, RULES.eventSubscription));

  // SSM: dbstack's own parameters depend on app, name and the user names; extra ones are their own setting.
  const arnPrefix = ssmArnPrefix(context.partition, context.region, context.account);
  const additional = new Set(context.additionalParameters.map((n) => `${names.parameters.path}/${n}`));
  for (const fullName of names.parameters.names) {
    const wrong = ssmParameterNameProblem(fullName, arnPrefix);
    if (!wrong) continue;
    const relative = fullName.slice(names.parameters.path.length + 1);
    if (additional.has(fullName)) problems.add(`parameters.${relative}`, fullName, wrong);
    else problems.add(`names.parameters.${relative}`, fullName, `${wrong}; it is derived from app, name and the user names`);
  }
}
