/**
 * Offline plans of a change against a database stack that "already exists": the stack's own state, made
 * from its offline plan the way stand-in upstream states are (planned values, and placeholders of the right
 * shape for what AWS assigns), so a second plan of a changed config shows what terraform would do to it.
 */
import { execFile } from "node:child_process";
import { copyFile, mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { placeholder } from "../../scripts/lib/terraform/stand-in-state.ts";
import { offlineStack } from "../../scripts/lib/terraform/terraform-offline.ts";
import { TERRAFORM, type OfflineWorkspace } from "../../scripts/lib/terraform/terraform-runner.ts";

const run = promisify(execFile);
type Json = Record<string, unknown>;

export interface PlannedResource {
  readonly address: string;
  readonly mode: string;
  readonly type: string;
  readonly name: string;
  readonly provider_name: string;
  readonly schema_version: number;
  readonly values: Json;
}

export interface ShownPlan {
  readonly planned_values: { readonly root_module: { readonly resources?: readonly PlannedResource[] } };
  readonly configuration?: { readonly root_module: { readonly resources?: readonly { readonly address: string; readonly expressions?: Record<string, { readonly references?: readonly string[] }> }[] } };
  readonly resource_changes: readonly {
    readonly address: string;
    readonly type: string;
    readonly mode: string;
    readonly change: { readonly actions: readonly string[]; readonly before?: Json | null; readonly after?: Json | null; readonly after_unknown?: Json; readonly replace_paths?: unknown };
  }[];
}

/** Attributes AWS assigns that later plans compare or reference; other unknown attributes stay null. */
const ASSIGNED = /^(id|arn|.*_arn|endpoint|reader_endpoint|address|cluster_resource_id|resource_id|key_id|unique_id|hosted_zone_id)$/;

/** What AWS fills in for attributes a config leaves unset (an RDS cluster spans three zones). */
const FILLED_BY_AWS: Readonly<Record<string, (region: string, values: Json) => unknown>> = {
  "aws_rds_cluster.availability_zones": (region) => ["a", "b", "c"].map((zone) => `${region}${zone}`),
  "aws_rds_cluster.id": (_region, values) => values.cluster_identifier,
  "aws_db_instance.id": (_region, values) => values.identifier,
};

/**
 * A state (format 4) holding the resources of a plan as if it had been applied: what AWS assigns gets a
 * placeholder of its shape, and an attribute that was unknown because it refers to another resource gets
 * that resource's value, as after a real apply.
 */
export function appliedState(plan: ShownPlan, region: string, account: string): Json {
  const planned = (plan.planned_values.root_module.resources ?? []).filter((r) => r.mode === "managed");
  const unknownOf = (address: string) => plan.resource_changes.find((c) => c.address === address)?.change.after_unknown ?? {};
  const state = new Map(planned.map((r) => {
    const attributes: Json = { ...r.values };
    for (const [attribute, isUnknown] of Object.entries(unknownOf(r.address))) {
      if (isUnknown !== true) continue;
      const filled = FILLED_BY_AWS[`${r.type}.${attribute}`];
      attributes[attribute] = filled ? filled(region, r.values)
        : ASSIGNED.test(attribute) ? placeholder(r.type, attribute, { region, account, known: r.values, seed: `${r.address}.${attribute}` }) : null;
    }
    return [r.address, attributes];
  }));
  for (const config of plan.configuration?.root_module.resources ?? []) {
    const attributes = state.get(config.address);
    if (!attributes) continue;
    for (const [attribute, expression] of Object.entries(config.expressions ?? {})) {
      if (unknownOf(config.address)[attribute] !== true) continue;
      const reference = /^([a-z0-9_]+\.[A-Za-z0-9_-]+)\.([a-z0-9_]+)$/.exec(expression.references?.[0] ?? "");
      const value = reference ? state.get(reference[1]!)?.[reference[2]!] : undefined;
      if (value !== undefined && value !== null) attributes[attribute] = value;
    }
  }
  const resources = planned.map((r) => {
    const attributes = state.get(r.address)!;
    return {
      mode: "managed", type: r.type, name: r.name, provider: `provider["${r.provider_name}"]`,
      instances: [{ schema_version: r.schema_version, attributes, sensitive_attributes: [] }],
    };
  });
  return { version: 4, terraform_version: "1.11.0", serial: 1, lineage: "5d2c8a1e-0000-4000-a000-000000000001", outputs: {}, resources, check_results: null };
}

/**
 * Plans a stack in the workspace against its upstreams' stand-in states and, when given, its own prior
 * state; returns `terraform show -json` of the plan. Throws with terraform's words when it fails.
 */
export async function planAgainst(workspace: OfflineWorkspace, dirName: string, stack: Json, upstreamStates: ReadonlyMap<string, string>, state?: Json): Promise<ShownPlan> {
  const dir = join(workspace.root, dirName);
  await mkdir(join(dir, ".terraform"), { recursive: true });
  await writeFile(join(dir, "cdk.tf.json"), JSON.stringify(offlineStack(stack, upstreamStates), null, 1));
  await symlink(join(workspace.root, "_init", ".terraform", "providers"), join(dir, ".terraform", "providers"));
  await copyFile(join(workspace.root, "_init", ".terraform.lock.hcl"), join(dir, ".terraform.lock.hcl"));
  if (state) await writeFile(join(dir, "terraform.tfstate"), JSON.stringify(state, null, 1));
  const env = { ...process.env, TF_CLI_CONFIG_FILE: join(workspace.root, "terraform.rc"), TF_IN_AUTOMATION: "1", CHECKPOINT_DISABLE: "1", TF_INPUT: "0" };
  const terraform = async (args: string[]) => {
    try {
      return (await run(TERRAFORM, args, { cwd: dir, env, timeout: 600_000, maxBuffer: 256 * 1024 * 1024 })).stdout;
    } catch (error) {
      const e = error as { stderr?: string; stdout?: string; message: string };
      throw new Error(`terraform ${args[0]} in ${dirName}: ${(e.stderr || e.stdout || e.message).trim()}`);
    }
  };
  await terraform(["plan", "-refresh=false", "-input=false", "-lock=false", "-no-color", "-out=upgrade.tfplan"]);
  return JSON.parse(await terraform(["show", "-json", "-no-color", "upgrade.tfplan"])) as ShownPlan;
}
