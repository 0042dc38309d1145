import { execFile } from "node:child_process";
import { access, copyFile, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { PROVIDER_MIRROR, countResources, mirrorCliConfig, offlineStack, plannedAdds } from "./terraform-offline.ts";

const run = promisify(execFile);
export const TERRAFORM = process.env.TERRAFORM_BIN ?? "terraform";

export interface OfflineCheck {
  readonly stack: string;
  readonly ok: boolean;
  readonly expectedResources: number;
  readonly plannedResources?: number;
  /** Terraform's own words when a step failed. */
  readonly error?: string;
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

  /**
   * Validates and, unless `plan` is false, plans one synthesized stack, with the providers the shared
   * `init` installed (a stack without a backend block needs no init of its own).
   * Never throws for Terraform's errors: they come back in the result.
   */
  async check(stackName: string, stackJson: Record<string, unknown>, plan = true): Promise<OfflineCheck> {
    const started = Date.now();
    const dir = join(this.root, stackName);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "cdk.tf.json"), JSON.stringify(offlineStack(stackJson), null, 1));
    await mkdir(join(dir, ".terraform"), { recursive: true });
    await symlink(join(this.initDir, ".terraform", "providers"), join(dir, ".terraform", "providers"));
    await copyFile(join(this.initDir, ".terraform.lock.hcl"), join(dir, ".terraform.lock.hcl"));
    const expectedResources = countResources(stackJson);
    const step = async (args: string[]) => {
      try {
        const { stdout } = await run(TERRAFORM, args, { cwd: dir, env: this.env, timeout: 600_000, maxBuffer: 64 * 1024 * 1024 });
        return { stdout };
      } catch (error) {
        const e = error as { stderr?: string; stdout?: string; message: string };
        return { error: `terraform ${args[0]}: ${(e.stderr || e.stdout || e.message).trim()}` };
      }
    };
    const seconds = () => (Date.now() - started) / 1000;
    const validated = await step(["validate", "-no-color"]);
    if (validated.error) return { stack: stackName, ok: false, expectedResources, error: validated.error, seconds: seconds() };
    if (!plan) return { stack: stackName, ok: true, expectedResources, seconds: seconds() };
    const planned = await step(["plan", "-refresh=false", "-input=false", "-lock=false", "-no-color"]);
    if (planned.error) return { stack: stackName, ok: false, expectedResources, error: planned.error, seconds: seconds() };
    const plannedResources = plannedAdds(planned.stdout!);
    const ok = plannedResources === expectedResources;
    return {
      stack: stackName, ok, expectedResources, seconds: seconds(),
      ...(plannedResources === undefined ? {} : { plannedResources }),
      ...(ok ? {} : { error: `plan adds ${plannedResources ?? "an unknown number of"} resources, the stack declares ${expectedResources}` }),
    };
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
 * Runs checks with at most `parallelism` terraform processes at once (each plan is CPU-bound). Stacks
 * named in `validateOnly` are validated but not planned (their plan would need AWS, e.g. SSM reads).
 */
export async function checkAll(workspace: OfflineWorkspace, stacks: Map<string, Record<string, unknown>>, parallelism = 2, validateOnly: ReadonlySet<string> = new Set()): Promise<OfflineCheck[]> {
  const queue = [...stacks.entries()];
  const results: OfflineCheck[] = [];
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) results.push(await workspace.check(next[0], next[1], !validateOnly.has(next[0])));
  };
  await Promise.all(Array.from({ length: Math.max(1, parallelism) }, worker));
  return results.sort((a, b) => a.stack.localeCompare(b.stack));
}
