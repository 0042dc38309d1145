import { arnPlacementProblem, isKnownRegion, knownRegionsText, partitionOf, zonesOf } from "../modules/aws-regions.ts";
import { DEFAULT_MASTER_USERNAME, resolveDatabaseSettings, validateDatabaseSettings, type DatabaseSettings, type DatabaseSettingsInput } from "../modules/database-settings.ts";
import { engineFamilyOf, isAurora, DATABASE_ENGINES, LOG_EXPORTS } from "../modules/database-engines.ts";
import { validateReaderZones } from "../modules/reader-scaling.ts";
import { validateNetworkSettings, type NetworkSettings } from "../modules/network.ts";
import { resolveProxySettings, validateProxySettings, type ProxySettings, type ProxySettingsInput } from "../modules/proxy.ts";
import { validateUsers, type DatabaseUserSettings, type UserAuth, type UserPrivileges } from "../modules/users.ts";
import { validateEcsSettings, type EcsSettingsInput } from "../modules/ecs-taskdef.ts";
import { clientConstructId, validateClientName, validateLambdaSettings, type ClientKind, type LambdaClientSettingsInput } from "../modules/clients.ts";
import { validateMigrationSettings, type MigrationSettingsInput } from "../modules/migrations.ts";
import { resolveSetupSettings, validateSetupSettings, type SetupSettings, type SetupSettingsInput } from "../modules/setup.ts";
import { resolveRotationSettings, validateRotationScope, validateRotationSettings, type RotationSettings, type RotationSettingsInput } from "../modules/rotation.ts";
import { PARAMETER_NAME, validateAdditionalParameters } from "../modules/parameters.ts";
import { decryptViaSecretsManager, renderPolicy } from "../modules/iam.ts";
import { deriveNames, s3BucketName, validateNames, type EnvironmentNames } from "../modules/names.ts";
import { resolveMonitoringSettings, validateMonitoringSettings, type MonitoringSettings, type MonitoringSettingsInput } from "../modules/monitoring/settings.ts";
import { levelOf } from "../modules/policy/aspect.ts";
import { packRule } from "../modules/policy/pack.ts";
import { isRecord, Problems, ValidationError, formatProblem } from "../modules/validation.ts";

/** Where Terraform keeps an environment's state. */
export type StateBackend =
  /**
   * S3 with server-side encryption and S3-native locking (`use_lockfile`); each layered stack's key is
   * "<keyPrefix>/<environment>/<layer>.tfstate". Two layouts: a bucket in the environment's own account
   * (no `assumeRole`: the deploying credentials reach it), or one central bucket in a state account that
   * every run reaches by assuming `assumeRole.roleArn` (the backend and every `terraform_remote_state`
   * read assume it). `npm run bootstrap-state -- <env>` creates the bucket.
   */
  | {
      readonly type: "s3";
      readonly bucket: string;
      readonly keyPrefix: string;
      readonly region: string;
      /** @default SSE-S3 (the bucket's default encryption) */
      readonly kmsKeyArn?: string;
      /** @default none: the deploying credentials reach the bucket themselves */
      readonly assumeRole?: StateBackendRole;
    }
  /** A local file "terraform.<environment>-<layer>.tfstate" per stack at the project root — for trying dbstack out; refused in production. */
  | { readonly type: "local" };

/** The role a run assumes to reach a central state bucket (the S3 backend's `assume_role` block). */
export interface StateBackendRole {
  /** The IAM role in the state account, in the state bucket's partition. */
  readonly roleArn: string;
  /** What the role's trust policy requires in `sts:ExternalId`. @default none */
  readonly externalId?: string;
  /** Names the session in CloudTrail. @default chosen by Terraform */
  readonly sessionName?: string;
}

