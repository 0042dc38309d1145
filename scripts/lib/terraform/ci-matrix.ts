/**
 * The CI job matrices of `.github/workflows/plan.yml`, from a synth: which stacks plan in which wave, and
 * which environments apply in which order. Nothing here names a layer: stacks and their dependencies come
 * from cdktf's `manifest.json`, and which environment a stack belongs to from the `dbstack/<env>/stacks.json`
 * files main.ts writes, so a new layer (or environment) reaches CI by being synthesized.
 *
 * A wave is every stack whose upstream stacks are all in earlier waves: wave 1 is each environment's
 * network, and independent stacks of one wave (every environment's, and siblings such as ecs-taskdef and
 * proxy) are separate jobs of one matrix, planned in parallel. A stack whose upstream plan failed is not
 * planned (its wave's job needs the wave before it).
 */

/** The part of cdktf's manifest.json read here. */
export interface CiManifest {
  readonly stacks: Readonly<Record<string, { readonly dependencies?: readonly string[] }>>;
}

/** One plan job: a stack, its environment, and the repository variable holding that environment's plan role. */
export interface PlanJob {
  readonly environment: string;
  readonly stack: string;
  /** The stack's synthesized directory, where `terraform init/plan` runs. */
  readonly directory: string;
  /** The repository variable with the ARN of the role the job assumes (configuration, never a secret). */
  readonly roleVariable: string;
}

export interface CiMatrices {
  /** `waves[i]` is the matrix (`{ include }`) of wave i + 1. */
  readonly waves: readonly { readonly include: readonly PlanJob[] }[];
  /** The apply matrix: one job per environment, in the order given. */
  readonly apply: { readonly include: readonly { readonly environment: string }[] };
}

/** The variable naming an environment's plan role: DBSTACK_PLAN_ROLE_ARN_<ENV> (hyphens as underscores). */
export function planRoleVariable(environment: string): string {
  return `DBSTACK_PLAN_ROLE_ARN_${environment.toUpperCase().replace(/-/g, "_")}`;
}

/**
 * The waves of every stack in the manifest: each stack one wave after its deepest upstream. Throws on a
 * dependency cycle or on a dependency the manifest does not have.
 */
export function planWaves(manifest: CiManifest): string[][] {
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const visit = (name: string): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    if (visiting.has(name)) throw new Error(`stacks ${[...visiting].join(" -> ")} -> ${name} depend on each other`);
    const stack = manifest.stacks[name];
    if (!stack) throw new Error(`a stack depends on ${name}, which the manifest does not have`);
    visiting.add(name);
    const own = 1 + Math.max(0, ...(stack.dependencies ?? []).map(visit));
    visiting.delete(name);
    depth.set(name, own);
    return own;
  };
  for (const name of Object.keys(manifest.stacks)) visit(name);
  const waves: string[][] = [];
  for (const [name, wave] of depth) (waves[wave - 1] ??= []).push(name);
  return waves.map((stacks) => stacks.sort());
}

/**
 * The plan waves and the apply order for `environments` (environment -> its stacks, from stacks.json).
 * `applyOrder` lists every environment once, first applied first (e.g. dev, staging, prod); `maxWaves` is
 * how many wave jobs the workflow has. Refuses a stack no environment claims, an environment missing from
 * the order (or named there but not synthesized), and more waves than the workflow has jobs for.
 */
export function ciMatrices(manifest: CiManifest, environments: Readonly<Record<string, readonly string[]>>, applyOrder: readonly string[], maxWaves: number): CiMatrices {
  const environmentOf = new Map<string, string>();
  for (const [environment, stacks] of Object.entries(environments)) for (const stack of stacks) environmentOf.set(stack, environment);
  const unclaimed = Object.keys(manifest.stacks).filter((stack) => !environmentOf.has(stack));
  if (unclaimed.length > 0) throw new Error(`stacks ${unclaimed.join(", ")} belong to no environment's dbstack/<env>/stacks.json: synthesize again`);
  const synthesized = Object.keys(environments).sort();
  const unordered = synthesized.filter((environment) => !applyOrder.includes(environment));
  const unknown = applyOrder.filter((environment) => !synthesized.includes(environment));
  if (unordered.length > 0 || unknown.length > 0 || new Set(applyOrder).size !== applyOrder.length) {
    throw new Error(`the apply order (${applyOrder.join(", ")}) must list each synthesized environment (${synthesized.join(", ")}) once`);
  }
  const waves = planWaves(manifest);
  if (waves.length > maxWaves) {
    throw new Error(`the synth has ${waves.length} dependency waves but the workflow plans ${maxWaves}: add plan-wave jobs up to plan-wave-${waves.length} to .github/workflows/plan.yml`);
  }
  return {
    waves: waves.map((stacks) => ({
      include: stacks.map((stack) => {
        const environment = environmentOf.get(stack)!;
        return { environment, stack, directory: `cdktf.out/stacks/${stack}`, roleVariable: planRoleVariable(environment) };
      }),
    })),
    apply: { include: applyOrder.map((environment) => ({ environment })) },
  };
}

/**
 * `$GITHUB_OUTPUT` lines: `wave-<n>=<matrix json>` for every wave slot the workflow has (empty past the
 * last wave, so that job is skipped) and `apply=<matrix json>`.
 */
export function githubOutputs(matrices: CiMatrices, maxWaves: number): string {
  const lines = Array.from({ length: maxWaves }, (_, i) => `wave-${i + 1}=${matrices.waves[i] ? JSON.stringify(matrices.waves[i]) : ""}`);
  return [...lines, `apply=${JSON.stringify(matrices.apply)}`, ""].join("\n");
}
