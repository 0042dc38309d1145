import { describe, expect, it } from "vitest";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm/index.js";
import { environments } from "../../../stacks/environments.ts";
import type { EnvironmentInput } from "../../../stacks/config.ts";
import { KNOWN_METRICS } from "../../../modules/monitoring/metrics.ts";
import { LONGEST_ALARM_KEY } from "../../../modules/names.ts";
import { environment, fixtures, synthEnvironment } from "../../helpers.ts";

type Alarm = Record<string, unknown> & { alarm_name: string; dimensions?: Record<string, string>; metric_query?: Record<string, unknown>[] };

/** The monitoring stack of an environment, and its alarms by name. */
function monitoringOf(input: EnvironmentInput) {
  const synthesized = synthEnvironment(input);
  const stack = synthesized.stacks[`${input.name}-monitoring`]!;
  const alarms = Object.fromEntries(Object.values(stack.parsed.resource.aws_cloudwatch_metric_alarm ?? {}).map((a) => [(a as Alarm).alarm_name, a as Alarm]));
  return { ...synthesized, stack, alarms };
}

const shipped = (name: string) => environments.find((e) => e.name === name)!;
const prod = monitoringOf(shipped("prod"));
const dev = monitoringOf(shipped("dev"));
const mysql = monitoringOf(fixtures["rds-mysql"]!);
const provisioned = monitoringOf(environment());

describe("proxy alarms (prod: provisioned Aurora PostgreSQL with two readers)", () => {
  it("watch pool use as DatabaseConnections / MaxDatabaseConnectionsAllowed by metric math, at the budget's warning and error levels", () => {
    for (const [level, threshold] of [["warning", 80], ["error", 100]] as const) {
      const alarm = prod.alarms[`orders-prod-proxy-pool-use-${level}`]!;
      expect(alarm).toMatchObject({ comparison_operator: "GreaterThanOrEqualToThreshold", threshold, evaluation_periods: 5, datapoints_to_alarm: 3, treat_missing_data: "notBreaching" });
      expect(alarm.metric_query).toEqual([
        { id: "result", expression: "100 * connections / allowed", label: "Proxy pool use (%)", return_data: true },
        { id: "connections", return_data: false, metric: { namespace: "AWS/RDS", metric_name: "DatabaseConnections", dimensions: { ProxyName: "orders-prod" }, period: 60, stat: "Sum" } },
        { id: "allowed", return_data: false, metric: { namespace: "AWS/RDS", metric_name: "MaxDatabaseConnectionsAllowed", dimensions: { ProxyName: "orders-prod" }, period: 60, stat: "Sum" } },
      ]);
      expect(alarm.metric_name).toBeUndefined();
    }
  });

  it("watch borrow latency against half the configured borrow timeout (30 s), in microseconds", () => {
    expect(prod.stack.json).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
      alarm_name: "orders-prod-proxy-borrow-latency", namespace: "AWS/RDS", metric_name: "DatabaseConnectionsBorrowLatency",
      statistic: "Average", period: 60, threshold: 15_000_000, comparison_operator: "GreaterThanThreshold",
    });
    expect(prod.alarms["orders-prod-proxy-borrow-latency"]!.dimensions).toEqual({ ProxyName: "orders-prod" });
    // dev keeps the default 120 s timeout.
    expect(dev.alarms["orders-dev-proxy-borrow-latency"]!.threshold).toBe(60_000_000);
  });

  it("watch pinned connections as a share of the proxy's connections, without dividing by zero", () => {
    const alarm = prod.alarms["orders-prod-proxy-pinned-connections"]!;
    expect(alarm.threshold).toBe(50);
    expect(alarm.metric_query![0]).toMatchObject({ id: "result", expression: "IF(connections > 0, 100 * pinned / connections, 0)", return_data: true });
    expect(alarm.metric_query![1]).toMatchObject({ id: "pinned", metric: { metric_name: "DatabaseConnectionsCurrentlySessionPinned", dimensions: { ProxyName: "orders-prod" }, stat: "Sum", period: 60 } });
  });

  it("watch target availability per role, and leave silence (no first connection yet) as insufficient data", () => {
    for (const role of ["READ_WRITE", "READ_ONLY"]) {
      const alarm = prod.alarms[`orders-prod-proxy-target-unavailable-${role.toLowerCase().replace("_", "-")}`]!;
      expect(alarm).toMatchObject({ namespace: "AWS/RDS", metric_name: "AvailabilityPercentage", statistic: "Average", period: 60, threshold: 100, comparison_operator: "LessThanThreshold", treat_missing_data: "missing" });
      expect(alarm.dimensions).toEqual({ ProxyName: "orders-prod", TargetGroup: "default", TargetRole: role });
    }
    // No readers, no READ_ONLY role to watch.
    expect(Object.keys(dev.alarms).filter((n) => n.includes("read-only"))).toEqual([]);
  });

  it("page on the first authentication failure", () => {
    expect(prod.alarms["orders-prod-proxy-auth-failures"]).toMatchObject({
      namespace: "AWS/RDS", metric_name: "ClientConnectionsSetupFailedAuth", dimensions: { ProxyName: "orders-prod" }, statistic: "Sum", period: 60,
      threshold: 0, comparison_operator: "GreaterThanThreshold", evaluation_periods: 1, datapoints_to_alarm: 1,
    });
  });

  it("hold client connections to the budget's total demand, and only where clients are configured", () => {
    expect(prod.env.budget.totalDemand).toBe(66);
    expect(prod.alarms["orders-prod-proxy-client-connections"]).toMatchObject({ metric_name: "ClientConnections", dimensions: { ProxyName: "orders-prod" }, statistic: "Sum", threshold: 66 });
    expect(dev.alarms["orders-dev-proxy-client-connections"]!.threshold).toBe(31);
    expect(provisioned.alarms["shop-test-proxy-client-connections"]).toBeUndefined();
  });
});

