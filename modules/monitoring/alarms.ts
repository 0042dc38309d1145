/**
 * The alarms of one environment's data path, from the client through the proxy to the database. Which
 * alarms exist follows the environment's shape (readers, Serverless v2, engine, clients); every threshold
 * comes from `Thresholds` (modules/monitoring/settings.ts), every metric from a `metricX` method
 * (modules/monitoring/metrics.ts). Each alarm says what it means and what to do first, and points at the
 * README's troubleshooting entry of the same name.
 */
import { Construct } from "constructs";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm/index.js";
import type { EngineFamily } from "../database-engines.ts";
import { cloudwatchAlarmName } from "../names.ts";
import { BuildMetrics, DatabaseMetrics, FunctionMetrics, ProxyMetrics, type MetricDescription } from "./metrics.ts";
import type { Thresholds } from "./settings.ts";
import { Problems } from "../validation.ts";

export type ComparisonOperator = "GreaterThanOrEqualToThreshold" | "GreaterThanThreshold" | "LessThanThreshold" | "LessThanOrEqualToThreshold";
export type TreatMissingData = "missing" | "notBreaching" | "breaching" | "ignore";

/** A metric-math alarm: `expression` over named metrics. */
export interface AlarmExpression {
  readonly expression: string;
  readonly label: string;
  readonly metrics: Readonly<Record<string, MetricDescription>>;
}

/** One alarm as data: what the construct creates, the review page lists and the tests check. */
export interface AlarmSpec {
  /** Stable key: the construct id and the alarm name's suffix ("<prefix>-<key>"). */
  readonly key: string;
  readonly metric: MetricDescription | AlarmExpression;
  readonly comparison: ComparisonOperator;
  readonly threshold: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly treatMissingData: TreatMissingData;
  /** What it means, then what to do first. */
  readonly meaning: string;
  readonly firstStep: string;
  /** The README troubleshooting heading (an anchor in "Troubleshooting"). */
  readonly runbook: string;
}

/** What the alarms are built for: names the upstream layers gave AWS and the environment's shape. */
export interface WatchedPath {
  readonly proxyName: string;
  /** Whether the proxy has a READ_ONLY endpoint over Aurora readers. */
  readonly readOnlyEndpoint: boolean;
  readonly database: { readonly identifier: string; readonly isCluster: boolean; readonly readers: number; readonly serverless: boolean; readonly engineFamily: EngineFamily };
  /**
   * The Lambda clients, each with the key its alarms are named by: "lambda" for the single client of old
   * (its alarms keep their names and construct ids), "function-<name>" for every named one.
   */
  readonly lambdaFunctions?: readonly { readonly key: string; readonly name: string }[];
  readonly setupFunctionName?: string;
  readonly rotationFunctionName?: string;
  readonly migrationsProjectName?: string;
}

export const README_TROUBLESHOOTING = "README.md#troubleshooting";

const isExpression = (m: MetricDescription | AlarmExpression): m is AlarmExpression => "expression" in m;

