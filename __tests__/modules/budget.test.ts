import { describe, expect, it } from "vitest";
import { computeBudget, formatBudget, maxConnections } from "../../modules/budget.ts";
import { environment, synthEnvironment } from "../helpers.ts";

describe("max_connections", () => {
  it.each([
    // Worked examples: memory minus RDS's reserve (300 MiB + 4 %), divided by the engine's per-connection figure.
    ["db.t3.medium PostgreSQL", "postgres", "db.t3.medium", undefined, 399],
    ["db.r6g.large Aurora PostgreSQL", "aurora-postgresql", "db.r6g.large", undefined, 1697],
    ["2-ACU Serverless v2 PostgreSQL", "aurora-postgresql", "db.serverless", 2, 399],
    ["db.t3.micro MySQL (seed 001)", "mysql", "db.t3.micro", undefined, 56],
    ["db.r6g.large Aurora MySQL", "aurora-mysql", "db.r6g.large", undefined, 1000],
    ["db.t4g.medium Aurora MySQL", "aurora-mysql", "db.t4g.medium", undefined, 90],
    ["a huge PostgreSQL, capped", "postgres", "db.r6i.24xlarge", undefined, 5000],
  ] as const)("%s", (_case, engine, instanceClass, acu, expected) => {
    expect(maxConnections(engine, instanceClass, acu).value).toBe(expected);
  });

  it("uses an explicit max_connections when set", () => {
    expect(maxConnections("postgres", "db.t3.micro", undefined, 250)).toEqual({ value: 250, source: "max_connections parameter" });
  });

  it("needs the capacity of a serverless database", () => {
    expect(() => maxConnections("aurora-postgresql", "db.serverless")).toThrow("maxConnections: db.serverless needs the maximum capacity");
  });
});

describe("the budget", () => {
  const max = { value: 100, source: "test" };
  it("is ok with headroom, warns above 80 % and errors above supply", () => {
    expect(computeBudget(max, 100, [{ client: "ecs", connections: 20, basis: "pool 10 × 2 tasks" }])).toMatchObject({ supply: 100, totalDemand: 25, headroom: 75, status: "ok" });
    expect(computeBudget(max, 100, [{ client: "ecs", connections: 80, basis: "" }]).status).toBe("warning");
    expect(computeBudget(max, 50, [{ client: "lambda", connections: 50, basis: "" }])).toMatchObject({ supply: 50, totalDemand: 55, headroom: -5, status: "error" });
  });

  it("prints a table a reviewer can read", () => {
    const text = formatBudget("dev", computeBudget({ value: 399, source: "LEAST(…) for 2 ACU max (4 GiB)" }, 100, [{ client: "lambda", connections: 5, basis: "reserved concurrency 5" }]));
    expect(text.split("\n")).toEqual([
      "connection budget dev: OK — demand 10 of 399 (3 %), headroom 389",
      "  supply: max_connections 399 (LEAST(…) for 2 ACU max (4 GiB)) × 100 % = 399",
      "  lambda             5  reserved concurrency 5",
      "  admin reserve      5  bootstrap and an administrator's session",
    ]);
  });

  it("names the alarms that watch its levels, once the environment has them", () => {
    const budget = { ...computeBudget(max, 100, []), watchedBy: { warning: "shop-test-proxy-pool-use-warning", error: "shop-test-proxy-pool-use-error" } };
    expect(formatBudget("test", budget).split("\n").at(-1)).toBe("  watched by: shop-test-proxy-pool-use-warning (warning level), shop-test-proxy-pool-use-error (error level)");
  });
});

describe("the budget in a stack", () => {
  const synthBudget = (input: Parameters<typeof environment>[0]) => {
    const { env } = synthEnvironment(environment(input));
    const annotations = env.proxy.proxy.node.metadata.filter((m) => m.type === "@cdktf/error" || m.type === "@cdktf/warn").map((m) => String(m.data));
    return { budget: env.budget, annotations };
  };
  const ecs = (maxTasks: number) => ({ services: { api: { user: "app", sharedUser: true, container: { imageRepository: "shop", imageTag: "1", cpu: 256, memory: 512 }, connections: { poolSize: 20, maxTasks } } } });

  it("counts ECS tasks, Lambda concurrency, migrations and the admin reserve", () => {
    const { budget, annotations } = synthBudget({
      users: { app: { privileges: "readwrite" }, migrator: { privileges: "owner" } },
      clients: { ...ecs(4), functions: { reports: { user: "app", sharedUser: true, reservedConcurrency: 30 } }, migrations: { user: "migrator" } },
    });
    expect(budget.demand.map((d) => [d.client, d.connections])).toEqual([["service api", 80], ["function reports", 30], ["migrations", 1], ["admin reserve", 5]]);
    expect(budget.supply).toBe(399);
    expect(annotations).toEqual([]);
  });

  it("fails the synth when clients can exhaust the database (an unreserved Lambda on a small instance)", () => {
    const { budget, annotations } = synthBudget({ database: { engine: "postgres", engineVersion: "16", instanceClass: "db.t3.micro", databaseName: "shop", performanceInsights: { enabled: false } }, clients: { functions: { reports: { user: "app" } } } });
    expect(budget.status).toBe("error");
    expect(annotations).toEqual([
      `connection budget: function reports alone may open 1000 connections (unreserved: up to the account's 1000, as app), more than the ${budget.supply} the proxy may open — lower its pool, tasks or concurrency`,
      `connection budget: demand 1005 of ${budget.supply} connections (${Math.round(budget.utilisation * 100)} %; max_connections ${budget.maxConnections.value} × 100 %) — the clients can exhaust the database: lower pool sizes, task counts or Lambda concurrency, or raise the capacity`,
    ]);
  });

  it("adds the readers' supply for the most readers there can be: Terraform's with their classes, and Auto Scaling's at the writer's", () => {
    const { budget } = synthBudget({ database: { engine: "aurora-postgresql", engineVersion: "16.8", instanceClass: "db.r6g.large", databaseName: "shop",
      readers: { min: 1, max: 3, target: { metric: "cpu", value: 60 }, instances: [{ instanceClass: "db.t4g.medium" }] } } });
    expect(budget.readers).toEqual({ readers: 3, supply: 399 + 2 * 1697, basis: "1 × 399 (db.t4g.medium) + 2 × 1697 (db.r6g.large)" });
    expect(budget.supply).toBe(1697);
    expect(formatBudget("test", budget)).toContain("  readers: up to 3, 3793 more for reads through the read-only endpoint (1 × 399 (db.t4g.medium) + 2 × 1697 (db.r6g.large)); not counted above");
    expect(synthBudget({}).budget.readers).toBeUndefined();
  });

  it("warns above 80 % and follows the proxy's max connections percent", () => {
    const { budget, annotations } = synthBudget({ clients: ecs(4), proxy: { pool: { maxConnectionsPercent: 25, maxIdleConnectionsPercent: 10 } } });
    expect(budget.supply).toBe(Math.floor(399 * 0.25));
    expect(budget.status).toBe("warning");
    expect(annotations[0]).toMatch(/— above 80 %$/);
  });
});
