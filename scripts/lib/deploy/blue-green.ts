/**
 * An Aurora engine upgrade through an RDS blue/green deployment, which the Terraform provider does not offer
 * for clusters (terraform-provider-aws#28042): create the deployment with the target version, wait while RDS
 * builds and syncs the green cluster, switch over when it is AVAILABLE, wait for SWITCHOVER_COMPLETED, and
 * print the config change that makes the next plan adopt the result (same identifier, new version) instead
 * of replacing anything. Statuses are the RDS API's (BlueGreenDeployment.Status): PROVISIONING, AVAILABLE,
 * SWITCHOVER_IN_PROGRESS, SWITCHOVER_COMPLETED, and the failures INVALID_CONFIGURATION, SWITCHOVER_FAILED,
 * DELETING.
 */
import { parseArgs } from "node:util";
import {
  CreateBlueGreenDeploymentCommand, DescribeBlueGreenDeploymentsCommand, DescribeDBClustersCommand, SwitchoverBlueGreenDeploymentCommand,
  type BlueGreenDeployment, type CreateBlueGreenDeploymentCommandInput, type RDSClient,
} from "@aws-sdk/client-rds";
import { EXIT, EXIT_CODE_HELP, ScriptError } from "../cli.ts";
import { readOutputs, requireString, type Outputs } from "./stack-outputs.ts";

export const HELP = `usage: npm run blue-green -- <env> --to <version> [options]

Upgrades the Aurora cluster of <env> through an RDS blue/green deployment: creates it with the target
version, waits for the green cluster, switches over, waits for the switchover, and prints the config
change to commit. The old (blue) cluster is kept, renamed by RDS, until you delete the deployment.

  <env>                                   environment name, e.g. staging
  --to <version>                          target engine version, e.g. 16.10 or 17.6
  --target-cluster-parameter-group <name> green cluster's parameter group (required for a major upgrade:
                                          one of the target family)
  --target-instance-parameter-group <name> green instances' parameter group (a major upgrade with custom
                                          instance parameters)
  --outputs <file>                        outputs of \`npm run output -- <env>\` (default <env>-outputs.json)
  --region <region>                       AWS region (default AWS_REGION)
  --timeout-minutes <n>                   give up waiting for each phase after n minutes (default 240)
  --poll-seconds <n>                      seconds between status reads (default 30)
  --switchover-timeout-seconds <n>        RDS rolls the switchover back after this (default 300, RDS's)
  --dry-run                               check the cluster and print the CreateBlueGreenDeployment input
  --output <format>                       text (default) or json
  -h, --help

${EXIT_CODE_HELP}`;

export interface BlueGreenOptions {
  readonly environment: string;
  readonly to: string;
  readonly outputs: readonly string[];
  readonly region?: string;
  readonly targetClusterParameterGroup?: string;
  readonly targetInstanceParameterGroup?: string;
  readonly timeoutMinutes: number;
  readonly pollSeconds: number;
  readonly switchoverTimeoutSeconds: number;
  readonly dryRun: boolean;
  readonly output: "text" | "json";
}

const ENVIRONMENT_NAME = /^[a-z][a-z0-9-]{1,30}$/;
const VERSION = /^[0-9][0-9A-Za-z._-]{0,40}$/;

const parseBlueGreenFlags = (argv: readonly string[]) => parseArgs({
  args: [...argv], strict: true, allowPositionals: true,
  options: {
    to: { type: "string" }, "target-cluster-parameter-group": { type: "string" }, "target-instance-parameter-group": { type: "string" },
    outputs: { type: "string", multiple: true, default: [] }, region: { type: "string" },
    "timeout-minutes": { type: "string", default: "240" }, "poll-seconds": { type: "string", default: "30" },
    "switchover-timeout-seconds": { type: "string", default: "300" },
    "dry-run": { type: "boolean", default: false }, output: { type: "string", default: "text" }, help: { type: "boolean", short: "h", default: false },
  },
});

function positiveInteger(flag: string, value: string, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new ScriptError(EXIT.usage, `--${flag} must be a whole number from 1 to ${max}, not ${JSON.stringify(value)}`);
  return n;
}