describe("database alarms: thresholds from the model in three shapes", () => {
  it("provisioned Aurora: by role (DBClusterIdentifier + Role), max_connections and memory of the class, local storage", () => {
    // db.r6g.large: 16 GiB, max_connections 1697 (LEAST(DBInstanceClassMemory/9531392, 5000)).
    expect(prod.env.budget.maxConnections.value).toBe(1697);
    for (const role of ["WRITER", "READER"]) {
      const suffix = role.toLowerCase();
      expect(prod.alarms[`orders-prod-database-connections-${suffix}`]).toMatchObject({ metric_name: "DatabaseConnections", statistic: "Maximum", period: 300, threshold: 1527 });
      expect(prod.alarms[`orders-prod-database-connections-${suffix}`]!.dimensions).toEqual({ DBClusterIdentifier: "orders-prod", Role: role });
      expect(prod.alarms[`orders-prod-database-freeable-memory-${suffix}`]).toMatchObject({ metric_name: "FreeableMemory", statistic: "Minimum", threshold: Math.round(16 * 1024 ** 3 * 0.1), comparison_operator: "LessThanThreshold" });
      expect(prod.alarms[`orders-prod-database-free-local-storage-${suffix}`]).toMatchObject({ metric_name: "FreeLocalStorage", threshold: 2048 * 1024 ** 2 });
      expect(prod.alarms[`orders-prod-database-cpu-${suffix}`]).toMatchObject({ metric_name: "CPUUtilization", statistic: "Average", threshold: 80 });
      expect(prod.alarms[`orders-prod-database-deadlocks-${suffix}`]).toMatchObject({ metric_name: "Deadlocks", threshold: 0 });
      expect(prod.alarms[`orders-prod-database-read-latency-${suffix}`]).toMatchObject({ metric_name: "ReadLatency", threshold: 0.02 });
      expect(prod.alarms[`orders-prod-database-write-latency-${suffix}`]).toMatchObject({ metric_name: "WriteLatency", threshold: 0.02 });
    }
    expect(prod.alarms["orders-prod-database-replica-lag"]).toMatchObject({ metric_name: "AuroraReplicaLag", dimensions: { DBClusterIdentifier: "orders-prod", Role: "READER" }, threshold: 1000 });
    expect(prod.alarms["orders-prod-database-transaction-id-wraparound"]).toMatchObject({ metric_name: "MaximumUsedTransactionIDs", statistic: "Maximum", threshold: 1_000_000_000 });
    expect(Object.keys(prod.alarms).filter((n) => n.includes("acu"))).toEqual([]);
  });

  it("Serverless v2: ACUUtilization near the maximum, memory of the minimum capacity, max_connections of the maximum, no local storage", () => {
    // 0.5..2 ACU: max_connections from 4 GiB (399), the memory floor from 1 GiB.
    expect(dev.env.budget.maxConnections.value).toBe(399);
    expect(dev.alarms["orders-dev-database-acu-utilization-writer"]).toMatchObject({ metric_name: "ACUUtilization", dimensions: { DBClusterIdentifier: "orders-dev", Role: "WRITER" }, statistic: "Maximum", threshold: 90 });
    expect(dev.alarms["orders-dev-database-connections-writer"]!.threshold).toBe(359);
    expect(dev.alarms["orders-dev-database-freeable-memory-writer"]!.threshold).toBe(Math.round(1024 ** 3 * 0.1));
    expect(Object.keys(dev.alarms).filter((n) => n.includes("local-storage") || n.includes("replica-lag") || n.endsWith("-reader"))).toEqual([]);
  });

  it("RDS MySQL: by DBInstanceIdentifier, free storage against the allocated size, no Aurora or PostgreSQL metrics", () => {
    // db.t3.micro: max_connections 56 (DBInstanceClassMemory/12582880); 20 GiB allocated.
    expect(mysql.env.budget.maxConnections.value).toBe(56);
    expect(mysql.alarms["shop-rdsmysql-database-connections"]).toMatchObject({ metric_name: "DatabaseConnections", threshold: 50 });
    expect(mysql.alarms["shop-rdsmysql-database-connections"]!.dimensions).toEqual({ DBInstanceIdentifier: "shop-rdsmysql" });
    expect(mysql.alarms["shop-rdsmysql-database-free-storage"]).toMatchObject({ metric_name: "FreeStorageSpace", statistic: "Minimum", threshold: 1024 ** 3, comparison_operator: "LessThanThreshold" });
    expect(Object.keys(mysql.alarms).filter((n) => /deadlocks|wraparound|acu|local-storage|replica/.test(n))).toEqual([]);
  });

  it("take per-environment overrides", () => {
    const tuned = monitoringOf(environment({ monitoring: { thresholds: { cpuPercent: 65, proxyPoolPercent: { warning: 60, error: 90 }, databaseConnectionsPercent: 50, clientConnections: 40 } } }));
    expect(tuned.alarms["shop-test-database-cpu-writer"]!.threshold).toBe(65);
    expect(tuned.alarms["shop-test-proxy-pool-use-warning"]!.threshold).toBe(60);
    expect(tuned.alarms["shop-test-proxy-pool-use-error"]!.threshold).toBe(90);
    expect(tuned.alarms["shop-test-database-connections-writer"]!.threshold).toBe(199);
    expect(tuned.alarms["shop-test-proxy-client-connections"]!.threshold).toBe(40);
  });
});

