import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JSDOM } from "jsdom";
import { beforeAll, describe, expect, it } from "vitest";
import { buildReview, diffStacks, renderMarkdown, type SynthesizedEnvironment } from "../../../scripts/lib/review/review.ts";

let outdir: string;
let head: SynthesizedEnvironment[];
const read = (dir: string, ...path: string[]) => JSON.parse(readFileSync(join(dir, ...path), "utf8"));

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), "dbstack-review-"));
  execFileSync(process.execPath, ["scripts/synth-app.mjs"], { env: { ...process.env, CDKTF_OUTDIR: outdir, CHECKPOINT_DISABLE: "1" } });
  head = ["dev", "staging", "prod"].map((name) => ({
    name,
    stacks: Object.fromEntries((read(outdir, "dbstack", name, "stacks.json") as string[]).map((stack) => [stack, read(outdir, "stacks", stack, "cdk.tf.json")])),
    policy: read(outdir, "dbstack", name, "policy.json"),
    budget: read(outdir, "dbstack", name, "budget.json"),
  }));
}, 60_000);

type Stack = { resource: Record<string, Record<string, Record<string, unknown>>> };

/** A base synth: the head with `change` applied to one stack of one environment. */
function baseWith(stackName: string, change: (stack: Stack, stacks: Record<string, Stack>) => void): SynthesizedEnvironment[] {
  return head.map((env) => {
    const stacks = structuredClone(env.stacks) as Record<string, Stack>;
    if (stacks[stackName]) change(stacks[stackName]!, stacks);
    return { ...env, stacks };
  });
}
const only = (stack: { resource: Record<string, Record<string, Record<string, unknown>>> }, type: string) => Object.values(stack.resource[type]!)[0]!;

