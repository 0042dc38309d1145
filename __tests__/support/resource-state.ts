/**
 * Offline plans of a change against a database stack that "already exists": the stack's own state, made
 * from its offline plan the way stand-in upstream states are (planned values, and placeholders of the right
 * shape for what AWS assigns), so a second plan of a changed config shows what terraform would do to it.
 */
import { placeholder } from "../../scripts/lib/terraform/stand-in-state.ts";
import type { OfflineWorkspace } from "../../scripts/lib/terraform/terraform-runner.ts";

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

interface ModulePlanJson {
  readonly planned_values?: { readonly root_module: { readonly child_modules?: readonly { readonly address: string; readonly resources?: readonly PlannedResource[] }[] } };
  readonly configuration?: { readonly root_module: { readonly module_calls?: Record<string, { readonly module: NonNullable<ShownPlan["configuration"]>["root_module"] }> } };
  readonly resource_changes?: readonly (ShownPlan["resource_changes"][number] & { readonly module_address?: string })[];
}

/** One module's part of a plan of several, with addresses as if the module had been planned alone. */
function moduleView(plan: ModulePlanJson, name: string): ShownPlan {
  const prefix = `module.${name}.`;
  const strip = <T extends { readonly address: string }>(item: T): T => ({ ...item, address: item.address.slice(prefix.length) });
  const child = plan.planned_values?.root_module.child_modules?.find((m) => m.address === `module.${name}`);
  return {
    planned_values: { root_module: { resources: (child?.resources ?? []).map(strip) } },
    configuration: { root_module: plan.configuration?.root_module.module_calls?.[name]?.module ?? {} },
    resource_changes: (plan.resource_changes ?? []).filter((r) => r.module_address === `module.${name}`).map(strip),
  };
}

/** A state of a module: the same resources, addressed inside `module.<name>`. */
function inModule(state: Json, name: string): Json[] {
  return (state.resources as Json[]).map((resource) => ({ module: `module.${name}`, ...resource }));
}

/**
 * Like planAgainst for several stacks at once: each is a module of one scratch root with its own prior state
 * (when given), planned by one terraform run, so the provider loads once instead of once per stack. Returns
 * each stack's plan as if it had been planned alone.
 */
export async function planSideBySide(
  workspace: OfflineWorkspace,
  label: string,
  entries: readonly { readonly name: string; readonly stack: Json; readonly upstreamStates: ReadonlyMap<string, string>; readonly state?: Json }[],
): Promise<Record<string, ShownPlan>> {
  const states = entries.filter((e) => e.state);
  const prior = states.length === 0 ? undefined : {
    version: 4, terraform_version: "1.11.0", serial: 1, lineage: "5d2c8a1e-0000-4000-a000-000000000002", outputs: {},
    resources: states.flatMap((e) => inModule(e.state!, e.name)), check_results: null,
  };
  const plan = await workspace.planModules(label, entries.map((e) => ({ name: e.name, json: e.stack, upstreamStates: e.upstreamStates })), prior) as ModulePlanJson;
  return Object.fromEntries(entries.map((e) => [e.name, moduleView(plan, e.name)]));
}
