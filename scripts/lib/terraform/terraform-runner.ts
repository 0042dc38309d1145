import { execFile } from "node:child_process";
import { access, copyFile, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { ResourceSchema } from "./prior-state.ts";
import { standInOutputs, standInState, upstreamStacks, type PlanJson } from "./stand-in-state.ts";
import { AWS_PROVIDER_ADDRESS, PROVIDER_MIRROR, countResources, mirrorCliConfig, offlineStack, plannedAdds } from "./terraform-offline.ts";

const run = promisify(execFile);
export const TERRAFORM = process.env.TERRAFORM_BIN ?? "terraform";

/**
 * - planned: validated, and an offline plan added exactly the resources the stack declares
 * - validated: validated only; `note` says why it was not planned
 * - failed: terraform refused it (`error` holds terraform's words), or the plan's count was wrong
 * - skipped: not run at all; `note` says why (e.g. an upstream stack failed)
 */
export type OfflineStatus = "planned" | "validated" | "failed" | "skipped";

export interface OfflineCheck {
  readonly stack: string;
  readonly status: OfflineStatus;
  readonly ok: boolean;
  readonly expectedResources: number;
  readonly plannedResources?: number;
  /** Terraform's own words when a step failed. */
  readonly error?: string;
  /** Why a stack was validated only or skipped. */
  readonly note?: string;
  /** The upstream stacks whose stand-in states it was planned against. */
  readonly upstream: readonly string[];
  readonly seconds: number;
}

/** Why offline checks cannot run on this machine, or undefined when terraform and the mirror are there. */
export async function offlineUnavailableReason(): Promise<string | undefined> {
  try {
    await run(TERRAFORM, ["version"], { timeout: 30_000 });
  } catch {
    return `terraform is not on PATH (set TERRAFORM_BIN): offline validate/plan cannot run`;
  }
  try {
    await access(join(PROVIDER_MIRROR, "registry.terraform.io/hashicorp/aws"));
  } catch {
    return `the hashicorp/aws provider mirror ${PROVIDER_MIRROR} is missing: offline validate/plan cannot run`;
  }
  return undefined;
}

type Json = Record<string, unknown>;

/** One stack of a group plan. */
export interface GroupEntry {
  readonly name: string;
  readonly json: Json;
  /** Upstream stack name -> its stand-in state file. */
  readonly upstreamStates: ReadonlyMap<string, string>;
  /** Write this stack's stand-in state (it has downstream stacks). */
  readonly standIn: boolean;
}

interface CheckOptions {
  /** false: validate only, for the reason given. */
  readonly plan: true | { readonly reason: string };
  /** Upstream stack name -> its stand-in state file. */
  readonly upstreamStates: ReadonlyMap<string, string>;
  /** Write this stack's own stand-in state (it has downstream stacks). */
  readonly standIn: boolean;
}

/**
 * A scratch workspace: one `terraform init` against the mirror, shared by every stack checked in it
 * (each stack gets the same .terraform and lock file, linked rather than installed again).
 */
export class OfflineWorkspace {
  private groups = 0;

  private constructor(readonly root: string, private readonly env: NodeJS.ProcessEnv, private readonly initDir: string, private readonly providerVersion: string) {}

  static async create(providerVersion: string): Promise<OfflineWorkspace> {
    const root = await mkdtemp(join(tmpdir(), "dbstack-offline-"));
    const cliConfig = join(root, "terraform.rc");
    await writeFile(cliConfig, mirrorCliConfig());
    const env = { ...process.env, TF_CLI_CONFIG_FILE: cliConfig, TF_IN_AUTOMATION: "1", CHECKPOINT_DISABLE: "1", TF_INPUT: "0" };
    const initDir = join(root, "_init");
    await mkdir(initDir);
    await writeFile(join(initDir, "main.tf.json"), JSON.stringify({
      terraform: { required_providers: { aws: { source: "hashicorp/aws", version: providerVersion } } },
    }));
    await run(TERRAFORM, ["init", "-input=false", "-no-color", "-backend=false"], { cwd: initDir, env, timeout: 300_000 });
    await mkdir(join(root, "stand-ins"));
    return new OfflineWorkspace(root, env, initDir, providerVersion);
  }

  /** Where a stack's stand-in state is written when it has downstream stacks. */
  standInPath(stackName: string): string {
    return join(this.root, "stand-ins", `${stackName}.tfstate`);
  }

  /**
   * Validates and (unless told why not) plans one synthesized stack against its upstreams' stand-in
   * states, with the providers the shared `init` installed. Never throws for Terraform's errors: they
   * come back in the result.
   */
  async check(stackName: string, stackJson: Record<string, unknown>, options: CheckOptions): Promise<OfflineCheck> {
    const started = Date.now();
    const dir = join(this.root, stackName);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "cdk.tf.json"), JSON.stringify(offlineStack(stackJson, options.upstreamStates), null, 1));
    await mkdir(join(dir, ".terraform"), { recursive: true });
    await symlink(join(this.initDir, ".terraform", "providers"), join(dir, ".terraform", "providers"));
    await copyFile(join(this.initDir, ".terraform.lock.hcl"), join(dir, ".terraform.lock.hcl"));
    const base = { stack: stackName, expectedResources: countResources(stackJson), upstream: [...options.upstreamStates.keys()].sort() };
    const step = (args: string[]) => this.run(dir, args);
    const seconds = () => (Date.now() - started) / 1000;
    const failed = (error: string, extra: object = {}): OfflineCheck => ({ ...base, ...extra, status: "failed", ok: false, error, seconds: seconds() });

    const validated = await step(["validate", "-no-color"]);
    if (validated.error) return failed(validated.error);
    if (options.plan !== true) return { ...base, status: "validated", ok: true, note: options.plan.reason, seconds: seconds() };
    const planned = await step(["plan", "-refresh=false", "-input=false", "-lock=false", "-no-color", ...(options.standIn ? ["-out=offline.tfplan"] : [])]);
    if (planned.error) return failed(planned.error);
    const plannedResources = plannedAdds(planned.stdout!);
    const counted = plannedResources === undefined ? {} : { plannedResources };
    if (plannedResources !== base.expectedResources) {
      return failed(`plan adds ${plannedResources ?? "an unknown number of"} resources, the stack declares ${base.expectedResources}`, counted);
    }
    if (options.standIn) {
      const shown = await step(["show", "-json", "-no-color", "offline.tfplan"]);
      if (shown.error) return failed(shown.error, counted);
      const outputs = standInOutputs(stackJson, JSON.parse(shown.stdout!) as PlanJson);
      await writeFile(this.standInPath(stackName), JSON.stringify(standInState(stackName, outputs), null, 1));
    }
    return { ...base, ...counted, status: "planned", ok: true, seconds: seconds() };
  }

  /**
   * Plans several stacks in one terraform run, each as a child module of a scratch root (a wave of
   * independent stacks, e.g. every environment's network): the provider's schema is loaded once for all of
   * them instead of once per stack and command. `terraform plan` validates the configuration first, so a
   * stack that plans here has also passed `terraform validate`. Each module's planned additions are counted
   * from `terraform show -json`; stacks with downstream layers get their stand-in state from the same plan.
   * Returns undefined when terraform fails in a way no module can be blamed for.
   */
  async checkGroup(entries: readonly GroupEntry[]): Promise<OfflineCheck[] | undefined> {
    const started = Date.now();
    const dir = join(this.root, `group-${++this.groups}`);
    await mkdir(join(dir, ".terraform"), { recursive: true });
    await symlink(join(this.initDir, ".terraform", "providers"), join(dir, ".terraform", "providers"));
    await copyFile(join(this.initDir, ".terraform.lock.hcl"), join(dir, ".terraform.lock.hcl"));
    const root: Json = {
      terraform: { required_providers: { aws: { source: "hashicorp/aws", version: this.providerVersion } } },
      module: Object.fromEntries(entries.map((e) => [e.name, { source: `./${e.name}` }])),
    };
    const outputs: Json = {};
    for (const entry of entries) {
      await mkdir(join(dir, entry.name));
      await writeFile(join(dir, entry.name, "cdk.tf.json"), JSON.stringify(offlineStack(entry.json, entry.upstreamStates)));
      if (!entry.standIn) continue;
      for (const output of Object.keys((entry.json.output ?? {}) as Json)) {
        outputs[`${entry.name}__${output}`] = { value: `\${module.${entry.name}.${output}}`, sensitive: true };
      }
    }
    if (Object.keys(outputs).length > 0) root.output = outputs;
    await writeFile(join(dir, "main.tf.json"), JSON.stringify(root));
    const step = (args: string[]) => this.run(dir, args);
    const init = await step(["init", "-backend=false", "-input=false", "-no-color"]);
    if (init.error) return undefined;
    const planned = await step(["plan", "-refresh=false", "-input=false", "-lock=false", "-no-color", "-out=offline.tfplan"]);
    const seconds = (Date.now() - started) / 1000;
    if (planned.error) {
      const blamed = entries.filter((e) => planned.error!.includes(`module.${e.name}.`) || planned.error!.includes(`module.${e.name}\n`));
      if (blamed.length === 0) return undefined;
      const failed = blamed.map((e): OfflineCheck => ({
        stack: e.name, status: "failed", ok: false, expectedResources: countResources(e.json), upstream: [...e.upstreamStates.keys()].sort(), error: planned.error!, seconds,
      }));
      const rest = entries.filter((e) => !blamed.includes(e));
      if (rest.length === 0) return failed;
      const others = await this.checkGroup(rest);
      return others ? [...failed, ...others] : undefined;
    }
    const shown = await step(["show", "-json", "-no-color", "offline.tfplan"]);
    if (shown.error) return undefined;
    const plan = JSON.parse(shown.stdout!) as PlanJson;
    const results: OfflineCheck[] = [];
    for (const entry of entries) {
      const prefix = `module.${entry.name}.`;
      const own = (plan.resource_changes ?? []).filter((r) => r.module_address === `module.${entry.name}`);
      const plannedResources = own.filter((r) => r.mode === "managed" && r.change.actions?.includes("create")).length;
      const expectedResources = countResources(entry.json);
      const base = { stack: entry.name, expectedResources, plannedResources, upstream: [...entry.upstreamStates.keys()].sort(), seconds };
      if (plannedResources !== expectedResources) {
        results.push({ ...base, status: "failed", ok: false, error: `plan adds ${plannedResources} resources, the stack declares ${expectedResources}` });
        continue;
      }
      if (entry.standIn) {
        const view: PlanJson = {
          resource_changes: own.map((r) => ({ ...r, address: r.address.slice(prefix.length) })),
          output_changes: Object.fromEntries(Object.entries(plan.output_changes ?? {})
            .filter(([name]) => name.startsWith(`${entry.name}__`)).map(([name, change]) => [name.slice(entry.name.length + 2), change])),
        };
        await writeFile(this.standInPath(entry.name), JSON.stringify(standInState(entry.name, standInOutputs(entry.json, view)), null, 1));
      }
      results.push({ ...base, status: "planned", ok: true });
    }
    return results;
  }

  /**
   * Validates several stacks in one terraform run, each a child module of a scratch root, for stacks that
   * are validated but not planned (`reason` says why): the provider's schema loads once for all of them.
   * Where terraform fails without naming a module, each stack is validated alone, so every error is
   * reported against its own stack.
   */
  async validateGroup(entries: readonly { readonly name: string; readonly json: Json; readonly reason: string }[]): Promise<OfflineCheck[]> {
    if (entries.length <= 1) {
      return Promise.all(entries.map((e) => this.check(e.name, e.json, { plan: { reason: e.reason }, upstreamStates: new Map(), standIn: false })));
    }
    const started = Date.now();
    const dir = await this.groupRoot(`validate-${++this.groups}`, entries.map((e) => ({ name: e.name, json: e.json, upstreamStates: new Map() })));
    const init = await this.run(dir, ["init", "-backend=false", "-input=false", "-no-color"]);
    const validated = init.error ? init : await this.run(dir, ["validate", "-no-color"]);
    const seconds = (Date.now() - started) / 1000;
    const result = (e: (typeof entries)[number], error?: string): OfflineCheck => ({
      stack: e.name, expectedResources: countResources(e.json), upstream: [], seconds,
      ...(error === undefined ? { status: "validated", ok: true, note: e.reason } : { status: "failed", ok: false, error }),
    });
    if (!validated.error) return entries.map((e) => result(e));
    const blamed = entries.filter((e) => validated.error!.includes(`module.${e.name}.`) || validated.error!.includes(`${e.name}/cdk.tf.json`));
    if (blamed.length === 0) return this.validateEach(entries);
    const rest = entries.filter((e) => !blamed.includes(e));
    return [...blamed.map((e) => result(e, validated.error)), ...(await this.validateGroup(rest))];
  }

  private async validateEach(entries: readonly { readonly name: string; readonly json: Json; readonly reason: string }[]): Promise<OfflineCheck[]> {
    const results: OfflineCheck[] = [];
    for (const e of entries) results.push(await this.check(e.name, e.json, { plan: { reason: e.reason }, upstreamStates: new Map(), standIn: false }));
    return results;
  }

  /** A scratch root whose child modules are the given stacks, made offline, with the shared providers linked in. */
  private async groupRoot(label: string, entries: readonly Pick<GroupEntry, "name" | "json" | "upstreamStates">[]): Promise<string> {
    const dir = join(this.root, label);
    await mkdir(join(dir, ".terraform"), { recursive: true });
    await symlink(join(this.initDir, ".terraform", "providers"), join(dir, ".terraform", "providers"));
    await copyFile(join(this.initDir, ".terraform.lock.hcl"), join(dir, ".terraform.lock.hcl"));
    for (const entry of entries) {
      await mkdir(join(dir, entry.name));
      await writeFile(join(dir, entry.name, "cdk.tf.json"), JSON.stringify(offlineStack(entry.json, entry.upstreamStates)));
    }
    await writeFile(join(dir, "main.tf.json"), JSON.stringify({
      terraform: { required_providers: { aws: { source: "hashicorp/aws", version: this.providerVersion } } },
      module: Object.fromEntries(entries.map((e) => [e.name, { source: `./${e.name}` }])),
    }));
    return dir;
  }

  /**
   * Plans several stacks together, each a child module of one scratch root, optionally against a prior
   * state of the root (see prior-state.ts), and returns `terraform show -json` of the plan. Throws with
   * Terraform's message when it fails.
   */
  async planModules(label: string, entries: readonly Pick<GroupEntry, "name" | "json" | "upstreamStates">[], priorState?: Json): Promise<PlanJson> {
    const dir = await this.groupRoot(label, entries);
    if (priorState) await writeFile(join(dir, "terraform.tfstate"), JSON.stringify(priorState));
    for (const args of [["init", "-backend=false", "-input=false", "-no-color"], ["plan", "-refresh=false", "-input=false", "-lock=false", "-no-color", "-out=offline.tfplan"]]) {
      const step = await this.run(dir, args);
      if (step.error) throw new Error(step.error);
    }
    const shown = await this.run(dir, ["show", "-json", "-no-color", "offline.tfplan"]);
    if (shown.error) throw new Error(shown.error);
    return JSON.parse(shown.stdout!) as PlanJson;
  }

  /** Each resource type's schema version and string attributes, for states written by hand (prior-state.ts). */
  async resourceSchemas(): Promise<Record<string, ResourceSchema>> {
    const shown = await this.run(this.initDir, ["providers", "schema", "-json"]);
    if (shown.error) throw new Error(shown.error);
    type Schemas = { provider_schemas: Record<string, { resource_schemas: Record<string, { version?: number; block: { attributes?: Record<string, { type?: unknown }> } }> }> };
    const aws = (JSON.parse(shown.stdout!) as Schemas).provider_schemas[AWS_PROVIDER_ADDRESS]!.resource_schemas;
    return Object.fromEntries(Object.entries(aws).map(([type, schema]) => [type, {
      version: schema.version ?? 0,
      strings: Object.entries(schema.block.attributes ?? {}).filter(([, a]) => a.type === "string").map(([name]) => name),
      stringCollections: Object.entries(schema.block.attributes ?? {})
        .filter(([, a]) => Array.isArray(a.type) && ["set", "list"].includes(String(a.type[0])) && a.type[1] === "string").map(([name]) => name),
    }]));
  }

  private async run(cwd: string, args: string[]): Promise<{ stdout?: string; error?: string }> {
    try {
      const { stdout } = await run(TERRAFORM, args, { cwd, env: this.env, timeout: 600_000, maxBuffer: 256 * 1024 * 1024 });
      return { stdout };
    } catch (error) {
      const e = error as { stderr?: string; stdout?: string; message: string };
      return { error: `terraform ${args[0]}: ${(e.stderr || e.stdout || e.message).trim()}` };
    }
  }

  async dispose(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }
}

