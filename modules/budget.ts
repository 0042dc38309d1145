/**
 * The connection budget: how many database connections the proxy may open (supply) against how many
 * the clients may ask for at once (demand), assuming the worst case — every client connection pinned to
 * its own database connection, which is what SET statements, prepared statements and temp tables do.
 *
 * max_connections follows the engines' default formulas on DBInstanceClassMemory, the memory left after
 * what RDS reserves for the OS and its agents. AWS does not publish that reserve; dbstack approximates it
 * as 300 MiB + 4 % of the class's memory — on the generous side, so supply is if anything under-counted
 * (PostgreSQL: db.t3.micro 75, db.t3.medium 399, db.r6g.large 1697; MySQL: db.t3.micro 56). Aurora MySQL
 * uses AWS's published per-size table instead of a formula. An explicit max_connections overrides it all.
 */
import { AURORA_INSTANCE_CLASSES, RDS_INSTANCE_CLASSES, SERVERLESS_INSTANCE_CLASS, type DatabaseEngine } from "./database-engines.ts";

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

/** Connections held back for the bootstrap script and an administrator's session. */
export const ADMIN_RESERVE = 5;
/** The demand line of the admin reserve: always there, whatever clients the environment configures. */
export const ADMIN_RESERVE_CLIENT = "admin reserve";
/** What an unreserved Lambda function may scale to: the account's default concurrency. */
export const UNRESERVED_LAMBDA_CONCURRENCY = 1000;

export function dbInstanceClassMemory(totalBytes: number): number {
  return totalBytes - (300 * MIB + 0.04 * totalBytes);
}

/** Aurora MySQL's default max_connections by instance memory (GiB), from AWS's table. */
const AURORA_MYSQL_BY_MEMORY: readonly [number, number][] = [
  [4, 90], [8, 135], [16, 1000], [32, 2000], [64, 3000], [128, 4000], [256, 5000], [384, 6000], [512, 6000], [768, 7000],
];

export interface MaxConnections {
  readonly value: number;
  /** How it was worked out, for the report. */
  readonly source: string;
}

export function maxConnections(engine: DatabaseEngine, instanceClass: string, serverlessMaxCapacity?: number, override?: number): MaxConnections {
  if (override !== undefined) return { value: override, source: "max_connections parameter" };
  const serverless = instanceClass === SERVERLESS_INSTANCE_CLASS;
  if (serverless && serverlessMaxCapacity === undefined) throw new Error("maxConnections: db.serverless needs the maximum capacity");
  const memoryGib = serverless ? serverlessMaxCapacity! * 2 : (AURORA_INSTANCE_CLASSES[instanceClass] ?? RDS_INSTANCE_CLASSES[instanceClass]);
  if (memoryGib === undefined) throw new Error(`maxConnections: unknown instance class ${instanceClass}`);
  const sizing = serverless ? `${serverlessMaxCapacity} ACU max (${memoryGib} GiB)` : `${instanceClass} (${memoryGib} GiB)`;
  const memory = dbInstanceClassMemory(memoryGib * GIB);
  if (engine === "aurora-mysql") {
    const row = [...AURORA_MYSQL_BY_MEMORY].reverse().find(([gib]) => memoryGib >= gib) ?? AURORA_MYSQL_BY_MEMORY[0]!;
    return { value: row[1], source: `Aurora MySQL default for ${sizing}` };
  }
  if (engine === "mysql") return { value: Math.floor(memory / 12582880), source: `DBInstanceClassMemory/12582880 for ${sizing}` };
  return { value: Math.min(Math.floor(memory / 9531392), 5000), source: `LEAST(DBInstanceClassMemory/9531392, 5000) for ${sizing}` };
}

export interface ClientDemand {
  readonly client: string;
  readonly connections: number;
  /** How the number came about, e.g. "pool 10 × 4 tasks". */
  readonly basis: string;
}

/** What the readers add behind the proxy's read-only endpoint, for as many readers as there can be. */
export interface ReaderSupply {
  /** The most readers the cluster can have (a scaling range's `max`). */
  readonly readers: number;
  /** Connections the proxy may open to them together. */
  readonly supply: number;
  /** How the number came about, e.g. "5 × 1527 (db.r6g.large)". */
  readonly basis: string;
}

export interface Budget {
  readonly maxConnections: MaxConnections;
  readonly maxConnectionsPercent: number;
  readonly supply: number;
  readonly demand: readonly ClientDemand[];
  readonly totalDemand: number;
  readonly headroom: number;
  /** Demand as a share of supply. */
  readonly utilisation: number;
  readonly status: "ok" | "warning" | "error";
  /**
   * Extra supply for reads through the read-only endpoint. Not counted against demand: a client may send
   * everything to the read/write endpoint, so demand is held against the writer alone.
   */
  readonly readers?: ReaderSupply;
  /**
   * The alarms that watch the budget live (modules/monitoring/alarms.ts): pool use at the warning and the
   * error level, and client connections against the total demand. Set once the environment's alarms exist.
   */
  readonly watchedBy?: { readonly warning: string; readonly error: string; readonly demand?: string };
}

export function computeBudget(max: MaxConnections, maxConnectionsPercent: number, clients: readonly ClientDemand[], readers?: ReaderSupply): Budget {
  const supply = Math.floor((max.value * maxConnectionsPercent) / 100);
  const demand = [...clients, { client: ADMIN_RESERVE_CLIENT, connections: ADMIN_RESERVE, basis: "bootstrap and an administrator's session" }];
  const totalDemand = demand.reduce((sum, d) => sum + d.connections, 0);
  const utilisation = supply === 0 ? Infinity : totalDemand / supply;
  return {
    maxConnections: max, maxConnectionsPercent, supply, demand, totalDemand, headroom: supply - totalDemand, utilisation,
    status: totalDemand > supply ? "error" : utilisation > 0.8 ? "warning" : "ok",
    ...(readers && readers.readers > 0 ? { readers } : {}),
  };
}

export function formatBudget(name: string, budget: Budget): string {
  const width = Math.max(...budget.demand.map((d) => d.client.length), 12);
  const lines = [
    `connection budget ${name}: ${budget.status.toUpperCase()} — demand ${budget.totalDemand} of ${budget.supply} (${Math.round(budget.utilisation * 100)} %), headroom ${budget.headroom}`,
    `  supply: max_connections ${budget.maxConnections.value} (${budget.maxConnections.source}) × ${budget.maxConnectionsPercent} % = ${budget.supply}`,
    ...budget.demand.map((d) => `  ${d.client.padEnd(width)} ${String(d.connections).padStart(6)}  ${d.basis}`),
    ...(budget.readers ? [`  readers: up to ${budget.readers.readers}, ${budget.readers.supply} more for reads through the read-only endpoint (${budget.readers.basis}); not counted above`] : []),
    ...(budget.watchedBy ? [
      `  watched by: ${budget.watchedBy.warning} (warning level), ${budget.watchedBy.error} (error level)${budget.watchedBy.demand ? `, ${budget.watchedBy.demand} (total demand)` : ""}`,
    ] : []),
  ];
  return lines.join("\n");
}