/** One environment as written in `environments.ts`. */
export interface EnvironmentInput {
  /** Application name, the first part of every AWS name: 2..24 lowercase letters, digits and single hyphens. */
  readonly app: string;
  /** Environment name: the first part of its stacks' names (`<name>-network`, …; `npm run deploy -- <name>`) and the second part of every AWS name; 2..12 characters. */
  readonly name: string;
  /** Production turns on safe defaults and refuses settings that relax them. */
  readonly production: boolean;
  /** The AWS account the environment deploys to; the provider refuses any other. */
  readonly account: string;
  readonly region: string;
  /** Zone names, 2..6, in the order subnet CIDRs are listed; instances spread over them writer first. */
  readonly availabilityZones: readonly string[];
  /** Tags on every resource, besides App, Environment and ManagedBy. */
  readonly tags?: Readonly<Record<string, string>>;
  readonly stateBackend: StateBackend;
  /**
   * The environment's customer managed key: created here unless an existing key's ARN is given.
   * @default a key with rotation, alias "<app>-<name>", deletion window 30 days in production, 7 elsewhere
   */
  readonly encryption?: { readonly kmsKeyArn?: string; readonly keyDeletionWindowDays?: number };
  readonly network: NetworkSettings;
  readonly database: DatabaseSettingsInput;
  /**
   * Application database users by name, each with a secret the bootstrap script fills and an auth entry
   * on the proxy. The master user is always served too, for administration.
   */
  readonly users: Readonly<Record<string, DatabaseUserSettings>>;
  /** @default TLS required, IAM per user, 1800 s idle timeout, pool 100 % / 50 % idle, 120 s borrow timeout */
  readonly proxy?: ProxySettingsInput;
  /** What connects to the database, each optional. @default none */
  readonly clients?: ClientsInput;
  /**
   * The setup function Terraform runs on every deploy, inside the VPC: it creates the application database,
   * roles, users and schemas and writes each user's secret, so the path works when `deploy` returns.
   * @default enabled, 512 MiB, 900 s timeout, waits up to 600 s for the database
   */
  readonly setup?: SetupSettingsInput;
  /**
   * Scheduled rotation of every application user's password (the rotation function, Secrets Manager's
   * four steps) and of the RDS-managed master password (managed rotation). `npm run rotate` works either way.
   * @default every 30 days in production, no schedule elsewhere
   */
  readonly rotation?: RotationSettingsInput;
  /**
   * Extra SSM parameters under /<app>/<env>/database/. Secret-looking names become SecureString with the
   * environment key, but the value still passes through Terraform state: prefer Secrets Manager.
   * @default none
   */
  readonly parameters?: Readonly<Record<string, string>>;
  /**
   * Policy rules this environment relaxes on purpose, each with its reason (at least 10 characters);
   * suppressed findings are still listed in every synth and review. `construct` is the stack's construct
   * it applies to (and everything under it). @default none
   */
  readonly policySuppressions?: readonly PolicySuppression[];
  /**
   * Where alarms and RDS events notify, and threshold overrides (modules/monitoring/settings.ts). Production
   * must notify someone: an existing topic or at least one subscription.
   * @default a new encrypted topic without subscriptions; thresholds from the connection budget and the engine
   */
  readonly monitoring?: MonitoringSettingsInput;
}

export const SUPPRESSIBLE_CONSTRUCTS = ["key", "network", "database", "users", "proxy", "parameters", "setup", "rotation", "service", "lambda", "migrations", "notifications", "alarms", "events", "dashboard"] as const;

export interface PolicySuppression {
  readonly rule: string;
  /** A construct of SUPPRESSIBLE_CONSTRUCTS, or a named client's construct ("service-<name>", "function-<name>"). */
  readonly construct: (typeof SUPPRESSIBLE_CONSTRUCTS)[number] | `service-${string}` | `function-${string}`;
  readonly reason: string;
}

/**
 * What connects to the database. Services and functions are keyed by a name (1..20 lowercase letters,
 * digits and single hyphens) that becomes part of their AWS names; each has its own database user unless
 * the clients sharing one all say `sharedUser: true`.
 */
export interface ClientsInput {
  /** Fargate task definitions (or their templates) by name, e.g. `{ api: {…}, worker: {…} }`. @default none */
  readonly services?: Readonly<Record<string, EcsSettingsInput>>;
  /** Lambda functions by name, each running the example client that checks the path with an IAM token. @default none */
  readonly functions?: Readonly<Record<string, LambdaClientSettingsInput>>;
  /** One CodeBuild project per environment that runs migrations in the VPC, optionally in a pipeline. @default none */
  readonly migrations?: MigrationSettingsInput;
}

/** One service or function of an environment, for what spans them (budget, review, alarms). */
export interface ClientSummary {
  readonly kind: ClientKind;
  /** Its key under `clients.services` or `clients.functions`. */
  readonly name: string;
  /** Its construct id in the iam layer and its workload's layer. */
  readonly constructId: string;
  readonly user: string;
  /** The task definition family (service) or function name (function). */
  readonly awsName: string;
  readonly logGroup: string;
}

/** An environment with every default filled in and every name derived. */
export interface EnvironmentConfig {
  readonly app: string;
  readonly name: string;
  readonly production: boolean;
  readonly account: string;
  readonly region: string;
  readonly partition: string;
  readonly availabilityZones: readonly string[];
  readonly tags: Readonly<Record<string, string>>;
  readonly stateBackend: StateBackend;
  readonly encryption: { readonly kmsKeyArn?: string; readonly keyDeletionWindowDays: number };
  readonly network: NetworkSettings;
  readonly database: DatabaseSettings;
  readonly users: Readonly<Record<string, { readonly auth: UserAuth; readonly privileges: UserPrivileges }>>;
  readonly proxy: ProxySettings;
  /** Days a deleted user secret can be restored: 30 in production, 7 elsewhere. */
  readonly secretRecoveryWindowDays: number;
  readonly clients: ClientsInput;
  readonly setup: SetupSettings;
  readonly rotation: RotationSettings;
  readonly parameters: Readonly<Record<string, string>>;
  readonly policySuppressions: readonly PolicySuppression[];
  readonly monitoring: MonitoringSettings;
  /** Retention of client log groups that do not set their own: 365 in production, 30 elsewhere. */
  readonly defaultLogRetentionDays: number;
  /** "<app>-<name>": prefix of AWS names, the KMS alias and the database identifier. */
  readonly namePrefix: string;
  /** Every service, then every function, with its derived names: what a layer that spans clients (alarms, dashboards) iterates over. */
  readonly clientList: readonly ClientSummary[];
  /**
   * Every AWS name the environment's constructs create, derived once from app, name, account, region,
   * users and parameters and checked against each service's naming rules (modules/names.ts). Constructs
   * take their names from here.
   */
  readonly names: EnvironmentNames;
  /**
   * What AWS accepts today but will refuse soon (a runtime or engine version within 90 days of the date
   * AWS stops creating it), as `<env>.<setting>: <value> — <what happens when>` lines. Never fatal.
   */
  readonly warnings: readonly string[];
}