describe("function and build alarms", () => {
  it("watch errors and throttles of the Lambda client and the setup function, and failed migration builds", () => {
    for (const [key, fn] of [["lambda", "orders-dev-db-check"], ["setup", "orders-dev-db-setup"], ["rotation", "orders-dev-db-rotate"]]) {
      for (const metric of ["Errors", "Throttles"]) {
        expect(dev.alarms[`orders-dev-${key}-${metric.toLowerCase()}`]).toMatchObject({ namespace: "AWS/Lambda", metric_name: metric, dimensions: { FunctionName: fn }, statistic: "Sum", period: 60, threshold: 0 });
      }
    }
    expect(dev.alarms["orders-dev-migrations-failed"]).toMatchObject({ namespace: "AWS/CodeBuild", metric_name: "FailedBuilds", dimensions: { ProjectName: "orders-dev-migrate" }, statistic: "Sum", period: 300, threshold: 0 });
    expect(provisioned.alarms["shop-test-lambda-errors"]).toBeUndefined();
  });

  it("watch every named Lambda client, the single client of old keeping its alarms' names", () => {
    const devInput = shipped("dev");
    const functions = { ...devInput.clients!.functions, reports: { user: "reports", reservedConcurrency: 2 } };
    const users = { ...devInput.users, reports: { auth: "iam", privileges: "readonly" } } as const;
    const two = monitoringOf({ ...devInput, users, clients: { ...devInput.clients, functions } });
    expect(two.alarms["orders-dev-lambda-errors"]).toMatchObject({ dimensions: { FunctionName: "orders-dev-db-check" } });
    for (const metric of ["Errors", "Throttles"]) {
      expect(two.alarms[`orders-dev-function-reports-${metric.toLowerCase()}`]).toMatchObject({ namespace: "AWS/Lambda", metric_name: metric, dimensions: { FunctionName: "orders-dev-reports" }, threshold: 0 });
    }
    const dashboard = JSON.stringify(Object.values(two.stack.parsed.resource.aws_cloudwatch_dashboard!)[0]);
    expect(dashboard).toContain("orders-dev-reports");
  });
});