describe("the review page", () => {
  it("summarizes each environment's database, proxy, keys, backups and log retention", () => {
    const page = renderMarkdown(buildReview(head));
    const section = (name: string) => page.slice(page.indexOf(`## ${name}\n`), page.indexOf("### Policy findings", page.indexOf(`## ${name}\n`)));
    expect(section("dev")).toContain("| capacity | Serverless v2, 0.5–2 ACU |");
    expect(section("dev")).toContain("| deletion protection | **no** |");
    expect(section("dev")).toContain("reporting (readonly): IAM DISABLED");
    expect(section("staging")).toContain("| capacity | db.t4g.medium |");
    expect(section("staging")).toContain("| readers | 1 |");
    expect(section("prod")).toContain("| engine | aurora-postgresql 16.8 |");
    expect(section("prod")).toContain("| readers | 2 |");
    expect(section("prod")).toContain("| backups | 35 days |");
    expect(section("prod")).toContain("| pool | borrow timeout 30 s, max connections 90 %, max idle 30 % |");
    expect(section("prod")).toContain("| idle client timeout | 900 s |");
    expect(section("prod")).toContain("| storage encryption | customer managed key (key_F64E54E4) |");
    expect(section("prod")).toContain("`/aws/rds/proxy/orders-prod` 365 d");
  });

  it("shows each secret's rotation schedule: production's user secrets on the function and the master by RDS, none elsewhere", () => {
    const page = renderMarkdown(buildReview(head));
    const section = (name: string) => page.slice(page.indexOf(`## ${name}\n`), page.indexOf("### Policy findings", page.indexOf(`## ${name}\n`)));
    expect(section("prod")).toContain("| `orders/prod/database/app` | every 30 days (rotation function) |");
    expect(section("prod")).toContain("| `master (RDS-managed)` | every 30 days (managed by RDS) |");
    expect(section("dev")).toContain("| `orders/dev/database/app` | none |");
    expect(section("dev")).toContain("| `master (RDS-managed)` | none |");
    // A schedule given as an expression with a window reads as such.
    const windowed = baseWith("prod-proxy", (stack) => {
      for (const rotation of Object.values(stack.resource.aws_secretsmanager_secret_rotation!)) rotation.rotation_rules = { schedule_expression: "rate(12 hours)", duration: "3h" };
    });
    expect(renderMarkdown(buildReview(windowed))).toContain("| `orders/prod/database/app` | rate(12 hours), 3h window (rotation function) |");
  });

  it("lists policy findings with suppression reasons, and the budget table", () => {
    const page = renderMarkdown(buildReview(head));
    expect(page).toContain("| PRX2 | suppressed | dev-proxy | `aws_db_proxy.proxy_5B0EBCF1` | [PRX2] Every proxy user requires IAM authentication. iam_auth is not REQUIRED for reporting (readonly) — suppressed: the reporting tool in dev cannot sign IAM tokens and uses its password |");
    // Production only: staging suppresses SEC3 (no rotation schedule outside production).
    expect(page.match(/No findings\./g)).toHaveLength(1);
    expect(page).toContain("**OK** — demand 66 of 1527 (4 %), headroom 1461.");
    expect(page).toContain("| service api | 60 | pool 10 × 6 tasks, as app |");
    expect(page).toContain("Readers: up to 5, 7635 more connections for reads through the read-only endpoint (5 × 1527 (db.r6g.large)), not counted against the demand above.");
  });

  it("lists each environment's alarms with metric, threshold and action, and the alarms that watch the budget", () => {
    const prod = buildReview(head).environments.find((e) => e.summary.name === "prod")!;
    expect(prod.summary.alarms).toHaveLength(29);
    expect(prod.summary.alarms.find((a) => a.name === "orders-prod-database-connections-writer")).toEqual({
      name: "orders-prod-database-connections-writer", metric: "AWS/RDS DatabaseConnections {DBClusterIdentifier=orders-prod, Role=WRITER} Maximum 300 s", threshold: "> 1527", actions: "1 (and OK: 1)",
    });
    expect(prod.summary.alarms.find((a) => a.name === "orders-prod-proxy-pool-use-warning")!.metric).toBe(
      "100 * connections / allowed where connections = AWS/RDS DatabaseConnections {ProxyName=orders-prod} Sum 60 s; allowed = AWS/RDS MaxDatabaseConnectionsAllowed {ProxyName=orders-prod} Sum 60 s");
    const page = renderMarkdown(buildReview(head));
    expect(page).toContain("| `orders-prod-proxy-auth-failures` | AWS/RDS ClientConnectionsSetupFailedAuth {ProxyName=orders-prod} Sum 60 s | > 0 | 1 (and OK: 1) |");
    expect(page).toContain("Watched live by `orders-prod-proxy-pool-use-warning` (warning level) and `orders-prod-proxy-pool-use-error` (error level); client connections against the total demand by `orders-prod-proxy-client-connections`.");
  });

  it("counts resources by type over every stack, and lists each stack with its own count", () => {
    const prod = buildReview(head).environments.find((e) => e.summary.name === "prod")!;
    expect(prod.summary.resourceCounts).toMatchObject({ aws_rds_cluster: 1, aws_rds_cluster_instance: 3, aws_db_proxy: 1, aws_db_proxy_endpoint: 1, aws_nat_gateway: 3, aws_codepipeline: 1 });
    expect(prod.summary.stacks.map((s) => s.name)).toEqual(["prod-network", "prod-database", "prod-proxy", "prod-iam", "prod-ecs-taskdef", "prod-clients", "prod-monitoring"]);
    expect(prod.summary.stacks.reduce((sum, s) => sum + s.resources, 0)).toBe(Object.values(prod.summary.resourceCounts).reduce((a, b) => a + b, 0));
    expect(renderMarkdown(buildReview(head))).toContain("**Stacks** (applied in dependency order, each with its own state): `prod-network` 48, `prod-database` 15, `prod-proxy` 35,");
  });

  it("draws a Mermaid diagram per environment that Mermaid's own parser accepts", async () => {
    const dom = new JSDOM("<!doctype html><html><body></body></html>");
    Object.assign(globalThis, { window: dom.window, document: dom.window.document });
    const { default: mermaid } = await import("mermaid");
    mermaid.initialize({ startOnLoad: false });
    for (const env of buildReview(head).environments) {
      await expect(mermaid.parse(env.diagram), env.summary.name).resolves.toMatchObject({ diagramType: "flowchart-v2" });
    }
    const prod = buildReview(head).environments.find((e) => e.summary.name === "prod")!.diagram;
    expect(prod).toContain('db0[("writer orders-prod-1")]');
    expect(prod).toContain('db2[("reader orders-prod-3")]');
    expect(prod).toContain("proxyRo --> db2");
    // The readers Auto Scaling may add, which Terraform does not create, behind the same endpoint.
    expect(prod).toContain('dbScaled[("up to 3 more readers added by Aurora Auto Scaling")]');
    expect(prod).toContain("proxyRo -.-> dbScaled");
    expect(prod).toContain('ecs -->|"TLS :5432"| proxy');
    expect(prod).toContain('setup -->|"TLS :5432, master secret"| db0');
    expect(prod).toContain('rotate[/"rotation on a schedule: orders-prod-db-rotate"/]');
    const dev = buildReview(head).environments.find((e) => e.summary.name === "dev")!.diagram;
    // The example client, not the setup or rotation function, is the Lambda among the clients.
    expect(dev).toContain('lambda["Lambda orders-dev-db-check"]');
    expect(dev).toContain('setup[/"setup on deploy: orders-dev-db-setup"/]');
    // Every client is drawn: staging's two services, each connecting through the proxy.
    const staging = buildReview(head).environments.find((e) => e.summary.name === "staging")!.diagram;
    expect(staging).toContain('ecs["ECS service orders-staging"]');
    expect(staging).toContain('ecs2["ECS service orders-staging-worker"]');
    expect(staging).toContain('ecs2 -->|"TLS :5432"| proxy');
    expect(dev).toContain('rotate[/"rotation on npm run rotate: orders-dev-db-rotate"/]');
    await expect(mermaid.parse("flowchart LR\n  a[broken -->")).rejects.toThrow(/Parse error/);
  }, 60_000);
});