/** How `resolveEnvironments` checks what expires. */
export interface ResolveOptions {
  /**
   * The day to check retirement dates against (runtimes, engine versions, build runtimes).
   * @default the current time
   */
  readonly now?: Date;
}

const NAME_PART = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const KMS_KEY_ARN = /^arn:aws(?:-cn|-us-gov)?:kms:[a-z0-9-]+:\d{12}:key\/(?:mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
const BUCKET_NAME = /^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const STATE_KEY_PREFIX = /^[A-Za-z0-9!_.*'()-]+(?:\/[A-Za-z0-9!_.*'()-]+)*$/;
/** IAM role ARN: no region, a 12-digit account, an optional path, a name of 1..64 of [\w+=,.@-] (IAM User Guide, IAM identifiers). */
const IAM_ROLE_ARN = /^arn:(aws|aws-cn|aws-us-gov):iam::\d{12}:role\/(?:[\x21-\x7e]{1,510}\/)?[\w+=,.@-]{1,64}$/;
/** STS AssumeRole ExternalId: 2..1224 of [\w+=,.@:/-] (STS API Reference, AssumeRole). */
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;
/** STS AssumeRole RoleSessionName: 2..64 of [\w+=,.@-] (STS API Reference, AssumeRole). */
const ROLE_SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
/** AWS allows 50 tags per resource (user-defined; aws: tags do not count). */
const MAX_TAGS_PER_RESOURCE = 50;
/** Tags the provider puts on every resource (default_tags). */
const DBSTACK_TAGS = ["App", "Environment", "ManagedBy"];
/**
 * The most tags a module adds to one resource: subnets get Name, Tier and Private (modules/network.ts);
 * everything else at most Name. Counted with the user's tags, as AWS counts them on the resource.
 */
export const MODULE_TAGS = ["Name", "Tier", "Private"];
/** RDS Proxy: secrets per proxy (a fixed limit; the master user's secret is one of them). */
const MAX_PROXY_SECRETS = 200;
/** IAM: aggregate size of a role's inline policies, whitespace not counted (a fixed quota). */
const MAX_ROLE_INLINE_POLICY_CHARS = 10240;

/**
 * Validates every environment before any construct exists and throws one error listing every problem
 * (`<environment>.<setting>: <value> — <what is allowed>`); otherwise returns them resolved, each with its
 * derived `names` and its `warnings` (settings AWS stops accepting within 90 days of `options.now`).
 * Checks against the dated catalog (modules/catalog/) include what expires, so pass `now` in tests.
 */
export function resolveEnvironments(inputs: readonly EnvironmentInput[], options: ResolveOptions = {}): EnvironmentConfig[] {
  const now = options.now ?? new Date();
  const problems = new Problems();
  problems.check(inputs.length > 0, "environments", inputs, "must define at least one environment");
  const seen = new Set<string>();
  const labels = inputs.map((input, i) => {
    const label = typeof input.name === "string" && NAME_PART.test(input.name) ? input.name : `environments[${i}]`;
    problems.check(!seen.has(input.name), `${label}.name`, input.name, "must be unique: it names the stack");
    seen.add(input.name);
    validateEnvironment(input, problems.at(label), now);
    return label;
  });
  problems.throwIfAny("dbstack configuration");
  return inputs.map((input, i) => {
    const warnings = problems.warnings.filter((w) => w.path.startsWith(`${labels[i]}.`)).map(formatProblem);
    return { ...resolveEnvironment(input), warnings };
  });
}