/** The alarms that apply to `path`, with their thresholds. Pure: the tests and the review read the same list. */
export function alarmSpecs(path: WatchedPath, t: Thresholds): AlarmSpec[] {
  const proxy = new ProxyMetrics(path.proxyName);
  const db = new DatabaseMetrics(path.database.identifier, path.database.isCluster);
  const poolUse: AlarmExpression = {
    expression: "100 * connections / allowed",
    label: "Proxy pool use (%)",
    metrics: { connections: proxy.metricDatabaseConnections(), allowed: proxy.metricMaxDatabaseConnectionsAllowed() },
  };
  // One minute metrics: 3 of 5 minutes, so one busy minute does not page; five-minute metrics: 2 of 3.
  const minutely = { evaluationPeriods: 5, datapointsToAlarm: 3 } as const;
  const fiveMinutely = { evaluationPeriods: 3, datapointsToAlarm: 2 } as const;
  const specs: AlarmSpec[] = [
    // ----- Proxy
    {
      key: "proxy-pool-use-warning", metric: poolUse, comparison: "GreaterThanOrEqualToThreshold", threshold: t.proxyPoolWarningPercent, ...minutely,
      // No data means no proxy traffic at all (metrics appear after the first connection): nothing to warn of.
      treatMissingData: "notBreaching",
      meaning: `The proxy holds ${t.proxyPoolWarningPercent} % or more of the database connections it may open (the connection budget's warning level).`,
      firstStep: "Compare ClientConnections with the budget (npm run synth prints it): a client opening more than its share, or pinned sessions, use up the pool.",
      runbook: "proxy-pool-nearly-exhausted",
    },
    {
      key: "proxy-pool-use-error", metric: poolUse, comparison: "GreaterThanOrEqualToThreshold", threshold: t.proxyPoolErrorPercent, ...minutely,
      treatMissingData: "notBreaching",
      meaning: `The proxy holds ${t.proxyPoolErrorPercent} % of the database connections it may open: new client requests wait for the borrow timeout, then fail.`,
      firstStep: "Find the client that grew (ClientConnections, DatabaseConnectionsCurrentlySessionPinned); lower its pool or concurrency, or raise the capacity.",
      runbook: "proxy-pool-nearly-exhausted",
    },
    {
      key: "proxy-borrow-latency", metric: proxy.metricDatabaseConnectionsBorrowLatency(), comparison: "GreaterThanThreshold", threshold: t.borrowLatencyMicroseconds, ...minutely,
      treatMissingData: "notBreaching",
      meaning: `Clients wait on average more than ${t.borrowLatencyMicroseconds / 1_000_000} s for a pooled connection, a large part of the borrow timeout.`,
      firstStep: "Check pool use and pinning on the dashboard: the pool is full or connections are held by pinned sessions.",
      runbook: "proxy-borrow-latency-high",
    },
    {
      key: "proxy-pinned-connections",
      metric: {
        expression: "IF(connections > 0, 100 * pinned / connections, 0)",
        label: "Pinned database connections (%)",
        metrics: { pinned: proxy.metricDatabaseConnectionsCurrentlySessionPinned(), connections: proxy.metricDatabaseConnections() },
      },
      comparison: "GreaterThanThreshold", threshold: t.pinnedPercent, ...minutely, treatMissingData: "notBreaching",
      meaning: `More than ${t.pinnedPercent} % of the proxy's database connections are pinned to one client session: pooling no longer helps them.`,
      firstStep: "Look for SET, prepared statements, temporary tables or advisory locks in the clients; the proxy log names the reason for each pin.",
      runbook: "proxy-sessions-pinned",
    },
    {
      key: "proxy-target-unavailable-read-write", metric: proxy.metricAvailabilityPercentage("READ_WRITE"), comparison: "LessThanThreshold", threshold: 100, ...minutely,
      // RDS may publish proxy metrics only after the first connection: silence before that is no outage, so
      // it shows as INSUFFICIENT_DATA instead of paging a freshly deployed environment.
      treatMissingData: "missing",
      meaning: "The proxy could not reach the writer for part of the period: clients through the proxy get errors or waits.",
      firstStep: "Run aws rds describe-db-proxy-targets; an unavailable target names the reason (security group, secret, authentication).",
      runbook: "proxy-target-unavailable",
    },
    ...(path.readOnlyEndpoint ? [{
      key: "proxy-target-unavailable-read-only", metric: proxy.metricAvailabilityPercentage("READ_ONLY"), comparison: "LessThanThreshold" as const, threshold: 100, ...minutely,
      treatMissingData: "missing" as const,
      meaning: "The proxy could not reach the readers for part of the period: the read-only endpoint fails or waits.",
      firstStep: "Run aws rds describe-db-proxy-targets; check the readers' status and the database security group.",
      runbook: "proxy-target-unavailable",
    }] : []),
    {
      key: "proxy-auth-failures", metric: proxy.metricClientConnectionsSetupFailedAuth(), comparison: "GreaterThanThreshold", threshold: 0, evaluationPeriods: 1, datapointsToAlarm: 1,
      treatMissingData: "notBreaching",
      meaning: "Clients failed to authenticate to the proxy (wrong secret, missing rds-db:connect grant, or no TLS).",
      firstStep: "Read the proxy's log group for the user and reason; compare the client's user with the proxy's auth entries and its role's grants.",
      runbook: "proxy-authentication-failures",
    },
  ];

  if (t.clientConnections !== undefined) {
    specs.push({
      key: "proxy-client-connections", metric: proxy.metricClientConnections(), comparison: "GreaterThanThreshold", threshold: t.clientConnections, ...minutely,
      treatMissingData: "notBreaching",
      meaning: `More client connections than the connection budget's total demand (${t.clientConnections}): some client opens more than its configured share.`,
      firstStep: "Compare each client's pool size, task count and Lambda concurrency with the budget; update the config or the client.",
      runbook: "proxy-client-connections-above-budget",
    });
  }

  // ----- Database (the writer; readers where it differs)
  const roles = path.database.isCluster && path.database.readers > 0 ? (["WRITER", "READER"] as const) : (["WRITER"] as const);
  const suffix = (role: "WRITER" | "READER") => (path.database.isCluster ? `-${role.toLowerCase()}` : "");
  for (const role of roles) {
    specs.push(
      {
        key: `database-cpu${suffix(role)}`, metric: db.metricCPUUtilization(role), comparison: "GreaterThanThreshold", threshold: t.cpuPercent, ...fiveMinutely,
        treatMissingData: "missing",
        meaning: `${roleText(role, path)} CPU is above ${t.cpuPercent} %: queries slow down and connections pile up in the proxy.`,
        firstStep: "Open Performance Insights for the top SQL; a plan change or a missing index is likelier than load.",
        runbook: "database-cpu-high",
      },
      {
        key: `database-freeable-memory${suffix(role)}`, metric: db.metricFreeableMemory(role), comparison: "LessThanThreshold", threshold: t.freeableMemoryBytes, ...fiveMinutely,
        treatMissingData: "missing",
        meaning: `${roleText(role, path)} has less than ${Math.round(t.freeableMemoryBytes / 1024 ** 2)} MiB of freeable memory: the engine will swap or be restarted.`,
        firstStep: "Check connection count and work_mem / sort buffers; too many connections each take memory.",
        runbook: "database-memory-low",
      },
      {
        key: `database-connections${suffix(role)}`, metric: db.metricDatabaseConnections(role), comparison: "GreaterThanThreshold", threshold: t.databaseConnections, ...fiveMinutely,
        treatMissingData: "missing",
        meaning: `${roleText(role, path)} has more than ${t.databaseConnections} connections, near max_connections: new logins will be refused.`,
        firstStep: "Find who connects outside the proxy (pg_stat_activity / SHOW PROCESSLIST); the proxy alone cannot exceed its pool.",
        runbook: "database-connections-near-max",
      },
      {
        key: `database-read-latency${suffix(role)}`, metric: db.metricReadLatency(role), comparison: "GreaterThanThreshold", threshold: t.readLatencySeconds, ...fiveMinutely,
        treatMissingData: "missing",
        meaning: `${roleText(role, path)} disk reads take more than ${t.readLatencySeconds * 1000} ms on average.`,
        firstStep: "Check for large scans in Performance Insights and for storage throughput limits.",
        runbook: "database-latency-high",
      },
      {
        key: `database-write-latency${suffix(role)}`, metric: db.metricWriteLatency(role), comparison: "GreaterThanThreshold", threshold: t.writeLatencySeconds, ...fiveMinutely,
        treatMissingData: "missing",
        meaning: `${roleText(role, path)} disk writes take more than ${t.writeLatencySeconds * 1000} ms on average.`,
        firstStep: "Check write volume (bulk loads, migrations) and storage throughput limits.",
        runbook: "database-latency-high",
      },
    );
    if (path.database.serverless) {
      specs.push({
        key: `database-acu-utilization${suffix(role)}`, metric: db.metricACUUtilization(role), comparison: "GreaterThanThreshold", threshold: t.acuUtilizationPercent, ...fiveMinutely,
        treatMissingData: "missing",
        meaning: `${roleText(role, path)} runs above ${t.acuUtilizationPercent} % of the configured maximum capacity: it cannot scale further.`,
        firstStep: "Raise database.serverless.maxCapacity (it also raises max_connections) or find the load in Performance Insights.",
        runbook: "database-capacity-at-maximum",
      });
    } else if (path.database.isCluster) {
      specs.push({
        key: `database-free-local-storage${suffix(role)}`, metric: db.metricFreeLocalStorage(role), comparison: "LessThanThreshold", threshold: t.freeLocalStorageBytes, ...fiveMinutely,
        treatMissingData: "missing",
        meaning: `${roleText(role, path)} has less than ${Math.round(t.freeLocalStorageBytes / 1024 ** 2)} MiB of local storage for temporary files and logs.`,
        firstStep: "Look for large sorts and temporary tables; a larger instance class has more local storage.",
        runbook: "database-storage-low",
      });
    }
    if (path.database.isCluster) {
      specs.push({
        key: `database-deadlocks${suffix(role)}`, metric: db.metricDeadlocks(role), comparison: "GreaterThanThreshold", threshold: 0, ...fiveMinutely,
        treatMissingData: "notBreaching",
        meaning: `${roleText(role, path)} resolved deadlocks: transactions were rolled back.`,
        firstStep: "Read the error log for the deadlock report; make transactions take locks in one order.",
        runbook: "database-deadlocks",
      });
    }
  }
  if (path.database.isCluster && path.database.readers > 0) {
    specs.push({
      key: "database-replica-lag", metric: db.metricAuroraReplicaLag(), comparison: "GreaterThanThreshold", threshold: t.replicaLagMs, ...fiveMinutely,
      treatMissingData: "missing",
      meaning: `A reader trails the writer by more than ${t.replicaLagMs} ms: reads through the read-only endpoint are stale.`,
      firstStep: "Check the readers' CPU and long-running queries on them; a reader much smaller than the writer falls behind.",
      runbook: "database-replica-lag",
    });
  }
  if (!path.database.isCluster && t.freeStorageBytes !== undefined) {
    specs.push({
      key: "database-free-storage", metric: db.metricFreeStorageSpace(), comparison: "LessThanThreshold", threshold: t.freeStorageBytes, ...fiveMinutely,
      treatMissingData: "missing",
      meaning: `Free storage fell below ${Math.round(t.freeStorageBytes / 1024 ** 3 * 10) / 10} GiB: storage autoscaling (which adds space below 10 % free) is not keeping up or reached its maximum.`,
      firstStep: "Raise database.storage.maxAllocatedGiB, or find what grew (logs, bloat, a runaway table).",
      runbook: "database-storage-low",
    });
  }
  if (path.database.engineFamily === "POSTGRESQL") {
    specs.push({
      key: "database-transaction-id-wraparound", metric: db.metricMaximumUsedTransactionIDs(), comparison: "GreaterThanThreshold", threshold: t.maximumUsedTransactionIds, ...fiveMinutely,
      treatMissingData: "missing",
      meaning: `The oldest unfrozen transaction id is more than ${t.maximumUsedTransactionIds} transactions old; PostgreSQL stops accepting writes near 2^31.`,
      firstStep: "Find what blocks autovacuum (long transactions, abandoned replication slots, prepared transactions) and run VACUUM FREEZE.",
      runbook: "database-transaction-id-wraparound",
    });
  }

  // ----- Functions and builds
  const functions: [string, string, string][] = [
    ...(path.lambdaFunctions ?? []).map(({ key, name }): [string, string, string] => [key, name, "The Lambda client"]),
    ...(path.setupFunctionName ? [["setup", path.setupFunctionName, "The setup function"] as [string, string, string]] : []),
    ...(path.rotationFunctionName ? [["rotation", path.rotationFunctionName, "The rotation function"] as [string, string, string]] : []),
  ];
  for (const [key, name, what] of functions) {
    const fn = new FunctionMetrics(name);
    specs.push(
      {
        key: `${key}-errors`, metric: fn.metricErrors(), comparison: "GreaterThanThreshold", threshold: 0, evaluationPeriods: 1, datapointsToAlarm: 1,
        treatMissingData: "notBreaching",
        meaning: `${what} (${name}) failed.`,
        firstStep: `Read /aws/lambda/${name} for the error; a connection error names the proxy, the user or the grant.`,
        runbook: key === "setup" ? "setup-function-failed" : key === "rotation" ? "rotation-failed" : "lambda-client-errors",
      },
      {
        key: `${key}-throttles`, metric: fn.metricThrottles(), comparison: "GreaterThanThreshold", threshold: 0, evaluationPeriods: 1, datapointsToAlarm: 1,
        treatMissingData: "notBreaching",
        meaning: `${what} (${name}) was throttled: invocations were refused for lack of concurrency.`,
        firstStep: "Compare reserved concurrency with the load; raising it also raises the client's share of the connection budget.",
        runbook: "lambda-throttled",
      },
    );
  }
  if (path.migrationsProjectName) {
    specs.push({
      key: "migrations-failed", metric: new BuildMetrics(path.migrationsProjectName).metricFailedBuilds(), comparison: "GreaterThanThreshold", threshold: 0,
      evaluationPeriods: 1, datapointsToAlarm: 1, treatMissingData: "notBreaching",
      meaning: `A migration build of ${path.migrationsProjectName} failed: the schema may be half-way between versions.`,
      firstStep: `Read /aws/codebuild/${path.migrationsProjectName} for the failing migration; fix it forward, do not edit an applied one.`,
      runbook: "migrations-failed",
    });
  }
  return specs;
}