/** The command line as options, or "help"; a usage error (exit 2) otherwise. */
export function parseBlueGreenArgs(argv: readonly string[]): BlueGreenOptions | "help" {
  let parsed: ReturnType<typeof parseBlueGreenFlags>;
  try {
    parsed = parseBlueGreenFlags(argv);
  } catch (error) {
    throw new ScriptError(EXIT.usage, `${(error as Error).message}\n\n${HELP}`);
  }
  const { values, positionals } = parsed;
  if (values.help) return "help";
  if (positionals.length !== 1 || !ENVIRONMENT_NAME.test(positionals[0]!)) {
    throw new ScriptError(EXIT.usage, `name one environment, e.g. npm run blue-green -- staging --to 16.10 (got ${positionals.map((p) => JSON.stringify(p)).join(" ") || "none"})`);
  }
  if (!values.to || !VERSION.test(values.to)) throw new ScriptError(EXIT.usage, `--to must be an engine version, e.g. 16.10 (got ${JSON.stringify(values.to ?? "")})`);
  if (values.output !== "text" && values.output !== "json") throw new ScriptError(EXIT.usage, `--output must be text or json, not ${values.output}`);
  const environment = positionals[0]!;
  return {
    environment,
    to: values.to,
    outputs: values.outputs.length > 0 ? values.outputs : [`${environment}-outputs.json`],
    ...(values.region ? { region: values.region } : {}),
    ...(values["target-cluster-parameter-group"] ? { targetClusterParameterGroup: values["target-cluster-parameter-group"] } : {}),
    ...(values["target-instance-parameter-group"] ? { targetInstanceParameterGroup: values["target-instance-parameter-group"] } : {}),
    timeoutMinutes: positiveInteger("timeout-minutes", values["timeout-minutes"], 24 * 60),
    pollSeconds: positiveInteger("poll-seconds", values["poll-seconds"], 3600),
    // RDS accepts 30..3600 seconds for SwitchoverTimeout.
    switchoverTimeoutSeconds: Math.max(30, positiveInteger("switchover-timeout-seconds", values["switchover-timeout-seconds"], 3600)),
    dryRun: values["dry-run"],
    output: values.output,
  };
}

/** The cluster the outputs name: Aurora only (RDS instances use `database.blueGreenUpdate`). */
export function clusterFromOutputs(outputs: Outputs): { identifier: string; engine: string } {
  const engine = requireString(outputs, "database_engine");
  if (!engine.startsWith("aurora-")) {
    throw new ScriptError(EXIT.usage, `the database of this environment is ${engine}, an RDS instance: use database.blueGreenUpdate in its config, not this script`);
  }
  return { identifier: requireString(outputs, "database_identifier"), engine };
}

/** "<major>" of an Aurora version: "16" of "16.8", "3" of "8.0.mysql_aurora.3.10.0". */
function majorOf(version: string): string {
  return version.replace(/^\d+\.\d+\.mysql_aurora\./, "").split(".")[0]!;
}

export interface BlueGreenPlan {
  readonly clusterIdentifier: string;
  readonly fromVersion: string;
  readonly major: boolean;
  readonly input: CreateBlueGreenDeploymentCommandInput;
}

/**
 * Reads the cluster and builds the deployment, refusing locally what RDS would refuse after a long wait
 * (or at once): a cluster whose master password RDS manages in Secrets Manager, no automated backups, the
 * version it already runs, a major upgrade without a target-family parameter group.
 */
export async function planBlueGreen(rds: RDSClient, cluster: { identifier: string }, options: BlueGreenOptions): Promise<BlueGreenPlan> {
  const described = await awsCall("DescribeDBClusters", () => rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: cluster.identifier })));
  const db = described.DBClusters?.[0];
  if (!db?.DBClusterArn || !db.EngineVersion) throw new ScriptError(EXIT.aws, `cluster ${cluster.identifier} was not found`);
  if (db.MasterUserSecret) {
    throw new ScriptError(EXIT.usage, `cluster ${cluster.identifier} has its master password managed in Secrets Manager, which RDS blue/green deployments do not support ` +
      "(Aurora User Guide, Limitations for blue/green deployments); upgrade in place with database.upgrade instead");
  }
  if (!db.BackupRetentionPeriod || db.BackupRetentionPeriod < 1) throw new ScriptError(EXIT.usage, `cluster ${cluster.identifier} has no automated backups, which a blue/green deployment needs`);
  if (db.EngineVersion === options.to) throw new ScriptError(EXIT.usage, `cluster ${cluster.identifier} already runs ${options.to}: nothing to do`);
  const major = majorOf(db.EngineVersion) !== majorOf(options.to);
  if (major && !options.targetClusterParameterGroup) {
    throw new ScriptError(EXIT.usage, `${db.EngineVersion} -> ${options.to} is a major upgrade: name the green cluster's parameter group of the target family (--target-cluster-parameter-group)`);
  }
  const name = `${cluster.identifier}-to-${options.to.replace(/[^A-Za-z0-9]+/g, "-")}`.slice(0, 60).replace(/-+$/, "");
  return {
    clusterIdentifier: cluster.identifier,
    fromVersion: db.EngineVersion,
    major,
    input: {
      BlueGreenDeploymentName: name,
      Source: db.DBClusterArn,
      TargetEngineVersion: options.to,
      ...(options.targetClusterParameterGroup ? { TargetDBClusterParameterGroupName: options.targetClusterParameterGroup } : {}),
      ...(options.targetInstanceParameterGroup ? { TargetDBParameterGroupName: options.targetInstanceParameterGroup } : {}),
    },
  };
}