function validateEnvironment(input: EnvironmentInput, problems: Problems, now: Date): void {
  const appOk = problems.check(typeof input.app === "string" && NAME_PART.test(input.app) && input.app.length >= 2 && input.app.length <= 24, "app", input.app,
    "must be 2..24 lowercase letters, digits and single hyphens, starting with a letter");
  const nameOk = problems.check(typeof input.name === "string" && NAME_PART.test(input.name) && input.name.length >= 2 && input.name.length <= 12, "name", input.name,
    "must be 2..12 lowercase letters, digits and single hyphens, starting with a letter");
  problems.check(typeof input.production === "boolean", "production", input.production, "must be true or false");
  const accountOk = problems.matches("account", input.account, /^\d{12}$/, "must be a 12-digit AWS account id");
  const regionOk = problems.check(isKnownRegion(input.region), "region", input.region, `must be ${knownRegionsText()}`);

  const zones = input.availabilityZones;
  if (problems.check(Array.isArray(zones) && zones.length >= 2 && zones.length <= 6, "availabilityZones", zones,
    "must list 2..6 zones (RDS subnet groups and RDS Proxy need at least two)")) {
    const regionZones = regionOk ? zonesOf(input.region) : [];
    zones.forEach((zone, i) => {
      if (!regionOk) return;
      if (problems.check(typeof zone === "string" && zone.startsWith(input.region) && /^[a-z]$/.test(zone.slice(input.region.length)), `availabilityZones[${i}]`, zone,
        `must be a zone of ${input.region}, e.g. "${input.region}a"`)) {
        problems.check(regionZones.includes(zone), `availabilityZones[${i}]`, zone, `must be a zone ${input.region} has: ${regionZones.join(", ")}`);
      }
    });
    problems.check(new Set(zones).size === zones.length, "availabilityZones", zones, "must not repeat a zone");
  }

  if (problems.check(isRecord(input.tags ?? {}), "tags", input.tags, "must be a map of tag key to value")) validateTags(input.tags ?? {}, problems);
  validateBackend(input.stateBackend, input.production === true, problems.at("stateBackend"));

  const encryption = input.encryption ?? {};
  if (encryption.kmsKeyArn !== undefined) {
    if (problems.matches("encryption.kmsKeyArn", encryption.kmsKeyArn, KMS_KEY_ARN, "must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), not an alias") && regionOk) {
      const placement = arnPlacementProblem(encryption.kmsKeyArn, input.region, false);
      if (placement) problems.add("encryption.kmsKeyArn", encryption.kmsKeyArn, placement);
      else problems.check(encryption.kmsKeyArn.split(":")[3] === input.region, "encryption.kmsKeyArn", encryption.kmsKeyArn, `must be a key in ${input.region}`);
    }
  }
  if (encryption.keyDeletionWindowDays !== undefined) {
    problems.integer("encryption.keyDeletionWindowDays", encryption.keyDeletionWindowDays, 7, 30);
    problems.check(encryption.kmsKeyArn === undefined, "encryption.keyDeletionWindowDays", encryption.keyDeletionWindowDays,
      "applies only to a key dbstack creates, not to encryption.kmsKeyArn");
  }

  if (input.network === undefined || input.network === null) problems.add("network", input.network, "must be set");
  else if (Array.isArray(zones)) validateNetworkSettings(input.network, zones, problems.at("network"));
  if (input.database === undefined || input.database === null) problems.add("database", input.database, "must be set");
  else {
    validateDatabaseSettings(input.database, input.production === true, problems.at("database"), now);
    if (Array.isArray(zones)) validateReaderZones(input.database.readers, zones, problems.at("database"));
  }

  // Users and the proxy depend on the engine; without a valid one their checks would only add noise.
  const engine = input.database?.engine;
  if (!DATABASE_ENGINES.includes(engine)) return;
  validateUsers(input.users, engine, input.database.masterUsername ?? DEFAULT_MASTER_USERNAME, problems.at("users"),
    typeof input.database.databaseName === "string" ? input.database.databaseName : undefined);
  for (const [name, user] of Object.entries(input.users ?? {})) {
    problems.check(user?.auth !== "direct-iam" || input.database.iamAuthentication !== false, `users.${name}.auth`, user?.auth,
      "needs database.iamAuthentication: the database itself must accept IAM tokens");
  }
  validateProxySettings(input.proxy ?? {}, engineFamilyOf(engine), input.production === true, problems.at("proxy"));
  validateClients(input, problems.at("clients"), regionOk ? { region: input.region, now } : { now });
  validateSetupSettings(input.setup === undefined ? {} : input.setup, secretsManagerPath(input.network), problems.at("setup"));
  validateRotationSettings(input.rotation === undefined ? {} : input.rotation, problems.at("rotation"));
  problems.check(!isRecord(input.rotation?.schedule) || resolveSetupSettings(input.setup).enabled, "rotation.schedule", "(set)",
    "needs setup.enabled: the rotation function lives with the setup function, in the application subnets with its security group");
  validateAdditionalParameters(input.parameters ?? {}, problems.at("parameters"));
  validateMonitoringSettings(input.monitoring === undefined ? {} : input.monitoring, { production: input.production === true, region: input.region }, problems.at("monitoring"));
  const suppressions = input.policySuppressions ?? [];
  if (!problems.check(Array.isArray(suppressions), "policySuppressions", suppressions, "must be a list of { rule, construct, reason }")) return;
  suppressions.forEach((s, i) => {
    const at = problems.at(`policySuppressions[${i}]`);
    if (!at.check(isRecord(s), "", s, "must be { rule, construct, reason }")) return;
    const rule = packRule(s.rule);
    if (at.check(rule !== undefined, "rule", s.rule, "must be a rule id of the dbstack pack (see modules/policy/pack.ts)") && input.production === true) {
      // The production contract: nothing that is an error in production can be switched off there.
      at.check(levelOf(rule!, true) !== "error", "rule", s.rule, rule!.level === "error"
        ? "is an error-level rule: production cannot suppress it"
        : "escalates to an error in production: production cannot suppress it (relax it in a non-production environment only)");
    }
    at.oneOf("construct", s.construct, [...new Set<string>([...SUPPRESSIBLE_CONSTRUCTS, ...clientConstructIds(input.clients)])]);
    at.check(typeof s.reason === "string" && s.reason.trim().length >= 10, "reason", s.reason, "must explain the suppression in at least 10 characters");
  });

  // Names and quotas need a sound identity (app, name, account, region) to be worth computing.
  if (appOk && nameOk && accountOk && regionOk) validateNamesAndQuotas(input, problems);
}

