/**
 * The pull-request review page: what each environment's synth contains, what changed against a base
 * synth, and which changes would replace stateful resources. Pure: it is given the parsed synth output.
 */
import { LAYERS, parseStackName } from "../names/stack-names.ts";

type Json = Record<string, unknown>;
type Resources = Record<string, Record<string, Json>>;

export interface SynthesizedEnvironment {
  readonly name: string;
  /** The environment's stacks ("<env>-<layer>") as synthesized, by stack name. */
  readonly stacks: Readonly<Record<string, Json>>;
  /** cdktf.out/dbstack/<env>/policy.json, when present. */
  readonly policy?: readonly PolicyFinding[];
  /** cdktf.out/dbstack/<env>/budget.json, when present. */
  readonly budget?: BudgetReport;
}

export interface PolicyFinding {
  readonly rule: string;
  readonly level: string;
  readonly status: string;
  /** The stack the resource is in (findings written before stacks were layered have none). */
  readonly stack?: string;
  readonly resource: string;
  readonly message: string;
  readonly suppressed?: string;
}

export interface BudgetReport {
  readonly maxConnections: { readonly value: number; readonly source: string };
  readonly maxConnectionsPercent: number;
  readonly supply: number;
  readonly demand: readonly { readonly client: string; readonly connections: number; readonly basis: string }[];
  readonly totalDemand: number;
  readonly headroom: number;
  readonly utilisation: number;
  readonly status: string;
  /** Extra supply behind the read-only endpoint, for the most readers there can be. */
  readonly readers?: { readonly readers: number; readonly supply: number; readonly basis: string };
  /** The alarms that watch the budget live, when the environment has them. */
  readonly watchedBy?: { readonly warning: string; readonly error: string; readonly demand?: string };
}

const resourcesOf = (stack: Json): Resources => (stack.resource ?? {}) as Resources;
const all = (stack: Json, type: string): Json[] => Object.values(resourcesOf(stack)[type] ?? {});
const first = (stack: Json, type: string): Json | undefined => all(stack, type)[0];
const block = (value: unknown): Json | undefined => (Array.isArray(value) ? (value[0] as Json) : (value as Json | undefined));

// ---------------------------------------------------------------------------------------------------------
// Summary of one environment
// ---------------------------------------------------------------------------------------------------------

export interface EnvironmentSummary {
  readonly name: string;
  readonly database: {
    readonly kind: "Aurora cluster" | "RDS instance" | "none";
    readonly identifier: string;
    readonly engine: string;
    readonly version: string;
    readonly capacity: string;
    readonly readers: number;
    readonly backupDays: number | undefined;
    readonly deletionProtection: boolean;
    readonly storageKey: string;
  };
  readonly proxy?: {
    readonly name: string;
    readonly requireTls: boolean;
    readonly idleClientTimeout: unknown;
    readonly debugLogging: boolean;
    readonly users: readonly { readonly user: string; readonly iam: string }[];
    readonly pool: Json;
    readonly readOnlyEndpoint: boolean;
  };
  readonly logRetention: readonly { readonly group: string; readonly days: unknown }[];
  /** Each database secret and its rotation schedule: "every 30 days", "rate(12 hours), 3 h window", or "none". */
  readonly secrets: readonly { readonly secret: string; readonly rotation: string }[];
  readonly keys: readonly string[];
  readonly resourceCounts: Readonly<Record<string, number>>;
  /** Each stack of the environment with its resource count, in the order they are applied. */
  readonly stacks: readonly { readonly name: string; readonly resources: number }[];
  /** Every CloudWatch alarm, by name. */
  readonly alarms: readonly AlarmSummary[];
}

export interface AlarmSummary {
  readonly name: string;
  /** "AWS/RDS DatabaseConnections {ProxyName=…} Sum 60 s", or the metric-math expression over such metrics. */
  readonly metric: string;
  /** e.g. "> 1527". */
  readonly threshold: string;
  /** How many ALARM actions it has ("none" is a policy finding in production). */
  readonly actions: string;
}

const COMPARISON: Readonly<Record<string, string>> = {
  GreaterThanOrEqualToThreshold: ">=", GreaterThanThreshold: ">", LessThanThreshold: "<", LessThanOrEqualToThreshold: "<=",
};

