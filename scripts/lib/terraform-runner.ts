import { execFile } from "node:child_process";
import { access, copyFile, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { standInOutputs, standInState, upstreamStacks, type PlanJson } from "./stand-in-state.ts";
import { PROVIDER_MIRROR, countResources, mirrorCliConfig, offlineStack, plannedAdds } from "./terraform-offline.ts";

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
  private constructor(readonly root: string, private readonly env: NodeJS.ProcessEnv, private readonly initDir: string) {}

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
    return new OfflineWorkspace(root, env, initDir);
  }

  /** Where a stack's stand-in state is written when it has downstream stacks. */
  standInPath(stackName: string): string {
    return join(this.root, stackName, "stand-in.tfstate");
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
    const step = async (args: string[]) => {
      try {
        const { stdout } = await run(TERRAFORM, args, { cwd: dir, env: this.env, timeout: 600_000, maxBuffer: 256 * 1024 * 1024 });
        return { stdout };
      } catch (error) {
        const e = error as { stderr?: string; stdout?: string; message: string };
        return { error: `terraform ${args[0]}: ${(e.stderr || e.stdout || e.message).trim()}` };
      }
    };
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

  async dispose(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }
}

/** The synthesized stacks under a cdktf output directory, by name. */
export async function readSynthesizedStacks(outdir: string): Promise<Map<string, Record<string, unknown>>> {
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
 * Checks every stack with at most `parallelism` terraform processes at once (each plan is CPU-bound).
 * A stack starts once every upstream stack it reads has been checked, and is planned against their
 * stand-in states; a stack whose upstream did not plan is validated only, and says so. Stacks named in
 * `validateOnly` are validated but not planned, with the reason given (e.g. their plan would need AWS).
 */
export async function checkAll(
  workspace: OfflineWorkspace,
  stacks: ReadonlyMap<string, Record<string, unknown>>,
  parallelism = 2,
  validateOnly: ReadonlyMap<string, string> = new Map(),
): Promise<OfflineCheck[]> {
  const upstreamOf = new Map([...stacks].map(([name, json]) => [name, upstreamStacks(json)]));
  const hasDownstream = new Set([...upstreamOf.values()].flat());
  const done = new Map<string, OfflineCheck>();
  const pending = new Set(stacks.keys());
  const running = new Set<Promise<void>>();

  const start = (name: string) => {
    pending.delete(name);
    const upstream = upstreamOf.get(name)!;
    const missing = upstream.filter((u) => !stacks.has(u));
    const notPlanned = upstream.filter((u) => done.get(u)?.status !== "planned");
    const reason = validateOnly.get(name)
      ?? (missing.length > 0 ? `upstream stack ${missing.join(", ")} is not in this run, so its outputs are unknown`
        : notPlanned.length > 0 ? `upstream stack ${notPlanned.join(", ")} did not plan, so there is no stand-in state to plan against` : undefined);
    const upstreamStates = new Map(upstream.filter((u) => done.get(u)?.status === "planned").map((u) => [u, workspace.standInPath(u)]));
    const task = workspace.check(name, stacks.get(name)!, {
      plan: reason === undefined ? true : { reason }, upstreamStates, standIn: hasDownstream.has(name),
    }).then((result) => {
      // Validated for want of an upstream plan is not a pass; validated because the caller asked is.
      done.set(name, result.status === "validated" && !validateOnly.has(name) ? { ...result, ok: false } : result);
    }).finally(() => running.delete(task));
    running.add(task);
  };

  while (pending.size > 0 || running.size > 0) {
    for (const name of [...pending]) {
      if (running.size >= Math.max(1, parallelism)) break;
      const ready = upstreamOf.get(name)!.every((u) => done.has(u) || !stacks.has(u));
      if (ready) start(name);
    }
    if (running.size === 0) {
      // Only a cycle leaves stacks that can never start; report them rather than wait forever.
      for (const name of pending) done.set(name, { stack: name, status: "skipped", ok: false, expectedResources: countResources(stacks.get(name)!), upstream: upstreamOf.get(name)!, note: "its upstream stacks form a cycle", seconds: 0 });
      pending.clear();
      break;
    }
    await Promise.race(running);
  }
  return [...done.values()].sort((a, b) => a.stack.localeCompare(b.stack));
}
