import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { applyOrder, parseStackName, stackName } from "../../scripts/lib/names/stack-names.ts";
import { readOutputs, stackOutputs } from "../../scripts/lib/deploy/stack-outputs.ts";
import { cliConfigPath, offlineMirrorReason, withProviderLockFlag } from "../../scripts/lib/terraform/provider-lock.ts";
import { mirrorCliConfig } from "../../scripts/lib/terraform/terraform-offline.ts";
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

describe("cdktf's provider lock on a machine with only a filesystem mirror", () => {
  const REASON = "the Terraform CLI config installs providers from a filesystem mirror only, and `terraform providers lock` would ask the registry";

  it("is skipped where the aws provider can come from the mirror only: no direct block, or one that excludes it", () => {
    expect(offlineMirrorReason(mirrorCliConfig("/opt/tf-plugins"))).toBe(REASON);
    expect(offlineMirrorReason('provider_installation {\n  filesystem_mirror {\n    path = "/opt/tf-plugins"\n  }\n}\n')).toBe(REASON);
    expect(offlineMirrorReason('provider_installation {\n  network_mirror { url = "https://mirror.example/" }\n}\n')).toMatch(/from a network mirror only/);
  });

  it("is kept where the registry is still reachable, or there is no mirror or no config at all", () => {
    expect(offlineMirrorReason('provider_installation {\n  filesystem_mirror { path = "/m" include = ["example.com/*/*"] }\n  direct { exclude = ["example.com/*/*"] }\n}\n')).toBeUndefined();
    expect(offlineMirrorReason('plugin_cache_dir = "$HOME/.terraform.d/plugin-cache"\n# filesystem_mirror { path = "/m" }\n')).toBeUndefined();
    expect(offlineMirrorReason(undefined)).toBeUndefined();
  });

  it("adds the flag once, after the caller's flags, and never twice", () => {
    expect(withProviderLockFlag(["--auto-approve"], mirrorCliConfig())).toEqual({ flags: ["--auto-approve", "--skip-provider-lock"], reason: REASON });
    expect(withProviderLockFlag(["--skip-provider-lock"], mirrorCliConfig())).toEqual({ flags: ["--skip-provider-lock"] });
    expect(withProviderLockFlag([], undefined)).toEqual({ flags: [] });
  });

  it("reads the config Terraform reads: TF_CLI_CONFIG_FILE, else ~/.terraformrc", () => {
    expect(cliConfigPath({ TF_CLI_CONFIG_FILE: "/etc/tf.rc" }, "/home/me")).toBe("/etc/tf.rc");
    expect(cliConfigPath({}, "/home/me")).toBe("/home/me/.terraformrc");
  });
});

describe("npm run deploy / diff / destroy / output -- <env>", () => {
  const outdir = mkdtempSync(join(tmpdir(), "dbstack-env-"));
  // A CLI config with no mirror, so what is printed does not depend on the machine's own config.
  const registryConfig = join(outdir, "registry.tfrc");
  writeFileSync(registryConfig, 'plugin_cache_dir = "/tmp"\n');
  const run = (...args: string[]) => runWith(registryConfig, ...args);
  const runWith = (cliConfig: string, ...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", "scripts/environment.ts", ...args], {
    encoding: "utf8", env: { ...process.env, CDKTF_OUTDIR: outdir, TF_CLI_CONFIG_FILE: cliConfig },
  });
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

  it("passes --skip-provider-lock to every cdktf command that inits, not to synth, where the CLI config has only a mirror", () => {
    const mirrorConfig = join(outdir, "mirror.tfrc");
    writeFileSync(mirrorConfig, mirrorCliConfig());
    const note = `(adding --skip-provider-lock: the Terraform CLI config installs providers from a filesystem mirror only, and \`terraform providers lock\` would ask the registry; ${mirrorConfig})`;
    expect(runWith(mirrorConfig, "deploy", "staging", "--print", "--auto-approve").stdout).toBe(`${note}\n> cdktf deploy staging-* --auto-approve --skip-provider-lock\n`);
    expect(runWith(mirrorConfig, "diff", "staging", "--print").stdout.split("\n").slice(1, 3)).toEqual(["> cdktf synth", "> cdktf diff staging-network --skip-synth --skip-provider-lock"]);
    expect(runWith(mirrorConfig, "output", "staging", "--print").stdout).toContain("> cdktf output staging-* --outputs-file staging-outputs.json --skip-provider-lock\n");
  });

  it("refuses an unknown command or a missing environment with exit 2", () => {
    expect(run("apply", "staging").status).toBe(2);
    const missing = run("deploy");
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("name the environment, e.g. npm run deploy -- staging");
    expect(run("diff", "qa", "--print").stderr).toContain('no stacks of environment "qa" in the synth');
  });
});
