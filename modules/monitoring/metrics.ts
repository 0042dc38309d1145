/**
 * CloudWatch metrics of the data path, AWS CDK style: each source (the proxy, the database, a function, the
 * migration project) exposes `metricX(props?)` returning the metric with its namespace, exact dimensions,
 * statistic and period. Alarms and the dashboard are built from these, never from dimension maps typed by a
 * caller. Names and dimension sets follow the AWS docs: "Monitoring RDS Proxy metrics with Amazon CloudWatch"
 * (RDS Proxy), "Amazon CloudWatch metrics for Amazon Aurora" / "for Amazon RDS", "Lambda function metrics"
 * and "Monitoring AWS CodeBuild" (CodeBuild).
 */

export type Statistic = "Average" | "Sum" | "Minimum" | "Maximum" | "SampleCount";

/** One metric, exactly as CloudWatch identifies it. */
export interface MetricDescription {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly statistic: Statistic;
  /** Seconds; a multiple of 60. */
  readonly period: number;
  /** What the dashboard shows; defaults to the metric name. */
  readonly label?: string;
}

export interface MetricOptions {
  /** @default the statistic AWS calls most useful for the metric */
  readonly statistic?: Statistic;
  /** @default 60 seconds for RDS Proxy and Lambda, 300 for the database and CodeBuild */
  readonly period?: number;
  readonly label?: string;
}

/**
 * Every metric name dbstack reads, by namespace, from the AWS docs named above. The dashboard and alarm
 * tests check against it, so a typo in a metric name fails a test rather than drawing an empty graph.
 */
export const KNOWN_METRICS: Readonly<Record<string, readonly string[]>> = {
  "AWS/RDS": [
    // RDS Proxy
    "AvailabilityPercentage", "ClientConnections", "ClientConnectionsClosed", "ClientConnectionsNoTLS", "ClientConnectionsReceived",
    "ClientConnectionsSetupFailedAuth", "ClientConnectionsSetupSucceeded", "ClientConnectionsTLS", "DatabaseConnectionRequests",
    "DatabaseConnectionRequestsWithTLS", "DatabaseConnections", "DatabaseConnectionsBorrowLatency", "DatabaseConnectionsCurrentlyBorrowed",
    "DatabaseConnectionsCurrentlyInTransaction", "DatabaseConnectionsCurrentlySessionPinned", "DatabaseConnectionsSetupFailed",
    "DatabaseConnectionsSetupSucceeded", "DatabaseConnectionsWithTLS", "MaxDatabaseConnectionsAllowed", "QueryDatabaseResponseLatency",
    "QueryRequests", "QueryRequestsNoTLS", "QueryRequestsTLS", "QueryResponseLatency",
    // Aurora and RDS instances
    "ACUUtilization", "AuroraReplicaLag", "CPUUtilization", "Deadlocks", "FreeableMemory", "FreeLocalStorage", "FreeStorageSpace",
    "MaximumUsedTransactionIDs", "ReadLatency", "ServerlessDatabaseCapacity", "WriteLatency",
  ],
  "AWS/Lambda": ["ConcurrentExecutions", "Duration", "Errors", "Invocations", "Throttles"],
  "AWS/CodeBuild": ["Builds", "Duration", "FailedBuilds", "SucceededBuilds"],
};