function roleText(role: "WRITER" | "READER", path: WatchedPath): string {
  if (!path.database.isCluster) return "The database instance";
  return role === "WRITER" ? "The writer" : "A reader";
}

/** The description CloudWatch shows and sends: meaning, first step, and where the runbook is. */
export function alarmDescription(spec: AlarmSpec): string {
  return `${spec.meaning} First: ${spec.firstStep} Runbook: ${README_TROUBLESHOOTING} "${spec.runbook}".`;
}

// ---------------------------------------------------------------------------------------------------------
// Construct
// ---------------------------------------------------------------------------------------------------------

export interface PathAlarmsProps {
  readonly specs: readonly AlarmSpec[];
  /** "<app>-<name>": each alarm is "<namePrefix>-<key>" (modules/names.ts checks them). */
  readonly namePrefix: string;
  /** Where ALARM and OK transitions go (the environment's topic). */
  readonly actionArns: readonly string[];
}

/** One CloudWatch alarm per spec, with the same actions on ALARM and on OK, so recoveries are told too. */
export class PathAlarms extends Construct {
  /** Alarm name by key. */
  readonly names: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: PathAlarmsProps) {
    super(scope, id);
    const names: Record<string, string> = {};
    const problems = new Problems();
    for (const spec of props.specs) {
      const wrongName = cloudwatchAlarmName(alarmName(props.namePrefix, spec.key));
      if (wrongName) problems.add(`specs.${spec.key}`, alarmName(props.namePrefix, spec.key), wrongName);
      const description = alarmDescription(spec);
      problems.check(description.length <= 1024, `specs.${spec.key}.description`, `${description.length} characters`, "must be at most 1024 characters (PutMetricAlarm AlarmDescription)");
    }
    problems.check(new Set(props.specs.map((s) => s.key)).size === props.specs.length, "specs", props.specs.map((s) => s.key), "must not repeat a key: it names the alarm");
    problems.throwIfAny(`PathAlarms ${id}`);
    for (const spec of props.specs) {
      const name = alarmName(props.namePrefix, spec.key);
      const description = alarmDescription(spec);
      const common = {
        alarmName: name,
        alarmDescription: description,
        comparisonOperator: spec.comparison,
        threshold: spec.threshold,
        evaluationPeriods: spec.evaluationPeriods,
        datapointsToAlarm: spec.datapointsToAlarm,
        treatMissingData: spec.treatMissingData,
        actionsEnabled: true,
        alarmActions: [...props.actionArns],
        okActions: [...props.actionArns],
      };
      const m = spec.metric;
      new CloudwatchMetricAlarm(this, spec.key, isExpression(m) ? {
        ...common,
        metricQuery: [
          { id: "result", expression: m.expression, label: m.label, returnData: true },
          ...Object.entries(m.metrics).map(([queryId, metric]) => ({
            id: queryId,
            returnData: false,
            metric: { namespace: metric.namespace, metricName: metric.metricName, dimensions: { ...metric.dimensions }, period: metric.period, stat: metric.statistic },
          })),
        ],
      } : {
        ...common,
        namespace: m.namespace,
        metricName: m.metricName,
        dimensions: { ...m.dimensions },
        statistic: m.statistic,
        period: m.period,
      });
      names[spec.key] = name;
    }
    this.names = names;
  }
}

export function alarmName(namePrefix: string, key: string): string {
  return `${namePrefix}-${key}`;
}
