/**
 * What an environment configures about being watched (`monitoring` in environments.ts): where
 * notifications go, and threshold overrides. Every threshold has a default derived from the environment's
 * own model — the connection budget, the pool settings, the engine's max_connections, the instance's
 * memory and storage — so synth and operations never disagree; an override replaces one number.
 */
import { ADMIN_RESERVE_CLIENT, type Budget } from "../budget.ts";
import { Problems, isRecord } from "../validation.ts";

export interface NotificationsInput {
  /**
   * An existing SNS topic (in the environment's region) to notify instead of creating one. Its policy must
   * let cloudwatch.amazonaws.com and events.rds.amazonaws.com publish, and its key must let them use it.
   * @default a topic "<app>-<name>-alarms" encrypted with the environment key
   */
  readonly topicArn?: string;
  /** Email addresses; each must confirm the subscription from the mail SNS sends. @default none */
  readonly email?: readonly string[];
  /** HTTPS endpoints (e.g. a pager's webhook); each must confirm the subscription. @default none */
  readonly https?: readonly string[];
  /** SQS queue ARNs; the queue's policy must allow the topic to send. @default none */
  readonly sqs?: readonly string[];
  /** Lambda function ARNs; dbstack adds the permission for the topic to invoke each. @default none */
  readonly lambda?: readonly string[];
}

/** Overrides of the thresholds dbstack derives; each is optional. */
export interface ThresholdsInput {
  /** Proxy pool use (DatabaseConnections / MaxDatabaseConnectionsAllowed), percent. @default the budget's levels: warning 80, error 100 */
  readonly proxyPoolPercent?: { readonly warning?: number; readonly error?: number };
  /** Average borrow latency as a share of the pool's borrow timeout, percent 1..100. @default 50 */
  readonly borrowLatencyPercentOfTimeout?: number;
  /** Pinned database connections as a share of the proxy's connections, percent 1..100. @default 50 */
  readonly pinnedPercent?: number;
  /** Client connections to the proxy. @default the budget's total demand; no alarm when the environment configures no client */
  readonly clientConnections?: number;
  /** Database CPU, percent 1..100. @default 80 */
  readonly cpuPercent?: number;
  /** Freeable memory floor, MiB. @default 10 % of the instance's memory (Serverless v2: of the minimum capacity's) */
  readonly freeableMemoryMiB?: number;
  /** Database connections as a share of max_connections, percent 1..100. @default 90 */
  readonly databaseConnectionsPercent?: number;
  /** Serverless v2 ACUUtilization, percent 1..100. @default 90 */
  readonly acuUtilizationPercent?: number;
  /** Aurora replica lag, milliseconds 1..3600000. @default 1000 */
  readonly replicaLagMs?: number;
  /** Aurora provisioned: free local storage floor, MiB. @default 2048 */
  readonly freeLocalStorageMiB?: number;
  /** RDS: free storage floor as a share of allocated storage, percent 1..50. @default 5 (autoscaling adds storage below 10 %) */
  readonly freeStoragePercent?: number;
  /** Read latency, milliseconds 1..10000. @default 20 */
  readonly readLatencyMs?: number;
  /** Write latency, milliseconds 1..10000. @default 20 */
  readonly writeLatencyMs?: number;
  /** PostgreSQL: MaximumUsedTransactionIDs, 100000000..2000000000. @default 1000000000 (wraparound stops writes near 2^31) */
  readonly maximumUsedTransactionIds?: number;
}

export interface MonitoringSettingsInput {
  /** @default a new topic and no subscription: refused in production */
  readonly notifications?: NotificationsInput;
  readonly thresholds?: ThresholdsInput;
}

export type SubscriptionProtocol = "email" | "https" | "sqs" | "lambda";

export interface MonitoringSettings {
  readonly topicArn?: string;
  readonly subscriptions: readonly { readonly protocol: SubscriptionProtocol; readonly endpoint: string }[];
  readonly thresholds: ThresholdsInput;
}

const PROTOCOLS: readonly SubscriptionProtocol[] = ["email", "https", "sqs", "lambda"];
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const HTTPS_URL = /^https:\/\/[^\s/?#]+(?:[/?#]\S*)?$/;
const SNS_TOPIC_ARN = /^arn:aws(?:-cn|-us-gov)?:sns:([a-z0-9-]+):\d{12}:[A-Za-z0-9_-]{1,256}$/;
const ENDPOINT_ARN: Record<"sqs" | "lambda", RegExp> = {
  sqs: /^arn:aws(?:-cn|-us-gov)?:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,80}$/,
  lambda: /^arn:aws(?:-cn|-us-gov)?:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(?::[A-Za-z0-9$_-]+)?$/,
};
const ENDPOINT_ALLOWED: Record<SubscriptionProtocol, string> = {
  email: "must be an email address",
  https: "must be an https:// URL",
  sqs: "must be an SQS queue ARN (arn:aws:sqs:<region>:<account>:<queue>)",
  lambda: "must be a Lambda function ARN (arn:aws:lambda:<region>:<account>:function:<name>)",
};

