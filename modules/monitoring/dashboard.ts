/**
 * One CloudWatch dashboard per environment, laid out as the data path: a row for the clients, one for the
 * proxy, one for the database, left to right in the order a connection travels. The connection budget's
 * supply (what the proxy may open) is drawn as a horizontal line on every connection graph, and
 * max_connections on the database's.
 */
import { Construct } from "constructs";
import { CloudwatchDashboard } from "@cdktf/provider-aws/lib/cloudwatch-dashboard/index.js";
import type { AuroraRole } from "./metrics.ts";
import { BuildMetrics, DatabaseMetrics, FunctionMetrics, ProxyMetrics, type MetricDescription } from "./metrics.ts";
import type { WatchedPath } from "./alarms.ts";

export interface DashboardModel {
  readonly region: string;
  /** The budget's supply: max_connections × MaxConnectionsPercent. */
  readonly supply: number;
  /** The budget's total demand. */
  readonly demand: number;
  readonly maxConnections: number;
}

interface Widget {
  readonly type: "metric" | "text";
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly properties: Record<string, unknown>;
}

const WIDTH = 24;
const HEIGHT = 6;

/** The dashboard body (CloudWatch's dashboard JSON), pure so tests can read every metric it names. */
export function dashboardBody(path: WatchedPath, model: DashboardModel): { widgets: Widget[] } {
  const proxy = new ProxyMetrics(path.proxyName);
  const db = new DatabaseMetrics(path.database.identifier, path.database.isCluster);
  const roles: AuroraRole[] = path.database.isCluster && path.database.readers > 0 ? ["WRITER", "READER"] : ["WRITER"];
  const roleLabel = (role: AuroraRole, what: string) => (path.database.isCluster ? `${what} ${role.toLowerCase()}` : what);
  const supply = { label: `budget supply ${model.supply}`, value: model.supply };

  const clients: GraphSpec[] = [
    { title: "Client connections to the proxy", metrics: [proxy.metricClientConnections()], lines: [{ label: `budget demand ${model.demand}`, value: model.demand }, supply] },
    { title: "Authentication failures", metrics: [proxy.metricClientConnectionsSetupFailedAuth()] },
  ];
  const functions = [...(path.lambdaFunctions ?? []).map(({ name }) => ["Lambda client", name] as const), ...(path.setupFunctionName ? [["Setup function", path.setupFunctionName] as const] : []), ...(path.rotationFunctionName ? [["Rotation function", path.rotationFunctionName] as const] : [])];
  for (const [what, name] of functions) {
    const fn = new FunctionMetrics(name);
    clients.push({ title: `${what}: invocations, errors, throttles`, metrics: [fn.metricInvocations(), fn.metricErrors(), fn.metricThrottles()] });
  }
  if (path.migrationsProjectName) {
    const build = new BuildMetrics(path.migrationsProjectName);
    clients.push({ title: "Migrations: builds", metrics: [build.metricSucceededBuilds(), build.metricFailedBuilds()] });
  }

  const proxyRow: GraphSpec[] = [
    { title: "Proxy database connections", metrics: [proxy.metricDatabaseConnections(), proxy.metricMaxDatabaseConnectionsAllowed(), proxy.metricDatabaseConnectionsCurrentlySessionPinned()], lines: [supply] },
    { title: "Borrow latency (µs)", metrics: [proxy.metricDatabaseConnectionsBorrowLatency()] },
    { title: "Query response latency (µs)", metrics: [proxy.metricQueryResponseLatency()] },
    { title: "Target availability (%)", metrics: [proxy.metricAvailabilityPercentage("READ_WRITE"), ...(path.readOnlyEndpoint ? [proxy.metricAvailabilityPercentage("READ_ONLY")] : [])] },
  ];

  const databaseRow: GraphSpec[] = [
    {
      title: "Database connections",
      metrics: roles.map((role) => db.metricDatabaseConnections(role, { label: roleLabel(role, "connections") })),
      lines: [supply, { label: `max_connections ${model.maxConnections}`, value: model.maxConnections }],
    },
    { title: "CPU (%)", metrics: roles.map((role) => db.metricCPUUtilization(role, { label: roleLabel(role, "CPU") })) },
    { title: "Freeable memory (bytes)", metrics: roles.map((role) => db.metricFreeableMemory(role, { label: roleLabel(role, "freeable memory") })) },
    { title: "Disk latency (s)", metrics: roles.flatMap((role) => [db.metricReadLatency(role, { label: roleLabel(role, "read") }), db.metricWriteLatency(role, { label: roleLabel(role, "write") })]) },
  ];
  if (path.database.serverless) databaseRow.push({ title: "Capacity used (% of maximum ACU)", metrics: roles.map((role) => db.metricACUUtilization(role, { label: roleLabel(role, "ACU") })) });
  else if (path.database.isCluster) databaseRow.push({ title: "Free local storage (bytes)", metrics: roles.map((role) => db.metricFreeLocalStorage(role, { label: roleLabel(role, "free local storage") })) });
  else databaseRow.push({ title: "Free storage (bytes)", metrics: [db.metricFreeStorageSpace()] });
  if (roles.includes("READER")) databaseRow.push({ title: "Replica lag (ms)", metrics: [db.metricAuroraReplicaLag()] });
  if (path.database.engineFamily === "POSTGRESQL") databaseRow.push({ title: "Transaction ids used (wraparound)", metrics: [db.metricMaximumUsedTransactionIDs()] });

  const widgets: Widget[] = [];
  let y = 0;
  const rows: [string, GraphSpec[]][] = [["Clients", clients], ["RDS Proxy", proxyRow], ["Database", databaseRow]];
  for (const [heading, graphs] of rows) {
    widgets.push({ type: "text", x: 0, y, width: WIDTH, height: 1, properties: { markdown: `## ${heading}` } });
    y += 1;
    const width = Math.max(Math.floor(WIDTH / Math.min(graphs.length, 4)), 6);
    graphs.forEach((graph, i) => {
      const perRow = Math.floor(WIDTH / width);
      widgets.push(graphWidget(graph, model.region, (i % perRow) * width, y + Math.floor(i / perRow) * HEIGHT, width));
    });
    y += Math.ceil(graphs.length / Math.floor(WIDTH / width)) * HEIGHT;
  }
  return { widgets };
}