function describeMetric(m: Json): string {
  const dimensions = Object.entries((m.dimensions ?? {}) as Record<string, unknown>).map(([k, v]) => `${k}=${String(v)}`).join(", ");
  return `${String(m.namespace)} ${String(m.metric_name)}${dimensions ? ` {${dimensions}}` : ""} ${String(m.statistic ?? m.stat)} ${String(m.period)} s`;
}

/** The alarms of a set of stacks, as the review lists them; pure over the synthesized attributes. */
export function alarmsOf(stacks: readonly Json[]): AlarmSummary[] {
  return stacks.flatMap((stack) => all(stack, "aws_cloudwatch_metric_alarm")).map((a) => {
    const queries = (a.metric_query ?? []) as Json[];
    const expression = queries.find((q) => q.expression);
    const metric = expression
      ? `${String(expression.expression)} where ${queries.filter((q) => q.metric).map((q) => `${String(q.id)} = ${describeMetric(block(q.metric) ?? {})}`).join("; ")}`
      : describeMetric(a);
    const actions = Array.isArray(a.alarm_actions) && a.alarm_actions.length > 0 && a.actions_enabled !== false ? `${a.alarm_actions.length} (and OK: ${Array.isArray(a.ok_actions) ? a.ok_actions.length : 0})` : "none";
    return { name: String(a.alarm_name), metric, threshold: `${COMPARISON[String(a.comparison_operator)] ?? String(a.comparison_operator)} ${String(a.threshold)}`, actions };
  }).sort((x, y) => x.name.localeCompare(y.name));
}

export interface AlarmChange {
  readonly name: string;
  readonly kind: "added" | "removed" | "changed";
  readonly before?: AlarmSummary;
  readonly after?: AlarmSummary;
}

/** Alarms added, removed, or with another metric, threshold or actions, by alarm name. */
export function diffAlarms(base: readonly AlarmSummary[], head: readonly AlarmSummary[]): AlarmChange[] {
  const before = new Map(base.map((a) => [a.name, a]));
  const after = new Map(head.map((a) => [a.name, a]));
  const changes: AlarmChange[] = [];
  for (const [name, a] of after) {
    const b = before.get(name);
    if (!b) changes.push({ name, kind: "added", after: a });
    else if (JSON.stringify(a) !== JSON.stringify(b)) changes.push({ name, kind: "changed", before: b, after: a });
  }
  for (const [name, b] of before) if (!after.has(name)) changes.push({ name, kind: "removed", before: b });
  return changes.sort((x, y) => x.name.localeCompare(y.name));
}

/** Where a stack comes in the apply order; a stack that is not "<env>-<layer>" comes last. */
function layerIndex(stack: string): number {
  const layer = parseStackName(stack)?.layer;
  return layer ? LAYERS.indexOf(layer) : LAYERS.length;
}

/** Every stack's resources in one document, for questions about the whole environment. */
function mergedResources(env: SynthesizedEnvironment): Json {
  const resource: Resources = {};
  for (const stack of Object.values(env.stacks)) {
    for (const [type, byName] of Object.entries(resourcesOf(stack))) Object.assign((resource[type] ??= {}), byName);
  }
  return { resource };
}

export function summarize(env: SynthesizedEnvironment): EnvironmentSummary {
  const stack = mergedResources(env);
  const cluster = first(stack, "aws_rds_cluster");
  const instance = first(stack, "aws_db_instance");
  const members = all(stack, "aws_rds_cluster_instance");
  const db = cluster ?? instance;
  const scaling = block(cluster?.serverlessv2_scaling_configuration);
  const capacity = scaling
    ? `Serverless v2, ${scaling.min_capacity}–${scaling.max_capacity} ACU`
    : String(members[0]?.instance_class ?? instance?.instance_class ?? "—") + (instance?.multi_az ? ", Multi-AZ" : "");
  const proxy = first(stack, "aws_db_proxy");
  const resourceCounts = Object.fromEntries(Object.entries(resourcesOf(stack)).sort(([a], [b]) => a.localeCompare(b)).map(([type, byName]) => [type, Object.keys(byName).length]));
  return {
    name: env.name,
    database: {
      kind: cluster ? "Aurora cluster" : instance ? "RDS instance" : "none",
      identifier: String(cluster?.cluster_identifier ?? instance?.identifier ?? "—"),
      engine: String(db?.engine ?? "—"),
      version: String(db?.engine_version ?? "—"),
      capacity,
      readers: cluster ? Math.max(0, members.length - 1) : 0,
      backupDays: db?.backup_retention_period as number | undefined,
      deletionProtection: db?.deletion_protection === true,
      storageKey: keyName(db?.kms_key_id),
    },
    ...(proxy ? {
      proxy: {
        name: String(proxy.name),
        requireTls: proxy.require_tls === true,
        idleClientTimeout: proxy.idle_client_timeout,
        debugLogging: proxy.debug_logging === true,
        users: ((proxy.auth ?? []) as Json[]).map((a) => ({ user: String(a.description ?? "?"), iam: String(a.iam_auth ?? "?") })),
        pool: block(first(stack, "aws_db_proxy_default_target_group")?.connection_pool_config) ?? {},
        readOnlyEndpoint: all(stack, "aws_db_proxy_endpoint").length > 0,
      },
    } : {}),
    logRetention: all(stack, "aws_cloudwatch_log_group").map((g) => ({ group: String(g.name), days: g.retention_in_days })),
    secrets: secretSchedules(stack, db !== undefined),
    keys: all(stack, "aws_kms_alias").map((a) => String(a.name)),
    resourceCounts,
    stacks: Object.entries(env.stacks).sort(([a], [b]) => layerIndex(a) - layerIndex(b) || a.localeCompare(b))
      .map(([name, json]) => ({ name, resources: Object.values(resourcesOf(json)).reduce((sum, byName) => sum + Object.keys(byName).length, 0) })),
    alarms: alarmsOf(Object.values(env.stacks)),
  };
}

