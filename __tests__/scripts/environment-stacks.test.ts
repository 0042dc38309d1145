import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { applyOrder, parseStackName, stackName } from "../../scripts/lib/names/stack-names.ts";
import { readOutputs, stackOutputs } from "../../scripts/lib/deploy/stack-outputs.ts";
import { thrownMessage } from "../helpers.ts";

describe("stack names", () => {
  it("round-trip <env>-<layer>, matching layers as whole suffixes", () => {
    expect(stackName("prod", "ecs-taskdef")).toBe("prod-ecs-taskdef");
    expect(parseStackName("prod-ecs-taskdef")).toEqual({ environment: "prod", layer: "ecs-taskdef" });
    expect(parseStackName("eu-west-network")).toEqual({ environment: "eu-west", layer: "network" });
    expect(parseStackName("prod")).toBeUndefined();
    expect(parseStackName("-network")).toBeUndefined();
  });

  it("order an environment's stacks so each comes after what it reads, ignoring other environments", () => {
    const manifest = { stacks: {
      "prod-clients": { dependencies: ["prod-iam", "prod-network"] }, "prod-iam": { dependencies: ["prod-proxy"] },
      "prod-proxy": { dependencies: ["prod-database"] }, "prod-database": { dependencies: ["prod-network"] }, "prod-network": { dependencies: [] },
      "prod-eu-network": { dependencies: [] },
    } };
    expect(applyOrder(manifest, "prod")).toEqual(["prod-network", "prod-database", "prod-proxy", "prod-iam", "prod-clients"]);
    expect(applyOrder(manifest, "prod-eu")).toEqual(["prod-eu-network"]);
    expect(thrownMessage(() => applyOrder({ stacks: { "a-network": { dependencies: ["a-database"] }, "a-database": { dependencies: ["a-network"] } } }, "a")))
      .toBe("stacks a-network -> a-database -> a-network depend on each other");
  });
});

describe("outputs of an environment's stacks", () => {
  const file = (content: unknown) => {
    const path = join(mkdtempSync(join(tmpdir(), "dbstack-outputs-")), "outputs.json");
    writeFileSync(path, JSON.stringify(content));
    return path;
  };

  it("merge every layer of the environment from `cdktf output '<env>-*'`, leaving out cdktf's cross-stack outputs and other environments", () => {
    const outputs = stackOutputs({
      "prod-network": { vpc_id: "vpc-1", "cross-stack-output-aws_vpcnetwork_vpc_1id": "vpc-1" },
      "prod-database": { database_port: "5432" },
      "prod-proxy": { proxy_endpoint: "p.proxy-x.eu-west-1.rds.amazonaws.com" },
      "prod-eu-network": { vpc_id: "vpc-2" },
    }, "prod");
    expect(outputs).toEqual({ vpc_id: "vpc-1", database_port: "5432", proxy_endpoint: "p.proxy-x.eu-west-1.rds.amazonaws.com" });
  });

  it("merge several `terraform output -json` files, one per stack", () => {
    const network = file({ vpc_id: { value: "vpc-1", type: "string", sensitive: false } });
    const proxy = file({ proxy_endpoint: { value: "p.example", type: "string", sensitive: false } });
    expect(readOutputs([network, proxy], "prod")).toEqual({ vpc_id: "vpc-1", proxy_endpoint: "p.example" });
  });

  it("refuse one name with two values, naming both sources", () => {
    expect(thrownMessage(() => stackOutputs({ "prod-network": { port: "1" }, "prod-database": { port: "2" } }, "prod")))
      .toBe('output "port" differs between prod-network and prod-database');
  });

  it("name the environments a file has when it has none of the one asked for", () => {
    expect(thrownMessage(() => stackOutputs({ "dev-network": {}, "dev-proxy": {} }, "prod"))).toBe('outputs file has no stacks of environment "prod" (it has: dev)');
  });
});

describe("npm run deploy / diff / destroy / output -- <env>", () => {
  const run = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", "scripts/environment.ts", ...args], { encoding: "utf8", env: { ...process.env, CDKTF_OUTDIR: outdir } });
  const outdir = mkdtempSync(join(tmpdir(), "dbstack-env-"));
  writeFileSync(join(outdir, "manifest.json"), JSON.stringify({ stacks: {
    "staging-network": { dependencies: [] }, "staging-database": { dependencies: ["staging-network"] }, "staging-proxy": { dependencies: ["staging-database", "staging-network"] },
  } }));

  it("deploys and destroys every stack of the environment with one cdktf command, passing flags through", () => {
    expect(run("deploy", "staging", "--print", "--auto-approve").stdout).toBe("> cdktf deploy staging-* --auto-approve\n");
    expect(run("destroy", "staging", "--print", "--auto-approve").stdout).toBe("> cdktf synth\n> cdktf destroy staging-* --skip-synth --auto-approve\n");
    expect(run("output", "staging", "--print").stdout).toBe("> cdktf output staging-* --outputs-file staging-outputs.json\n");
  });

  it("destroys the replicas Aurora Auto Scaling added before the layers, when the cluster's readers scale", () => {
    mkdirSync(join(outdir, "stacks", "scaled-database"), { recursive: true });
    writeFileSync(join(outdir, "stacks", "scaled-database", "cdk.tf.json"), JSON.stringify({
      provider: { aws: [{ region: "eu-west-1" }] },
      resource: {
        aws_appautoscaling_target: { t: { resource_id: "cluster:orders-scaled", scalable_dimension: "rds:cluster:ReadReplicaCount", service_namespace: "rds" } },
        aws_rds_cluster_instance: { a: { identifier: "orders-scaled-1" }, b: { identifier: "orders-scaled-2" } },
      },
    }));
    expect(run("destroy", "scaled", "--print").stdout).toBe([
      "> cdktf synth", "> delete the replicas Aurora Auto Scaling added to cluster orders-scaled (all but orders-scaled-1, orders-scaled-2)", "> cdktf destroy scaled-* --skip-synth", "",
    ].join("\n"));
  });

  it("diffs each stack after one synth, in apply order", () => {
    expect(run("diff", "staging", "--print").stdout).toBe([
      "> cdktf synth", "> cdktf diff staging-network --skip-synth", "> cdktf diff staging-database --skip-synth", "> cdktf diff staging-proxy --skip-synth", "",
    ].join("\n"));
  });

  it("refuses an unknown command or a missing environment with exit 2", () => {
    expect(run("apply", "staging").status).toBe(2);
    const missing = run("deploy");
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("name the environment, e.g. npm run deploy -- staging");
    expect(run("diff", "qa", "--print").stderr).toContain('no stacks of environment "qa" in the synth');
  });
});