/** The construct ids of the environment's named clients, for policy suppressions. */
function clientConstructIds(clients: ClientsInput | undefined): string[] {
  const ids = (kind: ClientKind, byName: unknown) => Object.entries(isRecord(byName) ? byName : {})
    .map(([name, s]) => clientConstructId(kind, name, isRecord(s) && s.legacyNames === true));
  return [...ids("service", clients?.services), ...ids("function", clients?.functions)];
}

/** Derives every AWS name and checks it, then the quotas that grow with users and names. */
function validateNamesAndQuotas(input: EnvironmentInput, problems: Problems): void {
  const names = namesOf(input);
  const partition = partitionOf(input.region);
  validateNames(names, { partition, region: input.region, account: input.account, additionalParameters: additionalParameterNames(input) }, problems);

  const proxied = Object.entries(input.users ?? {}).filter(([, u]) => isRecord(u) && u.auth !== "direct-iam").map(([name]) => name);
  const secrets = proxied.length + 1;
  problems.check(secrets <= MAX_PROXY_SECRETS, "users", `${proxied.length} users served by the proxy`,
    `RDS Proxy allows at most ${MAX_PROXY_SECRETS} secrets per proxy, the master user's included: at most ${MAX_PROXY_SECRETS - 1} proxy users ` +
    "(Amazon RDS User Guide, Quotas and limitations for RDS Proxy)");

  const size = proxyRolePolicySize(input, names, proxied);
  problems.check(size <= MAX_ROLE_INLINE_POLICY_CHARS, "users", `${proxied.length} users served by the proxy`,
    `the proxy role's inline policy would be about ${size} characters (one secret ARN per user); IAM allows ${MAX_ROLE_INLINE_POLICY_CHARS} per role, ` +
    "a quota AWS does not raise (IAM User Guide, IAM and AWS STS quotas: role policy size): serve fewer users through the proxy or shorten their names");

  // The rotation function exists with the setup function; its role names every user with a password.
  if (names.rotation) {
    validateRotationScope({
      partition, region: input.region, account: input.account, functionName: names.rotation.functionName, secretPrefix: names.secrets.prefix,
      keyArn: input.encryption?.kmsKeyArn ?? `arn:${partition}:kms:${input.region}:${input.account}:key/00000000-0000-0000-0000-000000000000`,
      users: proxied.map((name) => ({ name, iamAtProxy: (input.users[name]?.auth ?? "iam") === "iam" })),
    }, problems);
  }
}

/**
 * The size IAM counts (whitespace excluded) of the proxy role's policy as modules/proxy.ts writes it:
 * GetSecretValue on every served user's secret and the master secret, Decrypt on the key.
 */
function proxyRolePolicySize(input: EnvironmentInput, names: EnvironmentNames, proxied: readonly string[]): number {
  const partition = partitionOf(input.region);
  const secretArn = (name: string) => `arn:${partition}:secretsmanager:${input.region}:${input.account}:secret:${name}-AbCdEf`;
  const uuid = "00000000-0000-0000-0000-000000000000";
  const masterSecret = secretArn(`rds!${isAurora(input.database.engine) ? "cluster" : "db"}-${uuid}`);
  const key = input.encryption?.kmsKeyArn ?? `arn:${partition}:kms:${input.region}:${input.account}:key/${uuid}`;
  const policy = renderPolicy([
    { sid: "ReadDatabaseUserSecrets", actions: ["secretsmanager:GetSecretValue"], resources: [...proxied.map((u) => secretArn(names.secrets.users[u] ?? `${names.secrets.prefix}/${u}`)), masterSecret] },
    decryptViaSecretsManager([key], input.region),
  ]);
  return policy.replace(/\s/g, "").length;
}

function additionalParameterNames(input: EnvironmentInput): string[] {
  return Object.keys(input.parameters ?? {}).filter((name) => PARAMETER_NAME.test(name));
}