function metric(namespace: string, metricName: string, dimensions: Record<string, string>, defaults: { statistic: Statistic; period: number }, options: MetricOptions = {}): MetricDescription {
  return {
    namespace,
    metricName,
    dimensions,
    statistic: options.statistic ?? defaults.statistic,
    period: options.period ?? defaults.period,
    ...(options.label ? { label: options.label } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------------
// RDS Proxy
// ---------------------------------------------------------------------------------------------------------

/** The target roles RDS Proxy reports AvailabilityPercentage for (DescribeDBProxyTargets TargetHealth roles). */
export type ProxyTargetRole = "READ_WRITE" | "READ_ONLY";

/**
 * The metrics of one RDS Proxy. Dimension sets: ProxyName (set 1), ProxyName+TargetGroup+TargetRole
 * (set 4, per role). RDS publishes per proxy node: Sum adds the nodes up for connection counts, Average for
 * latency and availability, as the AWS page advises.
 */
export class ProxyMetrics {
  /** dbstack's proxies have only the default target group, which RDS names "default". */
  static readonly TARGET_GROUP = "default";

  constructor(readonly proxyName: string) {}

  private proxy(metricName: string, statistic: Statistic, options?: MetricOptions): MetricDescription {
    return metric("AWS/RDS", metricName, { ProxyName: this.proxyName }, { statistic, period: 60 }, options);
  }

  /** Database connections the proxy holds open now. */
  metricDatabaseConnections(options?: MetricOptions): MetricDescription {
    return this.proxy("DatabaseConnections", "Sum", options);
  }

  /** The most database connections the proxy may open: max_connections × MaxConnectionsPercent, live. */
  metricMaxDatabaseConnectionsAllowed(options?: MetricOptions): MetricDescription {
    return this.proxy("MaxDatabaseConnectionsAllowed", "Sum", options);
  }

  /** Microseconds a client waited for a pooled database connection. */
  metricDatabaseConnectionsBorrowLatency(options?: MetricOptions): MetricDescription {
    return this.proxy("DatabaseConnectionsBorrowLatency", "Average", options);
  }

  /** Database connections pinned to one client session (pooling lost for them). */
  metricDatabaseConnectionsCurrentlySessionPinned(options?: MetricOptions): MetricDescription {
    return this.proxy("DatabaseConnectionsCurrentlySessionPinned", "Sum", options);
  }

  metricClientConnections(options?: MetricOptions): MetricDescription {
    return this.proxy("ClientConnections", "Sum", options);
  }

  /** Client connection attempts refused for authentication or TLS. */
  metricClientConnectionsSetupFailedAuth(options?: MetricOptions): MetricDescription {
    return this.proxy("ClientConnectionsSetupFailedAuth", "Sum", options);
  }

  metricQueryResponseLatency(options?: MetricOptions): MetricDescription {
    return this.proxy("QueryResponseLatency", "Average", options);
  }

  /** Share of time the target group was available in `role`: below 100 means the proxy could not reach it. */
  metricAvailabilityPercentage(role: ProxyTargetRole, options?: MetricOptions): MetricDescription {
    return metric("AWS/RDS", "AvailabilityPercentage", { ProxyName: this.proxyName, TargetGroup: ProxyMetrics.TARGET_GROUP, TargetRole: role },
      { statistic: "Average", period: 60 }, options);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Aurora cluster or RDS instance
// ---------------------------------------------------------------------------------------------------------

/** The role dimension of Aurora's per-role metrics. */
export type AuroraRole = "WRITER" | "READER";

/**
 * The metrics of the database. For Aurora, by role (DBClusterIdentifier + Role), as AWS advises: instances
 * change roles on failover, a role does not. For an RDS instance, by DBInstanceIdentifier.
 */
export class DatabaseMetrics {
  constructor(readonly identifier: string, readonly isCluster: boolean) {}

  private instanceMetric(metricName: string, statistic: Statistic, role: AuroraRole, options?: MetricOptions): MetricDescription {
    const dimensions: Record<string, string> = this.isCluster ? { DBClusterIdentifier: this.identifier, Role: role } : { DBInstanceIdentifier: this.identifier };
    return metric("AWS/RDS", metricName, dimensions, { statistic, period: 300 }, options);
  }

  metricCPUUtilization(role: AuroraRole = "WRITER", options?: MetricOptions): MetricDescription {
    return this.instanceMetric("CPUUtilization", "Average", role, options);
  }

  metricFreeableMemory(role: AuroraRole = "WRITER", options?: MetricOptions): MetricDescription {
    return this.instanceMetric("FreeableMemory", "Minimum", role, options);
  }

  metricDatabaseConnections(role: AuroraRole = "WRITER", options?: MetricOptions): MetricDescription {
    return this.instanceMetric("DatabaseConnections", "Maximum", role, options);
  }

  /** Aurora Serverless v2: capacity used as a share of the configured maximum. */
  metricACUUtilization(role: AuroraRole = "WRITER", options?: MetricOptions): MetricDescription {
    return this.instanceMetric("ACUUtilization", "Maximum", role, options);
  }

  /** Aurora readers: milliseconds a reader trails the writer. */
  metricAuroraReplicaLag(options?: MetricOptions): MetricDescription {
    return this.instanceMetric("AuroraReplicaLag", "Maximum", "READER", options);
  }

  /** Aurora provisioned instances (not Serverless v2): bytes of local storage left for temp files and logs. */
  metricFreeLocalStorage(role: AuroraRole = "WRITER", options?: MetricOptions): MetricDescription {
    return this.instanceMetric("FreeLocalStorage", "Minimum", role, options);
  }

  /** RDS instances: bytes of storage left. */
  metricFreeStorageSpace(options?: MetricOptions): MetricDescription {
    return this.instanceMetric("FreeStorageSpace", "Minimum", "WRITER", options);
  }

  /** Seconds per disk read. */
  metricReadLatency(role: AuroraRole = "WRITER", options?: MetricOptions): MetricDescription {
    return this.instanceMetric("ReadLatency", "Average", role, options);
  }

  /** Seconds per disk write. */
  metricWriteLatency(role: AuroraRole = "WRITER", options?: MetricOptions): MetricDescription {
    return this.instanceMetric("WriteLatency", "Average", role, options);
  }

  /** Aurora: deadlocks per second. */
  metricDeadlocks(role: AuroraRole = "WRITER", options?: MetricOptions): MetricDescription {
    return this.instanceMetric("Deadlocks", "Average", role, options);
  }

  /** PostgreSQL: the oldest unvacuumed transaction's age; wraparound stops writes at about 2^31. */
  metricMaximumUsedTransactionIDs(options?: MetricOptions): MetricDescription {
    return this.instanceMetric("MaximumUsedTransactionIDs", "Maximum", "WRITER", options);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Functions and builds
// ---------------------------------------------------------------------------------------------------------

/** A Lambda function's metrics (AWS/Lambda, FunctionName). */
export class FunctionMetrics {
  constructor(readonly functionName: string) {}

  private fn(metricName: string, statistic: Statistic, options?: MetricOptions): MetricDescription {
    return metric("AWS/Lambda", metricName, { FunctionName: this.functionName }, { statistic, period: 60 }, options);
  }

  metricErrors(options?: MetricOptions): MetricDescription {
    return this.fn("Errors", "Sum", options);
  }

  metricThrottles(options?: MetricOptions): MetricDescription {
    return this.fn("Throttles", "Sum", options);
  }

  metricInvocations(options?: MetricOptions): MetricDescription {
    return this.fn("Invocations", "Sum", options);
  }
}

/** A CodeBuild project's metrics (AWS/CodeBuild, ProjectName). */
export class BuildMetrics {
  constructor(readonly projectName: string) {}

  metricFailedBuilds(options?: MetricOptions): MetricDescription {
    return metric("AWS/CodeBuild", "FailedBuilds", { ProjectName: this.projectName }, { statistic: "Sum", period: 300 }, options);
  }

  metricSucceededBuilds(options?: MetricOptions): MetricDescription {
    return metric("AWS/CodeBuild", "SucceededBuilds", { ProjectName: this.projectName }, { statistic: "Sum", period: 300 }, options);
  }
}
