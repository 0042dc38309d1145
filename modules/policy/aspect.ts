/**
 * Applies the pack to every resource of a stack during synth and turns findings into annotations:
 * errors fail `cdktf synth`; warnings and "could not check" are printed; suppressed findings are listed.
 */
import type { IConstruct } from "constructs";
import { Annotations, DefaultTokenResolver, StringConcat, TerraformResource, TerraformStack, Tokenization, type IAspect } from "cdktf";
import { PACK, type PackRule } from "./pack.ts";
import { suppressionFor } from "./suppressions.ts";
import type { ResourceFacts } from "./types.ts";

export interface Finding {
  readonly rule: string;
  readonly level: "error" | "warning" | "info";
  readonly status: "non-compliant" | "unknown";
  /** The stack the resource is in, e.g. "prod-proxy". */
  readonly stack: string;
  readonly resource: string;
  readonly path: string;
  readonly message: string;
  /** Set when a suppression covers the finding. */
  readonly suppressed?: string;
}

/** Runs the pack over one resource's facts; pure, so rules and levels can be tested without synth. */
export function evaluate(facts: ResourceFacts, pack: readonly PackRule[] = PACK): { rule: PackRule; status: "non-compliant" | "unknown"; detail: string }[] {
  const results: { rule: PackRule; status: "non-compliant" | "unknown"; detail: string }[] = [];
  for (const rule of pack) {
    const verdict = rule.rule(facts);
    if (verdict.result === "non-compliant" || verdict.result === "unknown") results.push({ rule, status: verdict.result, detail: verdict.detail });
  }
  return results;
}

export function levelOf(rule: PackRule, production: boolean): "error" | "warning" {
  return rule.level === "error" || (production && rule.escalate) ? "error" : "warning";
}

/** A resource's synthesized blocks (type -> name -> attributes), references rendered as "${…}". */
function rendered(resource: TerraformResource): Record<string, Record<string, Record<string, unknown>>> {
  const stack = TerraformStack.of(resource);
  const json = Tokenization.resolve(resource.toTerraform(), { scope: stack, preparing: false, resolver: new DefaultTokenResolver(new StringConcat()) });
  return (json?.resource ?? {}) as Record<string, Record<string, Record<string, unknown>>>;
}

export class PolicyAspect implements IAspect {
  readonly findings: Finding[] = [];
  private readonly seen = new Set<string>();
  private readonly stackResources = new Map<TerraformStack, Record<string, Record<string, Record<string, unknown>>>>();

  constructor(private readonly production: boolean, private readonly pack: readonly PackRule[] = PACK) {}

  /** Every resource of the stack, rendered once per stack when its first resource is visited. */
  private resourcesOf(stack: TerraformStack): Record<string, Record<string, Record<string, unknown>>> {
    let resources = this.stackResources.get(stack);
    if (!resources) {
      resources = {};
      for (const child of stack.node.findAll()) {
        if (!(child instanceof TerraformResource)) continue;
        for (const [type, byName] of Object.entries(rendered(child))) Object.assign((resources[type] ??= {}), byName);
      }
      this.stackResources.set(stack, resources);
    }
    return resources;
  }

  visit(node: IConstruct): void {
    if (!(node instanceof TerraformResource) || this.seen.has(node.node.path)) return;
    this.seen.add(node.node.path);
    const stack = TerraformStack.of(node);
    const attributes = rendered(node)[node.terraformResourceType]?.[node.friendlyUniqueId] ?? {};
    const facts: ResourceFacts = {
      type: node.terraformResourceType,
      address: `${node.terraformResourceType}.${node.friendlyUniqueId}`,
      attributes,
      production: this.production,
      stackResources: this.resourcesOf(stack),
    };
    for (const { rule, status, detail } of evaluate(facts, this.pack)) {
      const suppression = suppressionFor(node, rule.id);
      const level = suppression ? "info" : status === "unknown" ? "warning" : levelOf(rule, this.production);
      const message = `[${rule.id}] ${rule.info} ${status === "unknown" ? `Could not check: ${detail}` : detail}` +
        (suppression ? ` — suppressed: ${suppression.reason}` : "");
      this.findings.push({ rule: rule.id, level, status, stack: stack.node.id, resource: facts.address, path: node.node.path, message, ...(suppression ? { suppressed: suppression.reason } : {}) });
      const annotations = Annotations.of(node);
      if (level === "error") annotations.addError(message);
      else if (level === "warning") annotations.addWarning(message);
      else annotations.addInfo(message);
    }
  }
}