/** The synthesized stacks under a cdktf output directory, by name. */
export async function readSynthesizedStacks(outdir: string): Promise<Map<string, Json>> {
  const stacksDir = join(outdir, "stacks");
  const stacks = new Map<string, Record<string, unknown>>();
  for (const name of (await readdir(stacksDir)).sort()) {
    // A directory without cdk.tf.json is left over from a stack that no longer synthesizes.
    const file = join(stacksDir, name, "cdk.tf.json");
    if (await access(file).then(() => true, () => false)) stacks.set(name, JSON.parse(await readFile(file, "utf8")));
  }
  return stacks;
}

/**
 * Checks every stack, wave by wave: a stack runs once every upstream stack it reads has been checked, and
 * is planned against their stand-in states. The stacks of a wave that can be planned are planned together,
 * in `parallelism` group runs of similar size (one terraform process each); a group that fails is split
 * by the modules terraform blames, and where it blames none each stack is checked alone, so every error
 * is reported against its own stack. A stack whose upstream did not plan is validated only, and says so;
 * stacks named in `validateOnly` are validated but not planned, with the reason given (e.g. their plan
 * would need AWS).
 */
export async function checkAll(
  workspace: OfflineWorkspace,
  stacks: ReadonlyMap<string, Json>,
  parallelism = 2,
  validateOnly: ReadonlyMap<string, string> = new Map(),
): Promise<OfflineCheck[]> {
  const upstreamOf = new Map([...stacks].map(([name, json]) => [name, upstreamStacks(json)]));
  const hasDownstream = new Set([...upstreamOf.values()].flat());
  const done = new Map<string, OfflineCheck>();
  const pending = new Set(stacks.keys());
  const lanes = Math.max(1, parallelism);

  while (pending.size > 0) {
    const wave = [...pending].filter((name) => upstreamOf.get(name)!.every((u) => done.has(u) || !stacks.has(u)));
    if (wave.length === 0) {
      // Only a cycle leaves stacks that can never start; report them rather than wait forever.
      for (const name of pending) done.set(name, { stack: name, status: "skipped", ok: false, expectedResources: countResources(stacks.get(name)!), upstream: upstreamOf.get(name)!, note: "its upstream stacks form a cycle", seconds: 0 });
      break;
    }
    for (const name of wave) pending.delete(name);
    const plannable: GroupEntry[] = [];
    const validateAlone: [string, string][] = [];
    for (const name of wave) {
      const upstream = upstreamOf.get(name)!;
      const missing = upstream.filter((u) => !stacks.has(u));
      const notPlanned = upstream.filter((u) => stacks.has(u) && done.get(u)?.status !== "planned");
      const reason = validateOnly.get(name)
        ?? (missing.length > 0 ? `upstream stack ${missing.join(", ")} is not in this run, so its outputs are unknown`
          : notPlanned.length > 0 ? `upstream stack ${notPlanned.join(", ")} did not plan, so there is no stand-in state to plan against` : undefined);
      if (reason !== undefined) validateAlone.push([name, reason]);
      else plannable.push({ name, json: stacks.get(name)!, upstreamStates: new Map(upstream.map((u) => [u, workspace.standInPath(u)])), standIn: hasDownstream.has(name) });
    }

    const record = (result: OfflineCheck) => {
      // Validated for want of an upstream plan is not a pass; validated because the caller asked is.
      done.set(result.stack, result.status === "validated" && !validateOnly.has(result.stack) ? { ...result, ok: false } : result);
    };
    const alone = async (entry: GroupEntry) => record(await workspace.check(entry.name, entry.json, { plan: true, upstreamStates: entry.upstreamStates, standIn: entry.standIn }));
    const tasks: Promise<void>[] = balance(plannable, lanes).map(async (group) => {
      const results = await workspace.checkGroup(group);
      if (results) results.forEach(record);
      else for (const entry of group) await alone(entry);
    });
    tasks.push((async () => {
      (await workspace.validateGroup(validateAlone.map(([name, reason]) => ({ name, json: stacks.get(name)!, reason })))).forEach(record);
    })());
    await Promise.all(tasks);
  }
  return [...done.values()].sort((a, b) => a.stack.localeCompare(b.stack));
}

/** Splits entries into at most `lanes` groups of similar total size (largest first into the lightest group). */
function balance(entries: readonly GroupEntry[], lanes: number): GroupEntry[][] {
  const groups: { size: number; entries: GroupEntry[] }[] = Array.from({ length: Math.min(lanes, entries.length) }, () => ({ size: 0, entries: [] }));
  for (const entry of [...entries].sort((a, b) => countResources(b.json) - countResources(a.json))) {
    const lightest = groups.reduce((min, g) => (g.size < min.size ? g : min));
    lightest.entries.push(entry);
    lightest.size += countResources(entry.json) + 10;
  }
  return groups.map((g) => g.entries);
}