export interface WaitClock {
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
}

const realClock: WaitClock = { sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)), now: () => Date.now() };

/** Statuses after which waiting for `target` is pointless. */
const FAILED = ["INVALID_CONFIGURATION", "SWITCHOVER_FAILED", "DELETING"];

/** One line of progress: the status, and the tasks RDS reports as not completed yet. */
function progressLine(deployment: BlueGreenDeployment): string {
  const pending = (deployment.Tasks ?? []).filter((t) => t.Status !== "COMPLETED").map((t) => `${t.Name} ${t.Status}`);
  return `${deployment.Status}${deployment.StatusDetails ? ` (${deployment.StatusDetails})` : ""}${pending.length ? ` — ${pending.join(", ")}` : ""}`;
}

/** Polls the deployment until it reaches `target`; throws on a failure status or when `timeoutMs` runs out. */
async function waitFor(rds: RDSClient, id: string, target: string, timeoutMs: number, pollMs: number, clock: WaitClock, print: (line: string) => void): Promise<BlueGreenDeployment> {
  const deadline = clock.now() + timeoutMs;
  let last = "";
  for (;;) {
    const described = await awsCall("DescribeBlueGreenDeployments", () => rds.send(new DescribeBlueGreenDeploymentsCommand({ BlueGreenDeploymentIdentifier: id })));
    const deployment = described.BlueGreenDeployments?.[0];
    if (!deployment?.Status) throw new ScriptError(EXIT.aws, `blue/green deployment ${id} was not found`);
    const line = progressLine(deployment);
    if (line !== last) print(`  ${line}`);
    last = line;
    if (deployment.Status === target) return deployment;
    if (FAILED.includes(deployment.Status)) {
      throw new ScriptError(EXIT.aws, `blue/green deployment ${id} is ${deployment.Status}${deployment.StatusDetails ? `: ${deployment.StatusDetails}` : ""}` +
        (deployment.Status === "SWITCHOVER_FAILED" ? "; RDS rolled the switchover back and the blue cluster still serves; delete the deployment and its green cluster, or retry the switchover"
          : deployment.Status === "INVALID_CONFIGURATION" ? "; nothing was switched; delete the deployment (aws rds delete-blue-green-deployment --delete-target) and fix the cause" : ""));
    }
    if (clock.now() + pollMs > deadline) {
      throw new ScriptError(EXIT.aws, `blue/green deployment ${id} is still ${deployment.Status} after ${Math.round(timeoutMs / 60000)} minutes, waiting for ${target}; ` +
        "nothing more was done: rerun with --timeout-minutes, or watch it with aws rds describe-blue-green-deployments");
    }
    await clock.sleep(pollMs);
  }
}

export interface BlueGreenResult {
  readonly blueGreenDeploymentIdentifier: string;
  readonly clusterIdentifier: string;
  readonly from: string;
  readonly to: string;
  readonly status: "SWITCHOVER_COMPLETED";
  /** The config change to commit so the next plan adopts the result. */
  readonly configChange: readonly string[];
}

