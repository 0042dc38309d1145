import { isRegionName, partitionOf } from "../modules/aws-regions.ts";
import { DEFAULT_MASTER_USERNAME, resolveDatabaseSettings, validateDatabaseSettings, type DatabaseSettings, type DatabaseSettingsInput } from "../modules/database-settings.ts";
import { engineFamilyOf, DATABASE_ENGINES } from "../modules/database-engines.ts";
import { validateNetworkSettings, type NetworkSettings } from "../modules/network.ts";
import { resolveProxySettings, validateProxySettings, type ProxySettings, type ProxySettingsInput } from "../modules/proxy.ts";
import { validateUsers, type DatabaseUserSettings, type UserAuth, type UserPrivileges } from "../modules/users.ts";
import { validateEcsSettings, type EcsSettingsInput } from "../modules/ecs-taskdef.ts";
import { validateLambdaSettings, type LambdaClientSettingsInput } from "../modules/clients.ts";
import { validateMigrationSettings, type MigrationSettingsInput } from "../modules/migrations.ts";
import { validateAdditionalParameters } from "../modules/parameters.ts";
import { packRule } from "../modules/policy/pack.ts";
import { Problems, ValidationError } from "../modules/validation.ts";

/** Where Terraform keeps an environment's state. */
export type StateBackend =
  /** S3 with server-side encryption and S3-native locking (`use_lockfile`); the key is "<keyPrefix>/<environment>.tfstate". */
  | { readonly type: "s3"; readonly bucket: string; readonly keyPrefix: string; readonly region: string; readonly kmsKeyArn?: string }
  /** A local file "terraform.<environment>.tfstate" — for trying dbstack out, never for shared environments. */
  | { readonly type: "local" };

/** One environment as written in `environments.ts`. */
export interface EnvironmentInput {
  /** Application name, the first part of every AWS name: 2..24 lowercase letters, digits and single hyphens. */
  readonly app: string;
  /** Environment name: the stack name (`cdktf deploy <name>`) and the second part of every AWS name; 2..12 characters. */
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
}

export const SUPPRESSIBLE_CONSTRUCTS = ["key", "network", "database", "users", "proxy", "parameters", "service", "lambda", "migrations"] as const;

export interface PolicySuppression {
  readonly rule: string;
  readonly construct: (typeof SUPPRESSIBLE_CONSTRUCTS)[number];
  readonly reason: string;
}

export interface ClientsInput {
  /** A Fargate task definition (or its template) for the application service. */
  readonly ecs?: EcsSettingsInput;
  /** The example Lambda client that checks the path with an IAM token. */
  readonly lambda?: LambdaClientSettingsInput;
  /** A CodeBuild project that runs migrations in the VPC, optionally in a pipeline. */
  readonly migrations?: MigrationSettingsInput;
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
  readonly parameters: Readonly<Record<string, string>>;
  readonly policySuppressions: readonly PolicySuppression[];
  /** Retention of client log groups that do not set their own: 365 in production, 30 elsewhere. */
  readonly defaultLogRetentionDays: number;
  /** "<app>-<name>": prefix of AWS names, the KMS alias and the database identifier. */
  readonly namePrefix: string;
}

const NAME_PART = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const KMS_KEY_ARN = /^arn:aws(?:-cn|-us-gov)?:kms:[a-z0-9-]+:\d{12}:key\/(?:mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
const BUCKET_NAME = /^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const STATE_KEY_PREFIX = /^[A-Za-z0-9!_.*'()-]+(?:\/[A-Za-z0-9!_.*'()-]+)*$/;
/** The provider adds App, Environment and ManagedBy; AWS allows 50 tags per resource. */
const MAX_USER_TAGS = 47;

/**
 * Validates every environment before any construct exists and throws one error listing every problem
 * (`<environment>.<setting>: <value> — <what is allowed>`); otherwise returns them resolved.
 */
export function resolveEnvironments(inputs: readonly EnvironmentInput[]): EnvironmentConfig[] {
  const problems = new Problems();
  problems.check(inputs.length > 0, "environments", inputs, "must define at least one environment");
  const seen = new Set<string>();
  inputs.forEach((input, i) => {
    const label = typeof input.name === "string" && NAME_PART.test(input.name) ? input.name : `environments[${i}]`;
    problems.check(!seen.has(input.name), `${label}.name`, input.name, "must be unique: it names the stack");
    seen.add(input.name);
    validateEnvironment(input, problems.at(label));
  });
  problems.throwIfAny("dbstack configuration");
  return inputs.map(resolveEnvironment);
}