/**
 * Each user secret and the RDS-managed master secret with the schedule that rotates it. A schedule in the
 * proxy layer names its secret by a cross-stack reference whose output name carries the secret's logical
 * id (…aws_secretsmanager_secret<id>arn), or the cluster's or instance's master_user_secret.
 */
function secretSchedules(stack: Json, hasDatabase: boolean): { secret: string; rotation: string }[] {
  const rotations = all(stack, "aws_secretsmanager_secret_rotation");
  const scheduleOf = (matches: (secretId: string) => boolean, viaFunction: boolean): string => {
    const rotation = rotations.find((r) => matches(String(r.secret_id)));
    if (!rotation) return "none";
    const rules = block(rotation.rotation_rules) ?? {};
    const when = rules.automatically_after_days !== undefined ? `every ${String(rules.automatically_after_days)} days` : String(rules.schedule_expression ?? "?");
    const window = rules.duration !== undefined ? `, ${String(rules.duration)} window` : "";
    const how = viaFunction ? (rotation.rotation_lambda_arn !== undefined ? "rotation function" : "**no function**") : "managed by RDS";
    return `${when}${window} (${how})`;
  };
  const users = Object.entries(resourcesOf(stack).aws_secretsmanager_secret ?? {}).map(([id, secret]) => ({
    secret: String(secret.name),
    rotation: scheduleOf((secretId) => secretId.includes(`aws_secretsmanager_secret${id}arn`) || secretId.includes(`aws_secretsmanager_secret.${id}.arn`), true),
  }));
  return hasDatabase ? [...users, { secret: "master (RDS-managed)", rotation: scheduleOf((secretId) => secretId.includes("master_user_secret"), false) }] : users;
}

function keyName(value: unknown): string {
  if (typeof value !== "string" || value === "") return "none";
  const ref = /^\$\{aws_kms_key\.([^.]+)\.arn\}$/.exec(value);
  return ref ? `customer managed key (${ref[1]})` : value;
}

// ---------------------------------------------------------------------------------------------------------
// Mermaid diagram of the data path
// ---------------------------------------------------------------------------------------------------------