/** Creates the deployment, waits, switches over, waits; returns what to commit. */
export async function runBlueGreen(rds: RDSClient, plan: BlueGreenPlan, options: BlueGreenOptions, print: (line: string) => void, clock: WaitClock = realClock): Promise<BlueGreenResult> {
  const created = await awsCall("CreateBlueGreenDeployment", () => rds.send(new CreateBlueGreenDeploymentCommand(plan.input)));
  const id = created.BlueGreenDeployment?.BlueGreenDeploymentIdentifier;
  if (!id) throw new ScriptError(EXIT.aws, "CreateBlueGreenDeployment returned no identifier");
  print(`created blue/green deployment ${id}: ${plan.clusterIdentifier} ${plan.fromVersion} -> ${options.to}; waiting for the green cluster`);
  const timeoutMs = options.timeoutMinutes * 60_000;
  await waitFor(rds, id, "AVAILABLE", timeoutMs, options.pollSeconds * 1000, clock, print);
  print(`switching over (RDS rolls back after ${options.switchoverTimeoutSeconds} s)`);
  await awsCall("SwitchoverBlueGreenDeployment", () => rds.send(new SwitchoverBlueGreenDeploymentCommand({ BlueGreenDeploymentIdentifier: id, SwitchoverTimeout: options.switchoverTimeoutSeconds })));
  await waitFor(rds, id, "SWITCHOVER_COMPLETED", timeoutMs, options.pollSeconds * 1000, clock, print);
  return { blueGreenDeploymentIdentifier: id, clusterIdentifier: plan.clusterIdentifier, from: plan.fromVersion, to: options.to, status: "SWITCHOVER_COMPLETED", configChange: configChange(plan, options, id) };
}

/** What to write in stacks/environments.ts so the plan adopts the switched-over cluster. */
export function configChange(plan: BlueGreenPlan, options: BlueGreenOptions, deploymentId: string): string[] {
  const lines = [`${options.environment}: database.engineVersion: "${options.to}"  (was "${plan.fromVersion}"; no database.upgrade: the cluster already runs it)`];
  if (plan.major) {
    lines.push(`${options.environment}: database.originalMajorVersion: "${majorOf(plan.fromVersion)}"  (the groups of ${majorOf(options.to)} carry their family in their names)`,
      `the next plan replaces the parameter groups with dbstack's ${majorOf(options.to)} groups (created before the cluster moves to them); ` +
      `the cluster itself is modified in place to use them`);
  }
  lines.push(`then: npm run deploy -- ${options.environment}  (the cluster's resource id changed: the rds-db:connect grants downstream follow it)`,
    `when satisfied: aws rds delete-blue-green-deployment --blue-green-deployment-identifier ${deploymentId} and delete the old cluster RDS renamed "${plan.clusterIdentifier}-old1"`);
  return lines;
}

async function awsCall<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ScriptError) throw error;
    throw new ScriptError(EXIT.aws, `${operation} failed: ${(error as Error).name}: ${(error as Error).message}`);
  }
}

export interface BlueGreenCommandDeps {
  readonly rds?: (region: string) => RDSClient;
  readonly print?: (line: string) => void;
  readonly clock?: WaitClock;
}

/** The whole command behind scripts/blue-green.ts; returns the exit code or throws a ScriptError. */
export async function runBlueGreenCommand(argv: readonly string[], deps: BlueGreenCommandDeps = {}): Promise<number> {
  const print = deps.print ?? ((line: string) => console.log(line));
  const options = parseBlueGreenArgs(argv);
  if (options === "help") {
    print(HELP);
    return EXIT.ok;
  }
  const cluster = clusterFromOutputs(readOutputs(options.outputs, options.environment));
  const region = options.region ?? process.env.AWS_REGION;
  if (!region) throw new ScriptError(EXIT.usage, "--region or AWS_REGION is required");
  const rds = deps.rds ? deps.rds(region) : await defaultClient(region);
  try {
    const plan = await planBlueGreen(rds, cluster, options);
    if (options.dryRun) {
      print(options.output === "json" ? JSON.stringify(plan.input, null, 2) : `dry run: would create this blue/green deployment in ${region}\n${JSON.stringify(plan.input, null, 2)}`);
      return EXIT.ok;
    }
    const result = await runBlueGreen(rds, plan, options, options.output === "json" ? () => {} : print, deps.clock);
    print(options.output === "json" ? JSON.stringify(result, null, 2)
      : [`switchover completed: ${result.clusterIdentifier} runs ${result.to}`, "commit this config change:", ...result.configChange.map((line) => `  ${line}`)].join("\n"));
    return EXIT.ok;
  } finally {
    rds.destroy();
  }
}

async function defaultClient(region: string): Promise<RDSClient> {
  const { RDSClient: Client } = await import("@aws-sdk/client-rds");
  return new Client({ region });
}
