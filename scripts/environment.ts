/**
 * Runs a cdktf command on every stack of one environment: `npm run deploy -- <env>` and friends.
 *
 *   deploy <env>    cdktf deploy '<env>-*'   (cdktf applies the layers in dependency order)
 *   destroy <env>   cdktf synth, then the replicas Aurora Auto Scaling added are deleted (not in Terraform's
 *                   state, they would block the cluster's deletion), then cdktf destroy '<env>-*' --skip-synth
 *                   (cdktf destroys the layers in reverse order)
 *   output <env>    cdktf output '<env>-*' --outputs-file <env>-outputs.json (what the scripts read)
 *   diff <env>      one synth, then cdktf diff of each stack in apply order (cdktf diff takes one stack)
 *
 * Flags after the environment go to cdktf unchanged (e.g. --auto-approve). --print shows the commands
 * instead of running them. Where the Terraform CLI config installs providers from a mirror only,
 * --skip-provider-lock is added (scripts/lib/terraform/provider-lock.ts says why).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { RDSClient } from "@aws-sdk/client-rds";
import { EXIT, ScriptError, runScript } from "./lib/cli.ts";
import { removeAutoscaledReplicas, scaledClusterOf } from "./lib/deploy/autoscaled-readers.ts";
import { applyOrder, stackName, type StackManifest } from "./lib/names/stack-names.ts";
import { cliConfigPath, withProviderLockFlag } from "./lib/terraform/provider-lock.ts";

const HELP = `usage: npm run <deploy|diff|destroy|output> -- <env> [--print] [cdktf flags]

  deploy <env>    apply every layer of <env> in dependency order (network, database, proxy, iam, ecs-taskdef, clients, monitoring)
  diff <env>      plan each layer in that order; a layer's plan reads the outputs of the layers before it, so
                  before a first deploy only the network layer can be planned (npm run validate plans all offline)
  destroy <env>   destroy every layer, last layer first; first deletes the reader replicas Aurora Auto Scaling
                  added to the cluster (Terraform does not own them, and RDS keeps a cluster that has instances)
  output <env>    write the outputs of every layer to <env>-outputs.json, keyed by stack, for the scripts
  --print         print the cdktf commands instead of running them

With a Terraform CLI config that installs providers from a mirror only (TF_CLI_CONFIG_FILE or
~/.terraformrc), --skip-provider-lock is passed: cdktf's \`terraform providers lock\` asks the registry.`;

const COMMANDS = ["deploy", "diff", "destroy", "output"] as const;
const ENVIRONMENT_NAME = /^[a-z][a-z0-9-]{1,30}$/;

/** The cdktf invocation for deploy or output: one command over every stack of the environment. */
function allStacksCommand(command: "deploy" | "output", environment: string, extra: readonly string[]): string[] {
  const outputsFile = command === "output" && !extra.includes("--outputs-file") ? ["--outputs-file", `${environment}-outputs.json`] : [];
  return [command, `${environment}-*`, ...outputsFile, ...extra];
}

async function main(): Promise<number> {
  const [command, environment, ...rest] = process.argv.slice(2);
  if (command === "-h" || command === "--help" || environment === "-h" || environment === "--help") {
    console.log(HELP);
    return EXIT.ok;
  }
  if (!COMMANDS.includes(command as never)) throw new ScriptError(EXIT.usage, `the command must be one of ${COMMANDS.join(", ")}, not ${command ?? "(none)"}\n\n${HELP}`);
  if (!environment || !ENVIRONMENT_NAME.test(environment)) throw new ScriptError(EXIT.usage, `name the environment, e.g. npm run ${command} -- staging\n\n${HELP}`);
  const print = rest.includes("--print");
  const configPath = cliConfigPath(process.env);
  const { flags: extra, reason } = withProviderLockFlag(rest.filter((flag) => flag !== "--print"), existsSync(configPath) ? readFileSync(configPath, "utf8") : undefined);
  if (reason) console.log(`(adding --skip-provider-lock: ${reason}; ${configPath})`);
  const outdir = process.env.CDKTF_OUTDIR ?? "cdktf.out";
  const order = () => {
    let manifest: StackManifest;
    try {
      manifest = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8")) as StackManifest;
    } catch {
      throw new ScriptError(EXIT.usage, `cannot read ${join(outdir, "manifest.json")}: the synth failed`);
    }
    const stacks = applyOrder(manifest, environment);
    if (stacks.length === 0) throw new ScriptError(EXIT.usage, `no stacks of environment "${environment}" in the synth`);
    return stacks;
  };
  const run = (args: readonly string[]) => {
    console.log(`> cdktf ${args.join(" ")}`);
    if (print) return;
    const result = spawnSync("npx", ["cdktf", ...args], { stdio: "inherit", env: { ...process.env, CHECKPOINT_DISABLE: "1" } });
    if (result.status !== 0) throw new ScriptError(EXIT.unexpected, `cdktf ${args[0]} ${args[1] ?? ""} failed (exit ${result.status})`);
  };
  if (command === "destroy") {
    run(["synth"]);
    let database: unknown;
    try {
      database = JSON.parse(readFileSync(join(outdir, "stacks", stackName(environment, "database"), "cdk.tf.json"), "utf8"));
    } catch {
      database = undefined;
    }
    const cluster = scaledClusterOf(database);
    if (cluster) {
      console.log(`> delete the replicas Aurora Auto Scaling added to cluster ${cluster.clusterIdentifier} (all but ${cluster.terraformInstances.join(", ")})`);
      if (!print) await removeAutoscaledReplicas(new RDSClient({ region: cluster.region }), cluster, { print: (line) => console.log(line) });
    }
    run(["destroy", `${environment}-*`, "--skip-synth", ...extra]);
    return EXIT.ok;
  }
  if (command !== "diff") {
    run(allStacksCommand(command as "deploy" | "output", environment, extra));
    return EXIT.ok;
  }
  // cdktf diff plans one stack: synthesize once, then plan each layer in the order it is applied.
  run(["synth"]);
  for (const stack of order()) run(["diff", stack, "--skip-synth", ...extra]);
  return EXIT.ok;
}

process.exitCode = await runScript(main);