interface GraphSpec {
  readonly title: string;
  readonly metrics: readonly MetricDescription[];
  readonly lines?: readonly { readonly label: string; readonly value: number }[];
}

function graphWidget(graph: GraphSpec, region: string, x: number, y: number, width: number): Widget {
  return {
    type: "metric", x, y, width, height: HEIGHT,
    properties: {
      title: graph.title,
      region,
      view: "timeSeries",
      stacked: false,
      metrics: graph.metrics.map((m) => [m.namespace, m.metricName, ...Object.entries(m.dimensions).flat(), { stat: m.statistic, period: m.period, label: m.label ?? m.metricName }]),
      ...(graph.lines ? { annotations: { horizontal: graph.lines.map((line) => ({ label: line.label, value: line.value })) } } : {}),
    },
  };
}

export interface DataPathDashboardProps {
  /** Dashboard name: up to 255 letters, digits, hyphens and underscores. */
  readonly name: string;
  readonly path: WatchedPath;
  readonly model: DashboardModel;
}

export class DataPathDashboard extends Construct {
  readonly name: string;

  constructor(scope: Construct, id: string, props: DataPathDashboardProps) {
    super(scope, id);
    if (!/^[A-Za-z0-9_-]{1,255}$/.test(props.name)) throw new Error(`DataPathDashboard name: ${JSON.stringify(props.name)} — must be 1..255 letters, digits, hyphens and underscores`);
    new CloudwatchDashboard(this, "dashboard", { dashboardName: props.name, dashboardBody: JSON.stringify(dashboardBody(props.path, props.model)) });
    this.name = props.name;
  }
}