/** Ranges of the plain-number overrides: [min, max, unit, whole numbers only]. */
const RANGES: Readonly<Record<Exclude<keyof ThresholdsInput, "proxyPoolPercent">, readonly [number, number]>> = {
  borrowLatencyPercentOfTimeout: [1, 100],
  pinnedPercent: [1, 100],
  clientConnections: [1, 1_000_000],
  cpuPercent: [1, 100],
  freeableMemoryMiB: [1, 1_048_576],
  databaseConnectionsPercent: [1, 100],
  acuUtilizationPercent: [1, 100],
  replicaLagMs: [1, 3_600_000],
  freeLocalStorageMiB: [1, 1_048_576],
  freeStoragePercent: [1, 50],
  readLatencyMs: [1, 10_000],
  writeLatencyMs: [1, 10_000],
  maximumUsedTransactionIds: [100_000_000, 2_000_000_000],
};

/** Every problem with `monitoring`, at `monitoring.<setting>`. */
export function validateMonitoringSettings(input: MonitoringSettingsInput, context: { production: boolean; region: string }, problems: Problems): void {
  if (!problems.check(isRecord(input), "", input, "must be { notifications?, thresholds? }")) return;
  const notifications = input.notifications ?? {};
  if (problems.check(isRecord(notifications), "notifications", notifications, "must be { topicArn?, email?, https?, sqs?, lambda? }")) {
    let subscriptions = 0;
    for (const protocol of PROTOCOLS) {
      const endpoints = notifications[protocol];
      if (endpoints === undefined) continue;
      if (!problems.check(Array.isArray(endpoints), `notifications.${protocol}`, endpoints, "must be a list")) continue;
      subscriptions += endpoints.length;
      endpoints.forEach((endpoint, i) => {
        const pattern = protocol === "email" ? EMAIL : protocol === "https" ? HTTPS_URL : ENDPOINT_ARN[protocol];
        if (problems.matches(`notifications.${protocol}[${i}]`, endpoint, pattern, ENDPOINT_ALLOWED[protocol]) && (protocol === "sqs" || protocol === "lambda")) {
          problems.check(endpoint.split(":")[3] === context.region, `notifications.${protocol}[${i}]`, endpoint, `must be in ${context.region}: SNS delivers to ${protocol} in its own region only`);
        }
      });
      problems.check(new Set(endpoints).size === endpoints.length, `notifications.${protocol}`, endpoints, "must not repeat an endpoint");
    }
    const { topicArn } = notifications;
    if (topicArn !== undefined) {
      if (problems.matches("notifications.topicArn", topicArn, SNS_TOPIC_ARN, "must be an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)")) {
        problems.check(SNS_TOPIC_ARN.exec(topicArn)![1] === context.region, "notifications.topicArn", topicArn, `must be a topic in ${context.region}: CloudWatch alarms notify topics in their own region only`);
      }
      problems.check(subscriptions === 0, "notifications.topicArn", topicArn, "cannot be combined with email, https, sqs or lambda: subscribe those on the existing topic itself");
    } else {
      // The production contract: every alarm reaches someone.
      problems.check(!context.production || subscriptions > 0, "notifications", "(no topicArn, no subscription)",
        "must name an existing topicArn or at least one email, https, sqs or lambda subscription in production: an alarm nobody receives watches nothing");
    }
  }

  const thresholds = input.thresholds ?? {};
  if (!problems.check(isRecord(thresholds), "thresholds", thresholds, "must be an object of threshold overrides")) return;
  const known = [...Object.keys(RANGES), "proxyPoolPercent"];
  for (const key of Object.keys(thresholds)) problems.check(known.includes(key), `thresholds.${key}`, thresholds[key as keyof ThresholdsInput], `is not a threshold; known: ${known.join(", ")}`);
  for (const [key, [min, max]] of Object.entries(RANGES)) {
    const value = thresholds[key as keyof typeof RANGES];
    if (value !== undefined) problems.integer(`thresholds.${key}`, value, min, max);
  }
  const pool = thresholds.proxyPoolPercent;
  if (pool !== undefined && problems.check(isRecord(pool), "thresholds.proxyPoolPercent", pool, "must be { warning?, error? }")) {
    const warningOk = pool.warning === undefined || problems.integer("thresholds.proxyPoolPercent.warning", pool.warning, 1, 100);
    const errorOk = pool.error === undefined || problems.integer("thresholds.proxyPoolPercent.error", pool.error, 1, 100);
    if (warningOk && errorOk) {
      const warning = pool.warning ?? DEFAULT_POOL_WARNING_PERCENT;
      const error = pool.error ?? DEFAULT_POOL_ERROR_PERCENT;
      problems.check(warning < error, "thresholds.proxyPoolPercent.warning", warning, `must be below the error level (${error}): a warning comes before the error it warns of`);
    }
  }
}