describe("the review against a base synth", () => {
  it("flags a renamed cluster as a replacement, at the top of the page", () => {
    const base = baseWith("prod-database", (stack) => {
      only(stack, "aws_rds_cluster").cluster_identifier = "orders-production";
    });
    const review = buildReview(head, base);
    expect(review.replacements).toEqual([{ environment: "prod", stack: "prod-database", address: "aws_rds_cluster.database_cluster_FAF2FB92", reason: "cluster_identifier changed: aws_rds_cluster is replaced" }]);
    const page = renderMarkdown(review);
    expect(page.indexOf("## ⚠️ Stateful resources replaced or destroyed")).toBeLessThan(page.indexOf("## dev"));
    expect(page).toContain('  - `cluster_identifier`: `"orders-production"` → `"orders-prod"`');
  });

  it("lists a changed pool setting attribute by attribute, without a replacement", () => {
    const base = baseWith("staging-proxy", (stack) => {
      (only(stack, "aws_db_proxy_default_target_group").connection_pool_config as Record<string, unknown>).max_connections_percent = 75;
    });
    const changes = buildReview(head, base).environments.find((e) => e.summary.name === "staging")!.changes!;
    expect(changes).toEqual([{
      stack: "staging-proxy", address: expect.stringMatching(/^aws_db_proxy_default_target_group\.proxy_target-group_/), kind: "changed",
      changes: [{ path: "connection_pool_config.max_connections_percent", before: 75, after: 100 }],
    }]);
  });

  it("shows alarm changes by alarm name: a new threshold, an alarm added and one removed", () => {
    const base = baseWith("prod-monitoring", (stack) => {
      const alarms = stack.resource.aws_cloudwatch_metric_alarm!;
      const cpu = Object.values(alarms).find((a) => a.alarm_name === "orders-prod-database-cpu-writer")!;
      cpu.threshold = 90;
      const lag = Object.keys(alarms).find((k) => alarms[k]!.alarm_name === "orders-prod-database-replica-lag")!;
      delete alarms[lag];
      alarms.old = { ...cpu, alarm_name: "orders-prod-database-old-alarm", alarm_actions: [] };
    });
    const prod = buildReview(head, base).environments.find((e) => e.summary.name === "prod")!;
    expect(prod.alarmChanges!.map((c) => [c.name, c.kind, c.before?.threshold, c.after?.threshold])).toEqual([
      ["orders-prod-database-cpu-writer", "changed", "> 90", "> 80"],
      ["orders-prod-database-old-alarm", "removed", "> 90", undefined],
      ["orders-prod-database-replica-lag", "added", undefined, "> 1000"],
    ]);
    expect(renderMarkdown(buildReview(head, base))).toContain("| `orders-prod-database-cpu-writer` | changed | AWS/RDS CPUUtilization {DBClusterIdentifier=orders-prod, Role=WRITER} Average 300 s | > 90 → > 80 | 1 (and OK: 1) |");
  });

  it("shows an added reader as added", () => {
    const base = baseWith("prod-database", (stack) => {
      const instances = stack.resource.aws_rds_cluster_instance!;
      delete instances[Object.keys(instances).find((k) => k.startsWith("database_instance-3_"))!];
    });
    const changes = buildReview(head, base).environments.find((e) => e.summary.name === "prod")!.changes!;
    expect(changes.filter((c) => c.kind !== "changed")).toEqual([{ stack: "prod-database", address: "aws_rds_cluster_instance.database_instance-3_A4FBCB4D", kind: "added", changes: [] }]);
  });

  it("flags a stateful resource that moved to a new address (a renamed construct id) as destroyed", () => {
    const base = baseWith("dev-database", (stack) => {
      const keys = stack.resource.aws_kms_key!;
      keys.old_key_0000 = keys.key_F64E54E4!;
      delete keys.key_F64E54E4;
    });
    expect(buildReview(head, base).replacements).toEqual([
      { environment: "dev", stack: "dev-database", address: "aws_kms_key.old_key_0000", reason: "aws_kms_key is destroyed (a renamed construct id moves it to a new address)" },
    ]);
  });

  it("shows a stateful resource that moves between stacks as destroyed in one and created in the other", () => {
    // The base had the key in the network stack; the head has it in the database stack.
    const base = baseWith("dev-database", (stack, stacks) => {
      (stacks["dev-network"]!.resource.aws_kms_key ??= {}).key_F64E54E4 = stack.resource.aws_kms_key!.key_F64E54E4!;
      delete stack.resource.aws_kms_key;
    });
    const changes = buildReview(head, base).environments.find((e) => e.summary.name === "dev")!.changes!;
    expect(changes.filter((c) => c.address === "aws_kms_key.key_F64E54E4")).toEqual([
      { stack: "dev-database", address: "aws_kms_key.key_F64E54E4", kind: "added", changes: [] },
      { stack: "dev-network", address: "aws_kms_key.key_F64E54E4", kind: "removed", changes: [], replacement: "aws_kms_key is destroyed (moves to dev-database: a new state, so it is destroyed here and created there)" },
    ]);
  });

  it("never shows a secret-looking attribute's value", () => {
    const changes = diffStacks(
      { "dev-database": { resource: { aws_secretsmanager_secret_version: { v: { secret_string: "old-password" } } } } },
      { "dev-database": { resource: { aws_secretsmanager_secret_version: { v: { secret_string: "new-password" } } } } },
    );
    expect(changes[0]!.changes).toEqual([{ path: "secret_string", before: "(redacted)", after: "(redacted)" }]);
    expect(renderMarkdown({ environments: [], replacements: [] })).toBe("# dbstack review\n");
  });
});

