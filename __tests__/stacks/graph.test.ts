import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { LAYERS, parseStackName } from "../../scripts/lib/names/stack-names.ts";
import { STATEFUL_TYPES } from "../../scripts/lib/review/review.ts";

/** What `cdktf synth` runs (cdktf.json "app"), into a scratch directory: the stack graph as cdktf writes it. */
let outdir: string;
let printed: string;
let manifest: { stacks: Record<string, { dependencies: string[]; synthesizedStackPath: string }> };
const stackJson = (name: string) => JSON.parse(readFileSync(join(outdir, "stacks", name, "cdk.tf.json"), "utf8")) as {
  terraform: { backend: { s3: { key: string } } }; resource?: Record<string, Record<string, unknown>>;
};

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), "dbstack-graph-"));
  printed = execFileSync(process.execPath, ["scripts/synth-app.mjs"], { env: { ...process.env, CDKTF_OUTDIR: outdir, CHECKPOINT_DISABLE: "1" }, encoding: "utf8" });
  manifest = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8"));
}, 60_000);

const ENVIRONMENTS = ["dev", "prod", "staging"];

describe("the stack graph", () => {
  it("has every layer of every shipped environment, named <env>-<layer>", () => {
    const expected = ENVIRONMENTS.flatMap((env) => LAYERS.map((layer) => `${env}-${layer}`)).sort();
    expect(Object.keys(manifest.stacks).sort()).toEqual(expected);
    expect(readdirSync(join(outdir, "stacks")).sort()).toEqual(expected);
  });

  it("depends only on upstream layers of the same environment (network -> database -> proxy -> iam -> ecs-taskdef / clients)", () => {
    for (const [name, stack] of Object.entries(manifest.stacks)) {
      const self = parseStackName(name)!;
      for (const dependency of stack.dependencies) {
        const upstream = parseStackName(dependency)!;
        expect(upstream.environment, `${name} -> ${dependency}`).toBe(self.environment);
        expect(LAYERS.indexOf(upstream.layer), `${name} -> ${dependency}`).toBeLessThan(LAYERS.indexOf(self.layer));
      }
    }
    expect(manifest.stacks["prod-database"]!.dependencies).toEqual(["prod-network"]);
    expect(manifest.stacks["prod-iam"]!.dependencies.sort()).toEqual(["prod-database", "prod-network", "prod-proxy"]);
    expect(manifest.stacks["staging-ecs-taskdef"]!.dependencies.sort()).toEqual(["staging-database", "staging-iam"]);
  });

  it("has no cycle: every stack can be put in an apply order", () => {
    const order: string[] = [];
    const remaining = new Map(Object.entries(manifest.stacks).map(([name, s]) => [name, new Set(s.dependencies)]));
    while (remaining.size > 0) {
      const ready = [...remaining].filter(([, deps]) => [...deps].every((d) => order.includes(d))).map(([name]) => name);
      expect(ready.length, `stuck with ${[...remaining.keys()].join(", ")}`).toBeGreaterThan(0);
      for (const name of ready) {
        order.push(name);
        remaining.delete(name);
      }
    }
    expect(order.indexOf("prod-network")).toBeLessThan(order.indexOf("prod-database"));
    expect(order.indexOf("prod-iam")).toBeLessThan(order.indexOf("prod-clients"));
  });

  it("gives every stack of every environment its own state key", () => {
    const keys = Object.keys(manifest.stacks).map((name) => stackJson(name).terraform.backend.s3.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(stackJson("prod-proxy").terraform.backend.s3.key).toBe("dbstack/prod/proxy.tfstate");
  });

  it("puts no resource in two stacks of an environment", () => {
    for (const env of ENVIRONMENTS) {
      const seen = new Map<string, string>();
      for (const layer of LAYERS) {
        for (const [type, byName] of Object.entries(stackJson(`${env}-${layer}`).resource ?? {})) {
          for (const name of Object.keys(byName)) {
            const address = `${type}.${name}`;
            expect(seen.get(address), `${address} in ${env}-${layer}`).toBeUndefined();
            seen.set(address, `${env}-${layer}`);
          }
        }
      }
    }
  });

  it("prints each environment's budget and writes its stacks, findings and budget for the review", () => {
    expect(printed).toContain("connection budget prod: OK — demand 66 of 1527 (4 %), headroom 1461");
    const report = (env: string, file: string) => JSON.parse(readFileSync(join(outdir, "dbstack", env, file), "utf8"));
    expect(report("prod", "stacks.json")).toEqual(LAYERS.map((layer) => `prod-${layer}`));
    expect(report("prod", "budget.json")).toMatchObject({ supply: 1527, totalDemand: 66, status: "ok", maxConnections: { value: 1697 } });
    const devPolicy = report("dev", "policy.json") as { rule: string; stack: string }[];
    expect(devPolicy.map((f) => [f.rule, f.stack])).toEqual([["DBS3", "dev-database"], ["DBS4", "dev-database"], ["DBS5", "dev-database"], ["PRX2", "dev-proxy"], ["PRX3", "dev-proxy"], ["SEC3", "dev-proxy"]]);
  });
});

/**
 * Stateful resources and the stack they live in are a public contract: a renamed construct id or a resource
 * moved to another stack is a replacement (a new state address), which must fail here first.
 */
describe("stateful addresses are pinned", () => {
  const PINNED: Record<string, string[]> = {
    network: [
      "aws_db_subnet_group.network_db-subnet-group_C930E3C6", "aws_security_group.network_database-clients_039FB1E1", "aws_security_group.network_database-setup_CE966046", "aws_security_group.network_database_13AE05D2",
      "aws_security_group.network_proxy_5291ABF8", "aws_subnet.network_application-subnet-0_B23D2C59", "aws_subnet.network_application-subnet-1_9EBDC0EF",
      "aws_subnet.network_application-subnet-2_48FC669F", "aws_subnet.network_database-subnet-0_C0D5B49A", "aws_subnet.network_database-subnet-1_1D1AFB01",
      "aws_subnet.network_database-subnet-2_20082292", "aws_subnet.network_public-subnet-0_3247A438", "aws_subnet.network_public-subnet-1_63BED862",
      "aws_subnet.network_public-subnet-2_7DE9A83A", "aws_vpc.network_vpc_4E8F0223",
    ],
    database: [
      "aws_cloudwatch_log_group.database_log-group-postgresql_3BD22C85", "aws_kms_alias.key_alias_9418169B", "aws_kms_key.key_F64E54E4",
      "aws_rds_cluster.database_cluster_FAF2FB92", "aws_rds_cluster_instance.database_instance-1_95FDBD23", "aws_rds_cluster_instance.database_instance-2_67AB9804",
      "aws_rds_cluster_instance.database_instance-3_A4FBCB4D", "aws_rds_cluster_parameter_group.database_cluster-parameters_B7F2D9B3",
      "aws_secretsmanager_secret.users_secret-analytics_37FC83E8", "aws_secretsmanager_secret.users_secret-app_4186C245", "aws_secretsmanager_secret.users_secret-migrator_EAF6B1A5",
    ],
    proxy: ["aws_cloudwatch_log_group.proxy_log-group_949D0D46", "aws_cloudwatch_log_group.rotation_log-group_3EB189A7", "aws_cloudwatch_log_group.setup_log-group_8E00ACEA", "aws_db_proxy.proxy_5B0EBCF1", "aws_db_proxy_endpoint.proxy_read-only-endpoint_8F759F1F"],
    iam: [],
    "ecs-taskdef": ["aws_cloudwatch_log_group.service_log-group_D4C0FDDC"],
    clients: ["aws_cloudwatch_log_group.migrations_migrate-log-group_D99B2D99", "aws_cloudwatch_log_group.migrations_render-log-group_D614ABA6", "aws_s3_bucket.migrations_artifacts_85DA0939"],
    // Alarms, the topic, event subscriptions and the dashboard hold no data: the layer is stateless.
    monitoring: [],
  };
  const KEPT = new Set([...STATEFUL_TYPES, "aws_vpc", "aws_subnet", "aws_security_group", "aws_kms_alias", "aws_rds_cluster_parameter_group", "aws_db_parameter_group", "aws_db_proxy_endpoint", "aws_cloudwatch_log_group", "aws_s3_bucket"]);

  it.each(LAYERS)("prod-%s keeps its stateful resources at their addresses", (layer) => {
    const resources = stackJson(`prod-${layer}`).resource ?? {};
    const addresses = Object.entries(resources).filter(([type]) => KEPT.has(type)).flatMap(([type, byName]) => Object.keys(byName).map((name) => `${type}.${name}`)).sort();
    expect(addresses).toEqual(PINNED[layer]);
  });
});