describe("every alarm", () => {
  const all = [prod, dev, mysql, provisioned].flatMap((m) => Object.values(m.alarms).map((alarm) => [m.stack.parsed, alarm] as const));

  it("says what it means and what to do first, points at the README, notifies on ALARM and OK, and chooses how to treat missing data", () => {
    for (const [stack, alarm] of all) {
      const topic = `\${aws_sns_topic.${Object.keys(stack.resource.aws_sns_topic!)[0]}.arn}`;
      expect(alarm.alarm_description, alarm.alarm_name).toMatch(/^.+ First: .+ Runbook: README\.md#troubleshooting "[a-z-]+"\.$/);
      expect(alarm.alarm_actions).toEqual([topic]);
      expect(alarm.ok_actions).toEqual([topic]);
      expect(["missing", "notBreaching", "breaching", "ignore"]).toContain(alarm.treat_missing_data);
      expect(alarm.alarm_name.length).toBeLessThanOrEqual(255);
    }
    // modules/names.ts validates the prefix with the longest key: it must really be the longest.
    const keys = [prod, dev, mysql, provisioned].flatMap((m) => Object.keys(m.alarms).map((n) => n.slice(m.env.name === "prod" || m.env.name === "dev" ? `orders-${m.env.name}-`.length : `shop-${m.env.name}-`.length)));
    expect(Math.max(...keys.map((k) => k.length))).toBe(LONGEST_ALARM_KEY.length);
  });

  it("names only metrics that exist, in their own namespace", () => {
    const metrics = all.flatMap(([, alarm]) => alarm.metric_query
      ? alarm.metric_query.filter((q) => q.metric).map((q) => q.metric as { namespace: string; metric_name: string })
      : [{ namespace: alarm.namespace as string, metric_name: alarm.metric_name as string }]);
    expect(metrics.length).toBeGreaterThan(60);
    for (const m of metrics) expect(KNOWN_METRICS[m.namespace], `${m.namespace} ${m.metric_name}`).toContain(m.metric_name);
  });

  it("is listed in the budget output, which names the alarm watching each level", () => {
    expect(prod.env.budget.watchedBy).toEqual({ warning: "orders-prod-proxy-pool-use-warning", error: "orders-prod-proxy-pool-use-error", demand: "orders-prod-proxy-client-connections" });
    expect(provisioned.env.budget.watchedBy).toEqual({ warning: "shop-test-proxy-pool-use-warning", error: "shop-test-proxy-pool-use-error" });
  });
});

describe("metrics on the constructs", () => {
  it("the proxy and the database hand out the metrics the alarms watch", () => {
    const built = synthEnvironment(environment()).env;
    expect(built.proxy.proxy.metrics().metricClientConnections()).toMatchObject({ namespace: "AWS/RDS", metricName: "ClientConnections", statistic: "Sum", period: 60 });
    expect(built.database.database.metrics().metricCPUUtilization("READER")).toEqual({ namespace: "AWS/RDS", metricName: "CPUUtilization", dimensions: { DBClusterIdentifier: "shop-test", Role: "READER" }, statistic: "Average", period: 300 });
    expect(synthEnvironment(fixtures["rds-mysql"]!).env.database.database.metrics().metricFreeStorageSpace({ period: 60 })).toEqual({
      namespace: "AWS/RDS", metricName: "FreeStorageSpace", dimensions: { DBInstanceIdentifier: "shop-rdsmysql" }, statistic: "Minimum", period: 60,
    });
  });
});