/** Text safe inside a quoted Mermaid label. */
function label(text: string): string {
  return text.replace(/"/g, "#quot;").replace(/[<>]/g, "").replace(/\$\{[^}]*\}/g, "(ref)");
}

export function dataPathDiagram(env: SynthesizedEnvironment): string {
  const stack = mergedResources(env);
  const summary = summarize(env);
  const lines = ["flowchart LR"];
  const outputs = Object.assign({}, ...Object.values(env.stacks).map((s) => s.output ?? {})) as Record<string, { value?: unknown }>;
  const port = String(outputs.database_port?.value ?? "");
  const clients: string[] = [];
  // Every service has a task role "<family>-ecs-task"; a template-mode one has no task definition resource.
  const families = all(stack, "aws_iam_role").map((r) => String(r.name)).filter((name) => name.endsWith("-ecs-task")).map((name) => name.slice(0, -"-ecs-task".length)).sort();
  const nodeId = (kind: string, i: number) => (i === 0 ? kind : `${kind}${i + 1}`);
  families.forEach((family, i) => clients.push(`    ${nodeId("ecs", i)}["ECS service ${label(family)}"]`));
  // The setup and rotation functions are not clients: they reach the writer directly, through the setup group.
  const functions = all(stack, "aws_lambda_function");
  const setup = functions.find((f) => String(f.function_name).endsWith("-db-setup"));
  const rotation = functions.find((f) => String(f.function_name).endsWith("-db-rotate"));
  functions.filter((f) => f !== setup && f !== rotation).forEach((f, i) => clients.push(`    ${nodeId("lambda", i)}["Lambda ${label(String(f.function_name))}"]`));
  const migrate = all(stack, "aws_codebuild_project").find((p) => String(p.name).endsWith("-migrate"));
  if (migrate) clients.push(`    migrate["CodeBuild ${label(String(migrate.name))}"]`);
  if (clients.length === 0) clients.push('    clients["database clients"]');
  lines.push('  subgraph clientsSg["SG database-clients"]', ...clients, "  end");

  if (summary.proxy) {
    const iamUsers = summary.proxy.users.filter((u) => u.iam === "REQUIRED").length;
    lines.push('  subgraph proxySg["SG proxy"]');
    lines.push(`    proxy["RDS Proxy ${label(summary.proxy.name)}<br/>TLS ${summary.proxy.requireTls ? "required" : "optional"}, IAM for ${iamUsers}/${summary.proxy.users.length} users"]`);
    if (summary.proxy.readOnlyEndpoint) lines.push('    proxyRo["read-only endpoint"]');
    lines.push("  end");
  }
  lines.push('  subgraph databaseSg["SG database"]');
  const members = all(stack, "aws_rds_cluster_instance");
  const scaling = all(stack, "aws_appautoscaling_target").find((t) => t.scalable_dimension === "rds:cluster:ReadReplicaCount" && Number(t.max_capacity) > members.length - 1);
  if (summary.database.kind === "Aurora cluster") {
    members.forEach((m, i) => lines.push(`    db${i}[("${i === 0 ? "writer" : "reader"} ${label(String(m.identifier))}")]`));
    if (scaling) lines.push(`    dbScaled[("up to ${Number(scaling.max_capacity) - (members.length - 1)} more readers added by Aurora Auto Scaling")]`);
  } else {
    lines.push(`    db0[("${label(summary.database.identifier)}${summary.database.capacity.includes("Multi-AZ") ? " + standby" : ""}")]`);
  }
  lines.push("  end");

  const secrets = all(stack, "aws_secretsmanager_secret").map((s) => String(s.name).split("/").at(-1));
  lines.push(`  secrets[["Secrets Manager: ${label([...secrets, "master (RDS-managed)"].join(", "))}"]]`);
  lines.push(`  key{{"KMS ${label(summary.keys[0] ?? summary.database.storageKey)}"}}`);
  const clientIds = clients.map((c) => /^\s+(\w+)\[/.exec(c)![1]!);
  const target = summary.proxy ? "proxy" : "db0";
  for (const id of clientIds) lines.push(`  ${id} -->|"TLS :${port}"| ${target}`);
  if (summary.proxy) {
    lines.push(`  proxy -->|":${port}"| db0`);
    if (summary.proxy.readOnlyEndpoint) members.slice(1).forEach((_, i) => lines.push(`  proxyRo --> db${i + 1}`));
    if (summary.proxy.readOnlyEndpoint && scaling) lines.push("  proxyRo -.-> dbScaled");
    lines.push('  proxy -. "proxy role reads" .-> secrets');
  }
  if (setup) {
    lines.push(`  setup[/"setup on deploy: ${label(String(setup.function_name))}"/]`);
    lines.push(`  setup -->|"TLS :${port}, master secret"| db0`);
    lines.push("  setup -. writes user secrets .-> secrets");
  }
  if (rotation) {
    const scheduled = all(stack, "aws_secretsmanager_secret_rotation").some((r) => r.rotation_lambda_arn !== undefined);
    lines.push(`  rotate[/"rotation ${scheduled ? "on a schedule" : "on npm run rotate"}: ${label(String(rotation.function_name))}"/]`);
    lines.push(`  rotate -->|"TLS :${port}, master secret"| db0`);
    lines.push("  secrets -. invokes .-> rotate");
  }
  lines.push("  secrets -. encrypted by .-> key");
  lines.push("  db0 -. encrypted by .-> key");
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------------------------
// Diff against a base synth
// ---------------------------------------------------------------------------------------------------------

/** Attributes whose change makes Terraform replace a stateful resource. */
export const REPLACING_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  aws_rds_cluster: ["cluster_identifier", "engine", "kms_key_id", "storage_encrypted", "master_username", "db_subnet_group_name", "database_name", "engine_mode"],
  aws_rds_cluster_instance: ["identifier", "engine", "cluster_identifier", "availability_zone", "db_subnet_group_name"],
  aws_db_instance: ["identifier", "engine", "kms_key_id", "storage_encrypted", "username", "db_subnet_group_name", "availability_zone"],
  aws_db_proxy: ["name", "engine_family", "vpc_subnet_ids"],
  aws_db_proxy_target: ["db_cluster_identifier", "db_instance_identifier", "db_proxy_name", "target_group_name"],
  aws_db_subnet_group: ["name"],
  aws_kms_key: ["customer_master_key_spec", "key_usage"],
  aws_secretsmanager_secret: ["name"],
};

/** Resources whose loss loses data or breaks every client: their removal is flagged like a replacement. */
export const STATEFUL_TYPES = new Set(["aws_rds_cluster", "aws_rds_cluster_instance", "aws_db_instance", "aws_kms_key", "aws_secretsmanager_secret", "aws_db_proxy", "aws_db_subnet_group"]);

const SECRET_ATTRIBUTE = /password|secret_string|token|private_key|secret_key/i;

export interface AttributeChange {
  readonly path: string;
  readonly before: unknown;
  readonly after: unknown;
}

export interface ResourceChange {
  /** The stack the resource is (or was) in: a resource moving between stacks is destroyed in one and created in the other. */
  readonly stack: string;
  readonly address: string;
  readonly kind: "added" | "removed" | "changed";
  readonly changes: readonly AttributeChange[];
  /** Why this change replaces or destroys a stateful resource, when it does. */
  readonly replacement?: string;
}

function flatten(value: unknown, prefix = "", out: Record<string, unknown> = {}): Record<string, unknown> {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value)) flatten(child, prefix ? `${prefix}.${key}` : key, out);
    if (Object.keys(value).length === 0 && prefix) out[prefix] = {};
  } else if (Array.isArray(value) && value.some((v) => v !== null && typeof v === "object")) {
    value.forEach((child, i) => flatten(child, `${prefix}[${i}]`, out));
  } else {
    out[prefix] = value;
  }
  return out;
}