describe("npm run review", () => {
  const run = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", "scripts/review.ts", ...args], { encoding: "utf8" });

  it("writes review.md next to the synth", () => {
    const result = run("--outdir", outdir);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`wrote ${join(outdir, "review.md")}: 3 environment(s), 0 stateful replacement(s)`);
    expect(readFileSync(join(outdir, "review.md"), "utf8")).toMatch(/^# dbstack review\n/);
  });

  it("exits 7 with --fail-on-replace when a base had a differently named cluster", () => {
    const base = mkdtempSync(join(tmpdir(), "dbstack-review-base-"));
    cpSync(outdir, base, { recursive: true });
    const file = join(base, "stacks", "staging-database", "cdk.tf.json");
    const stack = JSON.parse(readFileSync(file, "utf8"));
    Object.values(stack.resource.aws_rds_cluster as Record<string, Record<string, unknown>>)[0]!.cluster_identifier = "orders-stage";
    writeFileSync(file, JSON.stringify(stack));
    const result = run("--outdir", outdir, "--base", base, "--fail-on-replace");
    expect(result.status).toBe(7);
    expect(result.stderr).toContain("replacement: staging staging-database aws_rds_cluster.database_cluster_FAF2FB92: cluster_identifier changed: aws_rds_cluster is replaced");
  });

  it("exits 2 without a synth", () => {
    const result = run("--outdir", join(tmpdir(), "no-such-synth"));
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("run npm run synth first");
  });
});