/** The names of an environment whose app, name, account, region and engine are valid. */
function namesOf(input: EnvironmentInput): EnvironmentNames {
  const database = resolveDatabaseSettings(input.database, input.production === true);
  const clients = input.clients ?? {};
  const network = input.network;
  return deriveNames({
    app: input.app,
    name: input.name,
    account: input.account,
    region: input.region,
    partition: partitionOf(input.region),
    database: {
      cluster: isAurora(database.engine),
      readers: isAurora(database.engine) && Number.isInteger(database.readers) ? Math.max(0, Math.min(database.readers, 15)) : 0,
      // Only valid log types and user names: the others are reported at their own settings.
      logExports: Array.isArray(database.logExports) ? database.logExports.filter((type) => LOG_EXPORTS[database.engine].includes(type)) : [],
      instanceParameterGroup: isAurora(database.engine) && database.maxConnections !== undefined,
      parameterGroupNameSuffix: database.parameterGroupNameSuffix,
      finalSnapshot: !database.skipFinalSnapshot,
      monitoring: database.monitoringIntervalSeconds > 0,
    },
    users: Object.keys(input.users ?? {}).filter((user) => /^[A-Za-z0-9_]+$/.test(user)),
    network: {
      sharedProxyAndDatabaseGroup: network?.proxyAndDatabaseGroups === "shared",
      endpoints: network?.mode === "create" && network.egress?.type === "endpoints",
    },
    readOnlyEndpoint: isAurora(database.engine) && database.readers > 0,
    additionalParameters: additionalParameterNames(input),
    clients: {
      services: Object.entries(clients.services ?? {}).map(([name, s]) => ({ name, legacyNames: s?.legacyNames === true })),
      functions: Object.keys(clients.functions ?? {}),
      migrations: clients.migrations !== undefined,
      pipeline: clients.migrations?.pipeline !== undefined,
    },
    setup: resolveSetupSettings(input.setup).enabled,
  });
}

/** Whether functions in the application subnets can reach Secrets Manager, and why not. */
function secretsManagerPath(network: NetworkSettings | undefined): { ok: boolean; why: string } {
  if (network?.mode !== "create") return { ok: true, why: "an adopted network is assumed to have one (NAT, endpoints or a transit gateway)" };
  const ok = network.egress?.type === "nat" || network.egress?.type === "endpoints";
  return { ok, why: 'network.egress is "none": choose "nat" or "endpoints", or set setup.enabled to false and run scripts/bootstrap-database.ts from inside the VPC' };
}

function validateClients(input: EnvironmentInput, problems: Problems, environment: { readonly region?: string; readonly now: Date }): void {
  const given = input.clients ?? {};
  if (!problems.check(isRecord(given), "", given, "must be { services?, functions?, migrations? }")) return;
  for (const key of Object.keys(given)) {
    problems.check(["services", "functions", "migrations"].includes(key), key, key, key === "ecs" || key === "lambda"
      ? `is the single-client form: write clients.${key === "ecs" ? "services" : "functions"}.<name> with legacyNames: true to keep today's resources (README, Clients)`
      : "must be one of services, functions, migrations");
  }
  const groups = { services: given.services, functions: given.functions };
  for (const [group, byName] of Object.entries(groups)) {
    if (byName !== undefined) problems.check(isRecord(byName), group, byName, `must be a map of client name to its settings, e.g. { api: { user: "app", … } }`);
  }
  // A client that is not an object is reported here; its fields are not read.
  const named = (group: "services" | "functions") => Object.entries(isRecord(groups[group]) ? groups[group] : {}).filter(([name, settings]) =>
    problems.check(isRecord(settings), `${group}.${name}`, settings, "must be an object of settings"));
  const services = named("services") as [string, EcsSettingsInput][];
  const functions = named("functions") as [string, LambdaClientSettingsInput][];
  const migrations = given.migrations;
  if (migrations !== undefined && !problems.check(isRecord(migrations), "migrations", migrations, "must be an object of settings")) return;

  const users = Object.entries(input.users ?? {}).filter(([, u]) => isRecord(u));
  const master = input.database.masterUsername ?? DEFAULT_MASTER_USERNAME;
  // The clients dbstack wires connect through the proxy; direct-IAM users are for other consumers.
  const proxied = users.filter(([, u]) => u.auth !== "direct-iam");
  const auth = Object.fromEntries([...users.map(([name, u]) => [name, u.auth ?? "iam"]), [master, input.proxy?.masterAuth ?? "iam"]]);
  for (const [name, settings] of services) {
    validateClientName("service", name, settings.legacyNames, problems.at(`services.${name}`));
    validateEcsSettings(settings, proxied.map(([user]) => user), problems.at(`services.${name}`), environment);
  }
  for (const [name, settings] of functions) {
    validateClientName("function", name, settings.legacyNames, problems.at(`functions.${name}`));
    validateLambdaSettings(settings, auth, problems.at(`functions.${name}`), environment);
  }
  for (const [kind, group, list] of [["service", "services", services], ["function", "functions", functions]] as const) {
    const legacy = list.filter(([, s]) => s.legacyNames === true).map(([name]) => name);
    problems.check(legacy.length <= 1, group, legacy, `at most one ${kind} can set legacyNames: they would share the construct id "${clientConstructId(kind, "", true)}"`);
  }

  // One user per client, unless every client sharing it says so.
  const byUser = new Map<string, string[]>();
  for (const [path, settings] of [...services.map(([n, s]) => [`services.${n}`, s] as const), ...functions.map(([n, s]) => [`functions.${n}`, s] as const)]) {
    if (typeof settings.user === "string") byUser.set(settings.user, [...(byUser.get(settings.user) ?? []), path]);
  }
  const settingsAt = (path: string) => (path.startsWith("services.") ? given.services : given.functions)![path.slice(path.indexOf(".") + 1)]!;
  for (const [user, paths] of byUser) {
    if (paths.length < 2) continue;
    for (const path of paths.filter((p) => settingsAt(p).sharedUser !== true)) {
      problems.add(`${path}.user`, user, `is also the user of ${paths.filter((p) => p !== path).map((p) => `clients.${p}`).join(", ")}: ` +
        "give each client its own user, or set sharedUser: true on every client that shares it (they then share its grants, proxy auth entry and connections)");
    }
  }

  if (migrations) {
    validateMigrationSettings(migrations, Object.fromEntries(proxied.map(([name, u]) => [name, u.privileges])), problems.at("migrations"), environment);
    if (migrations.pipeline) {
      const deployed = pipelineServices(services);
      problems.check(services.length > 0, "migrations.pipeline", "(set)", "needs a service in clients.services: the Deploy stage updates that service and passes its task roles");
      if (services.length > 1) {
        problems.check(deployed.length === 1, "migrations.pipeline", deployed.length === 0 ? "(no service)" : deployed,
          "needs exactly one service with deployedByPipeline: true when there are several: the Deploy stage updates that one and passes its roles");
      }
      const [deployedName] = deployed;
      const service = deployed.length === 1 ? services.find(([name]) => name === deployedName)?.[1] : undefined;
      if (service) {
        const serviceContainer = service.container?.name ?? "app";
        problems.check((migrations.pipeline.containerName ?? "app") === serviceContainer, "migrations.pipeline.containerName", migrations.pipeline.containerName ?? "app",
          `must be the service's container, clients.services.${deployedName}.container.name (${serviceContainer}): the Deploy stage points that container at the new image`);
      }
    }
  }
}