function redacted(path: string, value: unknown): unknown {
  return SECRET_ATTRIBUTE.test(path) && value !== undefined ? "(redacted)" : value;
}

/** Resources keyed by "<stack> <type>.<name>": state is per stack, so the same address in two stacks is two resources. */
function addressesOf(stacks: Readonly<Record<string, Json>>): Map<string, { stack: string; address: string; type: string; attrs: Json }> {
  return new Map(Object.entries(stacks).flatMap(([stack, json]) => Object.entries(resourcesOf(json)).flatMap(([type, byName]) =>
    Object.entries(byName).map(([name, attrs]) => [`${stack} ${type}.${name}`, { stack, address: `${type}.${name}`, type, attrs }] as const))));
}

export function diffStacks(base: Readonly<Record<string, Json>>, head: Readonly<Record<string, Json>>): ResourceChange[] {
  const before = addressesOf(base);
  const after = addressesOf(head);
  const changes: ResourceChange[] = [];
  for (const [key, { stack, address, type, attrs }] of after) {
    const old = before.get(key)?.attrs;
    if (!old) {
      changes.push({ stack, address, kind: "added", changes: [] });
      continue;
    }
    const a = flatten(old);
    const b = flatten(attrs);
    const paths = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    const diff = paths.filter((p) => JSON.stringify(a[p]) !== JSON.stringify(b[p])).map((path) => ({ path, before: redacted(path, a[path]), after: redacted(path, b[path]) }));
    if (diff.length === 0) continue;
    const forcing = diff.map((d) => d.path.split(/[.[]/)[0]!).filter((attr) => (REPLACING_ATTRIBUTES[type] ?? []).includes(attr));
    changes.push({ stack, address, kind: "changed", changes: diff, ...(forcing.length > 0 ? { replacement: `${[...new Set(forcing)].join(", ")} changed: ${type} is replaced` } : {}) });
  }
  for (const [key, { stack, address, type }] of before) {
    if (after.has(key)) continue;
    const moved = [...after.values()].find((a) => a.address === address && a.stack !== stack);
    const why = moved ? `moves to ${moved.stack}: a new state, so it is destroyed here and created there` : "a renamed construct id moves it to a new address";
    changes.push({ stack, address, kind: "removed", changes: [], ...(STATEFUL_TYPES.has(type) ? { replacement: `${type} is destroyed (${why})` } : {}) });
  }
  return changes.sort((x, y) => x.stack.localeCompare(y.stack) || x.address.localeCompare(y.address));
}

// ---------------------------------------------------------------------------------------------------------
// Engine version changes: the most consequential change a PR can make
// ---------------------------------------------------------------------------------------------------------

export interface EngineVersionChange {
  readonly stack: string;
  readonly address: string;
  readonly from: string;
  readonly to: string;
  /** major: allow_major_version_upgrade is set; minor: planned; not-planned: ignore_changes keeps what runs. */
  readonly kind: "major" | "minor" | "not-planned";
  /** What applying it does, for the reviewer. */
  readonly effects: readonly string[];
}

const DATABASE_TYPES = ["aws_rds_cluster", "aws_db_instance"];
const PARAMETER_GROUP_TYPES = ["aws_rds_cluster_parameter_group", "aws_db_parameter_group"];

/** Every database whose engine_version differs between base and head, with what applying it does. */
export function engineVersionChanges(base: Readonly<Record<string, Json>>, head: Readonly<Record<string, Json>>): EngineVersionChange[] {
  const found: EngineVersionChange[] = [];
  for (const [stack, json] of Object.entries(head)) {
    for (const type of DATABASE_TYPES) {
      for (const [name, attrs] of Object.entries(resourcesOf(json)[type] ?? {})) {
        const old = resourcesOf(base[stack] ?? {})[type]?.[name];
        if (!old || old.engine_version === attrs.engine_version) continue;
        const from = String(old.engine_version);
        const to = String(attrs.engine_version);
        const ignored = ((attrs.lifecycle as Json | undefined)?.ignore_changes as string[] | undefined)?.includes("engine_version") ?? false;
        const kind = ignored ? "not-planned" : attrs.allow_major_version_upgrade === true ? "major" : "minor";
        const groups = PARAMETER_GROUP_TYPES.flatMap((t) => Object.entries(resourcesOf(json)[t] ?? {}).map(([n, g]) => ({ before: resourcesOf(base[stack] ?? {})[t]?.[n], after: g })))
          .filter((g) => g.before && g.before.family !== g.after.family);
        const when = attrs.apply_immediately === true ? "at apply" : "in the next maintenance window";
        const effects = kind === "not-planned"
          ? [`nothing is planned: engineVersion is a least version (${to}) and the database keeps what runs; add database.upgrade { from: "<running version>" } to plan the change`]
          : kind === "major"
            ? [
              `RDS upgrades ${from} -> ${to} in place ${when}: the database is unavailable for the upgrade (every instance at once; minutes to an hour by size)`,
              "a major upgrade cannot be undone in place: take a snapshot before applying (RDS instances take one themselves when backups are on)",
              ...groups.map((g) => `parameter group swap: ${String(g.before!.name)} (${String(g.before!.family)}) -> ${String(g.after.name)} (${String(g.after.family)}), created before the database moves to it, the old one destroyed after`),
              "extensions and application drivers must support the new major; run the engine's upgrade checks on a copy first",
            ]
            : [`RDS applies the minor upgrade ${from} -> ${to} ${when}, restarting the database (seconds to minutes)`];
        found.push({ stack, address: `${type}.${name}`, from, to, kind, effects });
      }
    }
  }
  return found;
}

// ---------------------------------------------------------------------------------------------------------
// The page
// ---------------------------------------------------------------------------------------------------------

export interface Review {
  readonly environments: readonly {
    readonly summary: EnvironmentSummary;
    readonly diagram: string;
    readonly policy: readonly PolicyFinding[];
    readonly budget?: BudgetReport;
    readonly changes?: readonly ResourceChange[];
    readonly alarmChanges?: readonly AlarmChange[];
  }[];
  readonly replacements: readonly { readonly environment: string; readonly stack: string; readonly address: string; readonly reason: string }[];
  /** Engine version changes against the base, major ones first. */
  readonly engineUpgrades?: readonly (EngineVersionChange & { readonly environment: string })[];
}

export function buildReview(head: readonly SynthesizedEnvironment[], base?: readonly SynthesizedEnvironment[]): Review {
  const environments = head.map((env) => {
    const baseEnv = base?.find((b) => b.name === env.name);
    const changes = base ? diffStacks(baseEnv?.stacks ?? {}, env.stacks) : undefined;
    const summary = summarize(env);
    const alarmChanges = base ? diffAlarms(alarmsOf(Object.values(baseEnv?.stacks ?? {})), summary.alarms) : undefined;
    return { summary, diagram: dataPathDiagram(env), policy: env.policy ?? [], ...(env.budget ? { budget: env.budget } : {}), ...(changes ? { changes } : {}), ...(alarmChanges ? { alarmChanges } : {}) };
  });
  const replacements = environments.flatMap((e) => (e.changes ?? []).filter((c) => c.replacement).map((c) => ({ environment: e.summary.name, stack: c.stack, address: c.address, reason: c.replacement! })));
  const order = { major: 0, minor: 1, "not-planned": 2 } as const;
  const engineUpgrades = base ? head.flatMap((env) => engineVersionChanges(base.find((b) => b.name === env.name)?.stacks ?? {}, env.stacks).map((u) => ({ environment: env.name, ...u })))
    .sort((a, b) => order[a.kind] - order[b.kind]) : [];
  return { environments, replacements, engineUpgrades };
}

const yesNo = (value: boolean) => (value ? "yes" : "**no**");
const cell = (value: unknown) => String(value ?? "—").replace(/\|/g, "\\|").replace(/\n/g, " ");
const show = (value: unknown) => (value === undefined ? "—" : `\`${cell(JSON.stringify(value))}\``);

export function renderMarkdown(review: Review): string {
  const out: string[] = ["# dbstack review", ""];
  if (review.engineUpgrades?.length) {
    out.push("## 🔺 Engine version changes", "");
    const title = { major: "**MAJOR UPGRADE**", minor: "minor upgrade", "not-planned": "version changed in config, not planned" } as const;
    for (const u of review.engineUpgrades) {
      out.push(`- ${title[u.kind]} — ${u.environment} ${u.stack} \`${u.address}\`: ${cell(u.from)} → ${cell(u.to)}`);
      for (const effect of u.effects) out.push(`  - ${cell(effect)}`);
    }
    out.push("");
  }
  if (review.replacements.length > 0) {
    out.push("## ⚠️ Stateful resources replaced or destroyed", "", "| environment | stack | resource | why |", "| --- | --- | --- | --- |");
    for (const r of review.replacements) out.push(`| ${r.environment} | ${r.stack} | \`${r.address}\` | ${cell(r.reason)} |`);
    out.push("");
  }
  for (const env of review.environments) {
    const s = env.summary;
    out.push(`## ${s.name}`, "");
    out.push("| database | |", "| --- | --- |");
    out.push(`| kind | ${s.database.kind} \`${cell(s.database.identifier)}\` |`);
    out.push(`| engine | ${cell(s.database.engine)} ${cell(s.database.version)} |`);
    out.push(`| capacity | ${cell(s.database.capacity)} |`);
    out.push(`| readers | ${s.database.readers} |`);
    out.push(`| storage encryption | ${cell(s.database.storageKey)} |`);
    out.push(`| backups | ${s.database.backupDays ?? "—"} days |`);
    out.push(`| deletion protection | ${yesNo(s.database.deletionProtection)} |`);
    out.push(`| keys | ${cell(s.keys.join(", ") || "none created")} |`, "");
    if (s.proxy) {
      const p = s.proxy;
      out.push("| proxy | |", "| --- | --- |");
      out.push(`| name | \`${cell(p.name)}\` |`);
      out.push(`| TLS required | ${yesNo(p.requireTls)} |`);
      out.push(`| debug logging | ${p.debugLogging ? "**on**" : "off"} |`);
      out.push(`| idle client timeout | ${cell(p.idleClientTimeout)} s |`);
      out.push(`| pool | borrow timeout ${cell(p.pool.connection_borrow_timeout)} s, max connections ${cell(p.pool.max_connections_percent)} %, max idle ${cell(p.pool.max_idle_connections_percent)} % |`);
      out.push(`| read-only endpoint | ${p.readOnlyEndpoint ? "yes" : "no"} |`);
      out.push(`| users | ${p.users.map((u) => `${cell(u.user)}: IAM ${u.iam}`).join("<br/>")} |`, "");
    }
    out.push("| secret | rotation |", "| --- | --- |");
    for (const secret of s.secrets) out.push(`| \`${cell(secret.secret)}\` | ${cell(secret.rotation)} |`);
    out.push("");
    out.push("**Log retention:** " + (s.logRetention.map((l) => `\`${cell(l.group)}\` ${cell(l.days)} d`).join(", ") || "no log groups"), "");
    out.push("### Policy findings", "");
    if (env.policy.length === 0) out.push("No findings.", "");
    else {
      out.push("| rule | level | stack | resource | finding |", "| --- | --- | --- | --- | --- |");
      for (const f of env.policy) out.push(`| ${f.rule} | ${f.suppressed ? "suppressed" : f.level} | ${cell(f.stack)} | \`${cell(f.resource)}\` | ${cell(f.message)} |`);
      out.push("");
    }
    if (env.budget) {
      const b = env.budget;
      out.push("### Connection budget", "", `**${b.status.toUpperCase()}** — demand ${b.totalDemand} of ${b.supply} (${Math.round(b.utilisation * 100)} %), headroom ${b.headroom}. Supply: max_connections ${b.maxConnections.value} (${cell(b.maxConnections.source)}) × ${b.maxConnectionsPercent} %.`, "");
      out.push("| client | connections | basis |", "| --- | ---: | --- |");
      for (const d of b.demand) out.push(`| ${cell(d.client)} | ${d.connections} | ${cell(d.basis)} |`);
      out.push("");
      if (b.readers) out.push(`Readers: up to ${b.readers.readers}, ${b.readers.supply} more connections for reads through the read-only endpoint (${cell(b.readers.basis)}), not counted against the demand above.`, "");
      if (b.watchedBy) {
        out.push(`Watched live by \`${cell(b.watchedBy.warning)}\` (warning level) and \`${cell(b.watchedBy.error)}\` (error level)` +
          `${b.watchedBy.demand ? `; client connections against the total demand by \`${cell(b.watchedBy.demand)}\`` : ""}.`, "");
      }
    }
    out.push("### Alarms", "");
    if (s.alarms.length === 0) out.push("No alarms.", "");
    else {
      out.push("| alarm | metric | threshold | actions |", "| --- | --- | --- | --- |");
      for (const a of s.alarms) out.push(`| \`${cell(a.name)}\` | ${cell(a.metric)} | ${cell(a.threshold)} | ${a.actions === "none" ? "**none**" : cell(a.actions)} |`);
      out.push("");
    }
    out.push("### Data path", "", "```mermaid", env.diagram, "```", "");
    out.push("**Stacks** (applied in dependency order, each with its own state): " + s.stacks.map((st) => `\`${st.name}\` ${st.resources}`).join(", "), "");
    out.push("<details><summary>Resources by type</summary>", "", "| type | count |", "| --- | ---: |");
    for (const [type, count] of Object.entries(s.resourceCounts)) out.push(`| ${type} | ${count} |`);
    out.push("", "</details>", "");
    if (env.changes) {
      const count = (kind: string) => env.changes!.filter((c) => c.kind === kind).length;
      out.push("### Changes against base", "", `${count("added")} added, ${count("changed")} changed, ${count("removed")} removed.`, "");
      for (const change of env.changes) {
        out.push(`- **${change.kind}** ${change.stack} \`${change.address}\`${change.replacement ? ` — ⚠️ ${cell(change.replacement)}` : ""}`);
        for (const c of change.changes) out.push(`  - \`${cell(c.path)}\`: ${show(c.before)} → ${show(c.after)}`);
      }
      out.push("");
    }
    if (env.alarmChanges && env.alarmChanges.length > 0) {
      out.push("### Alarm changes", "", "| alarm | change | metric | threshold | actions |", "| --- | --- | --- | --- | --- |");
      const was = (b: string | undefined, a: string | undefined) => (b === a ? cell(a) : `${cell(b ?? "—")} → ${cell(a ?? "—")}`);
      for (const c of env.alarmChanges) out.push(`| \`${cell(c.name)}\` | ${c.kind} | ${was(c.before?.metric, c.after?.metric)} | ${was(c.before?.threshold, c.after?.threshold)} | ${was(c.before?.actions, c.after?.actions)} |`);
      out.push("");
    }
  }
  return `${out.join("\n").trimEnd()}\n`;
}
