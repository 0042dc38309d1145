/**
 * What an environment deployed with one layout would plan under another, offline: a stand-in Terraform
 * state holding every resource the first layout's plan creates (its planned values, placeholders for the
 * ids and ARNs AWS assigns), against which the second layout is planned. A resource whose address the new
 * layout no longer has plans a delete, unless a `moved` block carries it over — which is what a
 * construct-id change would cost a deployed environment.
 */
import { placeholder, type PlanJson } from "./stand-in-state.ts";

type Json = Record<string, unknown>;

const PROVIDER = 'provider["registry.terraform.io/hashicorp/aws"]';

/** What a hand-written state needs of a resource type's schema. */
export interface ResourceSchema {
  readonly version: number;
  /** Its string attributes: the ones a placeholder can stand in for. */
  readonly strings: readonly string[];
  /** Its sets and lists of strings (e.g. a cluster's availability_zones, which AWS fills in when left out). */
  readonly stringCollections: readonly string[];
}

/** Where the placeholders of a module's resources live. */
export interface ModuleContext {
  readonly region: string;
  readonly account: string;
}

/**
 * A state (format 4) with every managed resource `plan` creates, each in its child module, as planned:
 * attributes known at plan time as they are, string attributes AWS assigns (ids, ARNs, key ids) as
 * placeholders of their shape, the rest unset. `schemas` come from `terraform providers schema -json`.
 */
export function priorStateFromPlan(
  plan: PlanJson, schemas: Readonly<Record<string, ResourceSchema>>, contextOf: (module: string) => ModuleContext, configOf: (module: string) => Json,
): Json {
  const created = (plan.resource_changes ?? []).filter((r) => r.mode === "managed" && r.change.actions?.includes("create"));
  const byAddress = new Map(created.map((r) => {
    const module = r.module_address ?? "";
    const attributes: Json = { ...((r.change.after ?? {}) as Json) };
    const unknown = (r.change.after_unknown ?? {}) as Json;
    const schema = schemas[r.type] ?? { version: 0, strings: ["id"], stringCollections: [] };
    const stand = (attribute: string) => placeholder(r.type, attribute, { ...contextOf(module), known: attributes, seed: `${r.address}.${attribute}` });
    for (const attribute of schema.strings) if (unknown[attribute] === true) attributes[attribute] = stand(attribute);
    for (const attribute of schema.stringCollections) if (unknown[attribute] === true) attributes[attribute] = [stand(attribute)];
    return [r.address, { r, module, attributes, unknown, schema }];
  }));
  // An attribute set to another resource's attribute AWS assigns (bucket = aws_s3_bucket.x.id) is what an
  // apply would have stored: the same placeholder, not a second one, or the plan would see a change.
  for (let pass = 0; pass < 3; pass++) {
    for (const { r, module, attributes, unknown } of byAddress.values()) {
      const name = r.address.slice(module ? module.length + 1 : 0).slice(r.type.length + 1);
      const config = (((configOf(module).resource as Json | undefined)?.[r.type] as Json | undefined)?.[name] ?? {}) as Json;
      for (const [attribute, value] of Object.entries(config)) {
        const reference = typeof value === "string" ? SINGLE_REFERENCE.exec(value) : null;
        if (!reference || unknown[attribute] !== true) continue;
        const target = byAddress.get(`${module ? `${module}.` : ""}${reference[1]}.${reference[2]}`);
        const resolved = target?.attributes[reference[3]!];
        if (resolved !== undefined && resolved !== null) attributes[attribute] = resolved;
      }
    }
  }
  const resources = [...byAddress.values()].map(({ r, module, attributes, schema }) => ({
    ...(module ? { module } : {}), mode: "managed", type: r.type, name: r.address.slice(module ? module.length + 1 : 0).slice(r.type.length + 1), provider: PROVIDER,
    instances: [{ schema_version: schema.version, attributes, sensitive_attributes: [] }],
  }));
  return { version: 4, terraform_version: "1.11.0", serial: 1, lineage: "00000000-0000-4000-a000-000000000022", outputs: {}, resources, check_results: null };
}

/** "${type.name.attribute}" and nothing else. */
const SINGLE_REFERENCE = /^\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z0-9_]+)\}$/;

/** The resources a plan deletes (replacements included), by address. */
export function deletedAddresses(plan: PlanJson): string[] {
  return (plan.resource_changes ?? []).filter((r) => r.mode === "managed" && r.change.actions?.includes("delete")).map((r) => r.address).sort();
}