/** The services a migrations pipeline deploys: the only one, or those that say `deployedByPipeline`. */
export function pipelineServices(services: readonly (readonly [string, EcsSettingsInput])[]): string[] {
  if (services.length === 1) return services[0]![1].deployedByPipeline === false ? [] : [services[0]![0]];
  return services.filter(([, s]) => s.deployedByPipeline === true).map(([name]) => name);
}

/** Services then functions, each with its construct id and derived names. */
export function listClients(clients: ClientsInput, names: EnvironmentNames): ClientSummary[] {
  return [
    ...Object.entries(clients.services ?? {}).map(([name, s]) => ({
      kind: "service" as const, name, constructId: clientConstructId("service", name, s.legacyNames), user: s.user,
      awsName: names.services[name]!.family, logGroup: names.services[name]!.logGroup,
    })),
    ...Object.entries(clients.functions ?? {}).map(([name, f]) => ({
      kind: "function" as const, name, constructId: clientConstructId("function", name, f.legacyNames), user: f.user,
      awsName: names.functions[name]!.functionName, logGroup: names.functions[name]!.logGroup,
    })),
  ];
}

/** Tag prefixes AWS keeps for itself, in any case: aws: everywhere, rds: on RDS resources. */
const RESERVED_TAG_PREFIXES = ["aws:", "rds:"];

function validateTags(tags: Readonly<Record<string, string>>, problems: Problems): void {
  const entries = Object.entries(tags);
  // AWS counts the tags on the resource: the user's, the provider's default tags and what the module adds.
  const onBusiestResource = new Set([...DBSTACK_TAGS, ...MODULE_TAGS, ...Object.keys(tags)]).size;
  const room = MAX_TAGS_PER_RESOURCE - new Set([...DBSTACK_TAGS, ...MODULE_TAGS]).size;
  problems.check(onBusiestResource <= MAX_TAGS_PER_RESOURCE, "tags", `${entries.length} tags`,
    `must leave room for dbstack's own: AWS allows ${MAX_TAGS_PER_RESOURCE} tags per resource, and dbstack adds ${DBSTACK_TAGS.join(", ")} to every resource ` +
    `and ${MODULE_TAGS.join(", ")} to subnets, so at most ${room} other tags (a fixed limit)`);
  // Every resource gets these tags, the database too: RDS refuses aws: and rds: at the start of a key or a value (RDS API Tag).
  const reserved = (text: string) => RESERVED_TAG_PREFIXES.some((prefix) => text.toLowerCase().startsWith(prefix));
  for (const [key, value] of entries) {
    problems.check(key.length >= 1 && key.length <= 128 && TAG_TEXT.test(key) && !reserved(key), `tags.${key}`, key,
      `key must be 1..128 letters, digits, spaces or _.:/=+-@ and must not start with ${RESERVED_TAG_PREFIXES.join(" or ")}`);
    problems.check(typeof value === "string" && value.length <= 256 && TAG_TEXT.test(value) && !reserved(value), `tags.${key}`, value,
      `value must be at most 256 letters, digits, spaces or _.:/=+-@ and must not start with ${RESERVED_TAG_PREFIXES.join(" or ")}`);
  }
}