export function resolveMonitoringSettings(input: MonitoringSettingsInput = {}): MonitoringSettings {
  const n = input.notifications ?? {};
  return {
    ...(n.topicArn ? { topicArn: n.topicArn } : {}),
    subscriptions: PROTOCOLS.flatMap((protocol) => (n[protocol] ?? []).map((endpoint) => ({ protocol, endpoint }))),
    thresholds: { ...input.thresholds },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Thresholds from the model
// ---------------------------------------------------------------------------------------------------------

/** The budget's levels: demand above 80 % of supply warns, above 100 % fails the synth. */
export const DEFAULT_POOL_WARNING_PERCENT = 80;
export const DEFAULT_POOL_ERROR_PERCENT = 100;
const MIB = 1024 ** 2;
const GIB = 1024 ** 3;

/** What the defaults are derived from. */
export interface MonitoringModel {
  readonly budget: Budget;
  readonly borrowTimeoutSeconds: number;
  /** Memory of one instance in GiB (Serverless v2: at the minimum capacity, 2 GiB per ACU). */
  readonly instanceMemoryGiB: number;
  /** RDS instance storage; undefined for Aurora. */
  readonly allocatedStorageGiB?: number;
}

/** Every threshold in the unit its metric is published in. */
export interface Thresholds {
  readonly proxyPoolWarningPercent: number;
  readonly proxyPoolErrorPercent: number;
  /** Microseconds (DatabaseConnectionsBorrowLatency's unit). */
  readonly borrowLatencyMicroseconds: number;
  readonly pinnedPercent: number;
  /** Undefined when no client is configured (and none overridden): the budget has nothing to hold clients to. */
  readonly clientConnections?: number;
  readonly cpuPercent: number;
  readonly freeableMemoryBytes: number;
  readonly databaseConnections: number;
  readonly acuUtilizationPercent: number;
  readonly replicaLagMs: number;
  readonly freeLocalStorageBytes: number;
  /** RDS only. */
  readonly freeStorageBytes?: number;
  /** Seconds (ReadLatency's unit). */
  readonly readLatencySeconds: number;
  readonly writeLatencySeconds: number;
  readonly maximumUsedTransactionIds: number;
}

export function deriveThresholds(overrides: ThresholdsInput, model: MonitoringModel): Thresholds {
  const o = overrides;
  const timeout = Math.max(model.borrowTimeoutSeconds, 1);
  const freeStoragePercent = o.freeStoragePercent ?? 5;
  const configuredClients = model.budget.demand.some((d) => d.client !== ADMIN_RESERVE_CLIENT);
  return {
    proxyPoolWarningPercent: o.proxyPoolPercent?.warning ?? DEFAULT_POOL_WARNING_PERCENT,
    proxyPoolErrorPercent: o.proxyPoolPercent?.error ?? DEFAULT_POOL_ERROR_PERCENT,
    borrowLatencyMicroseconds: Math.round(timeout * 1_000_000 * (o.borrowLatencyPercentOfTimeout ?? 50) / 100),
    pinnedPercent: o.pinnedPercent ?? 50,
    ...(o.clientConnections !== undefined || configuredClients ? { clientConnections: o.clientConnections ?? model.budget.totalDemand } : {}),
    cpuPercent: o.cpuPercent ?? 80,
    freeableMemoryBytes: o.freeableMemoryMiB !== undefined ? o.freeableMemoryMiB * MIB : Math.round(model.instanceMemoryGiB * GIB * 0.1),
    databaseConnections: Math.floor(model.budget.maxConnections.value * (o.databaseConnectionsPercent ?? 90) / 100),
    acuUtilizationPercent: o.acuUtilizationPercent ?? 90,
    replicaLagMs: o.replicaLagMs ?? 1000,
    freeLocalStorageBytes: (o.freeLocalStorageMiB ?? 2048) * MIB,
    ...(model.allocatedStorageGiB !== undefined ? { freeStorageBytes: Math.round(model.allocatedStorageGiB * GIB * freeStoragePercent / 100) } : {}),
    readLatencySeconds: (o.readLatencyMs ?? 20) / 1000,
    writeLatencySeconds: (o.writeLatencyMs ?? 20) / 1000,
    maximumUsedTransactionIds: o.maximumUsedTransactionIds ?? 1_000_000_000,
  };
}
