/**
 * The layered stacks of an environment, in the order they are applied. Shared by the synth (which names
 * its stacks this way) and by the scripts that read `cdktf output '<env>-*'` files and the review page
 * (which group stacks back into environments), so the two can never disagree.
 */
export const LAYERS = ["network", "database", "proxy", "iam", "ecs-taskdef", "clients", "monitoring"] as const;
export type Layer = (typeof LAYERS)[number];

export function stackName(environment: string, layer: Layer): string {
  return `${environment}-${layer}`;
}

/**
 * The environment and layer a stack name stands for, or undefined for a name that is not `<env>-<layer>`.
 * Layers are matched as whole suffixes, so environments "eu" and "eu-west" never claim each other's stacks.
 */
export function parseStackName(name: string): { environment: string; layer: Layer } | undefined {
  for (const layer of LAYERS) {
    const suffix = `-${layer}`;
    if (name.endsWith(suffix) && name.length > suffix.length) return { environment: name.slice(0, -suffix.length), layer };
  }
  return undefined;
}

/** The part of cdktf's manifest.json this reads: each stack's dependencies. */
export interface StackManifest {
  readonly stacks: Readonly<Record<string, { readonly dependencies?: readonly string[] }>>;
}

/**
 * The stacks of `environment` in an order they can be applied in (every stack after the stacks it reads);
 * destroy runs it backwards. Throws on a cycle, which cdktf would refuse to deploy too.
 */
export function applyOrder(manifest: StackManifest, environment: string): string[] {
  const ofEnvironment = Object.keys(manifest.stacks).filter((name) => parseStackName(name)?.environment === environment);
  const order: string[] = [];
  const visiting = new Set<string>();
  const visit = (name: string) => {
    if (order.includes(name)) return;
    if (visiting.has(name)) throw new Error(`stacks ${[...visiting].join(" -> ")} -> ${name} depend on each other`);
    visiting.add(name);
    for (const dependency of [...(manifest.stacks[name]?.dependencies ?? [])].sort()) if (ofEnvironment.includes(dependency)) visit(dependency);
    visiting.delete(name);
    order.push(name);
  };
  for (const layer of LAYERS) if (ofEnvironment.includes(stackName(environment, layer))) visit(stackName(environment, layer));
  return order;
}