function validateBackend(backend: StateBackend, production: boolean, problems: Problems): void {
  if (!problems.oneOf("type", backend?.type, ["s3", "local"])) return;
  if (backend.type !== "s3") {
    // The production contract: state shared, encrypted, locked and kept off laptops.
    problems.check(!production, "type", backend.type, 'must be "s3" in production: local state is unshared, unlocked and unencrypted');
    return;
  }
  if (problems.matches("bucket", backend.bucket, BUCKET_NAME, "must be an S3 bucket name: 3..63 lowercase letters, digits, dots and hyphens")) {
    const wrong = s3BucketName(backend.bucket);
    if (wrong) problems.add("bucket", backend.bucket, wrong);
  }
  problems.matches("keyPrefix", backend.keyPrefix, STATE_KEY_PREFIX, 'must be an S3 key prefix without leading or trailing "/", e.g. "dbstack/orders"');
  const regionOk = problems.check(isKnownRegion(backend.region), "region", backend.region, `must be ${knownRegionsText()}`);
  if (backend.kmsKeyArn !== undefined && problems.matches("kmsKeyArn", backend.kmsKeyArn, KMS_KEY_ARN, "must be a KMS key ARN") && regionOk) {
    const placement = arnPlacementProblem(backend.kmsKeyArn, backend.region, true);
    if (placement) problems.add("kmsKeyArn", backend.kmsKeyArn, `${placement} (the state bucket's region)`);
  }
  if (backend.assumeRole !== undefined) validateStateRole(backend.assumeRole, regionOk ? backend.region : undefined, problems.at("assumeRole"));
}

function validateStateRole(role: StateBackendRole, bucketRegion: string | undefined, problems: Problems): void {
  if (!problems.check(isRecord(role), "", role, "must be { roleArn, externalId?, sessionName? }")) return;
  if (problems.matches("roleArn", role.roleArn, IAM_ROLE_ARN, "must be an IAM role ARN: arn:<partition>:iam::<12-digit account>:role/[<path>/]<name>") && bucketRegion) {
    const partition = partitionOf(bucketRegion);
    const rolePartition = role.roleArn.split(":")[1];
    problems.check(rolePartition === partition, "roleArn", role.roleArn, `must be in the ${partition} partition of the state bucket's region ${bucketRegion} (arn:${partition}:iam::…), not ${rolePartition}`);
  }
  if (role.externalId !== undefined) problems.matches("externalId", role.externalId, EXTERNAL_ID, "must be 2..1224 letters, digits and _+=,.@:/- (STS AssumeRole ExternalId)");
  if (role.sessionName !== undefined) problems.matches("sessionName", role.sessionName, ROLE_SESSION_NAME, "must be 2..64 letters, digits and _+=,.@- (STS AssumeRole RoleSessionName)");
}

function resolveEnvironment(input: EnvironmentInput): Omit<EnvironmentConfig, "warnings"> {
  const namePrefix = `${input.app}-${input.name}`;
  const names = namesOf(input);
  return {
    app: input.app,
    name: input.name,
    production: input.production,
    account: input.account,
    region: input.region,
    partition: partitionOf(input.region),
    availabilityZones: [...input.availabilityZones],
    tags: { ...input.tags },
    stateBackend: input.stateBackend,
    encryption: {
      ...(input.encryption?.kmsKeyArn ? { kmsKeyArn: input.encryption.kmsKeyArn } : {}),
      keyDeletionWindowDays: input.encryption?.keyDeletionWindowDays ?? (input.production ? 30 : 7),
    },
    network: input.network,
    database: resolveDatabaseSettings(input.database, input.production),
    users: Object.fromEntries(Object.entries(input.users).map(([name, u]) => [name, { auth: u.auth ?? "iam", privileges: u.privileges }])),
    proxy: resolveProxySettings(input.proxy ?? {}, engineFamilyOf(input.database.engine), input.production),
    secretRecoveryWindowDays: input.production ? 30 : 7,
    clients: input.clients ?? {},
    setup: resolveSetupSettings(input.setup),
    rotation: resolveRotationSettings(input.rotation, input.production),
    parameters: input.parameters ?? {},
    policySuppressions: input.policySuppressions ?? [],
    monitoring: resolveMonitoringSettings(input.monitoring),
    defaultLogRetentionDays: input.production ? 365 : 30,
    namePrefix,
    clientList: listClients(input.clients ?? {}, names),
    names,
  };
}

export { ValidationError };