function validateEnvironment(input: EnvironmentInput, problems: Problems): void {
  problems.check(typeof input.app === "string" && NAME_PART.test(input.app) && input.app.length >= 2 && input.app.length <= 24, "app", input.app,
    "must be 2..24 lowercase letters, digits and single hyphens, starting with a letter");
  problems.check(typeof input.name === "string" && NAME_PART.test(input.name) && input.name.length >= 2 && input.name.length <= 12, "name", input.name,
    "must be 2..12 lowercase letters, digits and single hyphens, starting with a letter");
  problems.check(typeof input.production === "boolean", "production", input.production, "must be true or false");
  problems.matches("account", input.account, /^\d{12}$/, "must be a 12-digit AWS account id");
  const regionOk = problems.check(isRegionName(input.region), "region", input.region, 'must be an AWS region name such as "eu-west-1"');

  const zones = input.availabilityZones;
  if (problems.check(Array.isArray(zones) && zones.length >= 2 && zones.length <= 6, "availabilityZones", zones,
    "must list 2..6 zones (RDS subnet groups and RDS Proxy need at least two)")) {
    zones.forEach((zone, i) => {
      if (regionOk) problems.check(zone === `${input.region}${zone.slice(-1)}` && /[a-z]$/.test(zone), `availabilityZones[${i}]`, zone, `must be a zone of ${input.region}, e.g. "${input.region}a"`);
    });
    problems.check(new Set(zones).size === zones.length, "availabilityZones", zones, "must not repeat a zone");
  }

  validateTags(input.tags ?? {}, problems);
  validateBackend(input.stateBackend, problems.at("stateBackend"));

  const encryption = input.encryption ?? {};
  if (encryption.kmsKeyArn !== undefined) {
    problems.matches("encryption.kmsKeyArn", encryption.kmsKeyArn, KMS_KEY_ARN, "must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), not an alias");
    if (regionOk && typeof encryption.kmsKeyArn === "string") {
      problems.check(encryption.kmsKeyArn.split(":")[3] === input.region, "encryption.kmsKeyArn", encryption.kmsKeyArn, `must be a key in ${input.region}`);
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
  else validateDatabaseSettings(input.database, input.production === true, problems.at("database"));

  // Users and the proxy depend on the engine; without a valid one their checks would only add noise.
  const engine = input.database?.engine;
  if (!DATABASE_ENGINES.includes(engine)) return;
  validateUsers(input.users, engine, input.database.masterUsername ?? DEFAULT_MASTER_USERNAME, problems.at("users"));
  for (const [name, user] of Object.entries(input.users ?? {})) {
    problems.check(user.auth !== "direct-iam" || input.database.iamAuthentication !== false, `users.${name}.auth`, user.auth,
      "needs database.iamAuthentication: the database itself must accept IAM tokens");
  }
  validateProxySettings(input.proxy ?? {}, engineFamilyOf(engine), input.production === true, problems.at("proxy"));
  validateClients(input, problems.at("clients"));
  validateAdditionalParameters(input.parameters ?? {}, problems.at("parameters"));
  (input.policySuppressions ?? []).forEach((s, i) => {
    const at = problems.at(`policySuppressions[${i}]`);
    at.check(packRule(s.rule) !== undefined, "rule", s.rule, "must be a rule id of the dbstack pack (see modules/policy/pack.ts)");
    at.oneOf("construct", s.construct, SUPPRESSIBLE_CONSTRUCTS);
    at.check(typeof s.reason === "string" && s.reason.trim().length >= 10, "reason", s.reason, "must explain the suppression in at least 10 characters");
  });
}

function validateClients(input: EnvironmentInput, problems: Problems): void {
  const clients = input.clients ?? {};
  const users = Object.entries(input.users ?? {});
  const master = input.database.masterUsername ?? DEFAULT_MASTER_USERNAME;
  // The clients dbstack wires connect through the proxy; direct-IAM users are for other consumers.
  const proxied = users.filter(([, u]) => u.auth !== "direct-iam");
  if (clients.ecs) validateEcsSettings(clients.ecs, proxied.map(([name]) => name), problems.at("ecs"));
  if (clients.lambda) {
    const auth = Object.fromEntries([...users.map(([name, u]) => [name, u.auth ?? "iam"]), [master, input.proxy?.masterAuth ?? "iam"]]);
    validateLambdaSettings(clients.lambda, auth, problems.at("lambda"));
  }
  if (clients.migrations) {
    validateMigrationSettings(clients.migrations, Object.fromEntries(proxied.map(([name, u]) => [name, u.privileges])), problems.at("migrations"));
    problems.check(!clients.migrations.pipeline || clients.ecs !== undefined, "migrations.pipeline", "(set)",
      "needs clients.ecs: the Deploy stage updates that service and passes its task roles");
  }
}

function validateTags(tags: Readonly<Record<string, string>>, problems: Problems): void {
  const entries = Object.entries(tags);
  problems.check(entries.length <= MAX_USER_TAGS, "tags", `${entries.length} tags`, `must be at most ${MAX_USER_TAGS} tags`);
  for (const [key, value] of entries) {
    problems.check(key.length >= 1 && key.length <= 128 && TAG_TEXT.test(key) && !key.toLowerCase().startsWith("aws:"), `tags.${key}`, key,
      "key must be 1..128 letters, digits, spaces or _.:/=+-@ and must not start with aws:");
    problems.check(typeof value === "string" && value.length <= 256 && TAG_TEXT.test(value), `tags.${key}`, value,
      "value must be at most 256 letters, digits, spaces or _.:/=+-@");
  }
}

function validateBackend(backend: StateBackend, problems: Problems): void {
  if (!problems.oneOf("type", backend?.type, ["s3", "local"])) return;
  if (backend.type !== "s3") return;
  problems.matches("bucket", backend.bucket, BUCKET_NAME, "must be an S3 bucket name: 3..63 lowercase letters, digits, dots and hyphens");
  problems.matches("keyPrefix", backend.keyPrefix, STATE_KEY_PREFIX, 'must be an S3 key prefix without leading or trailing "/", e.g. "dbstack/orders"');
  problems.check(isRegionName(backend.region), "region", backend.region, 'must be an AWS region name such as "eu-west-1"');
  if (backend.kmsKeyArn !== undefined) problems.matches("kmsKeyArn", backend.kmsKeyArn, KMS_KEY_ARN, "must be a KMS key ARN");
}

function resolveEnvironment(input: EnvironmentInput): EnvironmentConfig {
  const namePrefix = `${input.app}-${input.name}`;
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
    parameters: input.parameters ?? {},
    policySuppressions: input.policySuppressions ?? [],
    defaultLogRetentionDays: input.production ? 365 : 30,
    namePrefix,
  };
}

export { ValidationError };
