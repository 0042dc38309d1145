/**
 * An Aurora engine upgrade through an RDS blue/green deployment, which the Terraform provider does not offer
 * for clusters (terraform-provider-aws#28042): create the deployment with the target version, wait while RDS
 * builds and syncs the green cluster, switch over when it is AVAILABLE, wait for SWITCHOVER_COMPLETED, and
 * print the config change that makes the next plan adopt the result (same identifier, new version) instead
 * of replacing anything. Statuses are the RDS API's (BlueGreenDeployment.Status): PROVISIONING, AVAILABLE,
 * SWITCHOVER_IN_PROGRESS, SWITCHOVER_COMPLETED, and the failures INVALID_CONFIGURATION, SWITCHOVER_FAILED,
 * DELETING. A cluster whose master password RDS manages (every dbstack cluster) first hands it off to the run
 * and gets it back after the switchover (blue-green-master-password.ts).
 */
import { parseArgs } from "node:util";
import {
  CreateBlueGreenDeploymentCommand, DescribeBlueGreenDeploymentsCommand, SwitchoverBlueGreenDeploymentCommand,
  type BlueGreenDeployment, type CreateBlueGreenDeploymentCommandInput, type DBCluster, type RDSClient,
} from "@aws-sdk/client-rds";
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { EXIT, EXIT_CODE_HELP, ScriptError } from "../cli.ts";
import { readOutputs, requireString, type Outputs } from "./stack-outputs.ts";
import {
  PASSWORD_REQUEST, RECOVERY_WINDOW_DAYS, awsCall, describeCluster, findHandOffSecret, handBackInput, handBackMasterPassword, handOffSecretInput,
  handOffSecretName, masterPasswordOf, masterSecretChanged, realClock, releaseMasterPassword, runHandBackOnly, storeHandOffPassword,
  type BlueGreenClients, type HandOffSecret, type MasterPassword, type PlannedCall, type WaitClock, type WaitSettings,
} from "./blue-green-master-password.ts";

export type { BlueGreenClients, PlannedCall, WaitClock } from "./blue-green-master-password.ts";

const RELEASE_FLAG = "--release-managed-master-password";

export const HELP = `usage: npm run blue-green -- <env> --to <version> [options]
       npm run blue-green -- <env> --hand-back-only [options]

Upgrades the Aurora cluster of <env> through an RDS blue/green deployment: creates it with the target
version, waits for the green cluster, switches over, waits for the switchover, and prints the config
change to commit. The old (blue) cluster is kept, renamed by RDS, until you delete the deployment.

RDS blue/green deployments do not support master passwords that RDS manages in Secrets Manager, and
dbstack clusters always have one. ${RELEASE_FLAG} hands it off for the run: a new
password (Secrets Manager GetRandomPassword) is stored first in secret <cluster>-blue-green-master (same KMS key),
RDS management is turned off with that password (RDS deletes its secret), and after the switchover
management is turned back on for the new cluster (RDS creates a new secret) and the run's secret is
scheduled for deletion (${RECOVERY_WINDOW_DAYS} days; the old blue cluster still knows that password). While the password is
handed off, nothing that reads RDS's master secret works (the setup function, the proxy's master login).
A rerun after a stop reuses the stored password; --hand-back-only gives management back after a failed
or rolled-back deployment (delete the deployment first unless you will retry its switchover).

RDS instances are not handled: Terraform tracks aws_db_instance by its resource id (DbiResourceId),
which a switchover changes; use database.blueGreenUpdate in their config.

  <env>                                   environment name, e.g. staging
  --to <version>                          target engine version, e.g. 16.10 or 17.6
  ${RELEASE_FLAG}       hand the RDS-managed master password off for the run and back
                                          after it
  --hand-back-only                        only give the master password back to RDS (after a stopped run)
  --target-cluster-parameter-group <name> green cluster's parameter group (required for a major upgrade:
                                          one of the target family)
  --target-instance-parameter-group <name> green instances' parameter group (a major upgrade with custom
                                          instance parameters)
  --outputs <file>                        outputs of \`npm run output -- <env>\` (default <env>-outputs.json)
  --region <region>                       AWS region (default AWS_REGION)
  --timeout-minutes <n>                   give up waiting for each phase after n minutes (default 240)
  --poll-seconds <n>                      seconds between status reads (default 30)
  --switchover-timeout-seconds <n>        RDS rolls the switchover back after this (default 300, RDS's)
  --dry-run                               check the cluster and print every call it would make
  --output <format>                       text (default) or json
  -h, --help

${EXIT_CODE_HELP}`;

interface CommonOptions {
  readonly environment: string;
  readonly outputs: readonly string[];
  /** Whether --outputs was given: the printed recovery command repeats it. */
  readonly outputsGiven: boolean;
  readonly region?: string;
  readonly timeoutMinutes: number;
  readonly pollSeconds: number;
  readonly dryRun: boolean;
  readonly output: "text" | "json";
}

export interface BlueGreenOptions extends CommonOptions {
  readonly mode: "upgrade";
  readonly to: string;
  readonly releaseManagedMasterPassword: boolean;
  readonly targetClusterParameterGroup?: string;
  readonly targetInstanceParameterGroup?: string;
  readonly switchoverTimeoutSeconds: number;
}

export interface HandBackOptions extends CommonOptions {
  readonly mode: "hand-back-only";
}

const ENVIRONMENT_NAME = /^[a-z][a-z0-9-]{1,30}$/;
const VERSION = /^[0-9][0-9A-Za-z._-]{0,40}$/;

const parseBlueGreenFlags = (argv: readonly string[]) => parseArgs({
  args: [...argv], strict: true, allowPositionals: true,
  options: {
    to: { type: "string" }, "target-cluster-parameter-group": { type: "string" }, "target-instance-parameter-group": { type: "string" },
    "release-managed-master-password": { type: "boolean", default: false }, "hand-back-only": { type: "boolean", default: false },
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
export function parseBlueGreenArgs(argv: readonly string[]): BlueGreenOptions | HandBackOptions | "help" {
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
  if (values.output !== "text" && values.output !== "json") throw new ScriptError(EXIT.usage, `--output must be text or json, not ${values.output}`);
  const environment = positionals[0]!;
  const common: CommonOptions = {
    environment,
    outputs: values.outputs.length > 0 ? values.outputs : [`${environment}-outputs.json`],
    outputsGiven: values.outputs.length > 0,
    ...(values.region ? { region: values.region } : {}),
    timeoutMinutes: positiveInteger("timeout-minutes", values["timeout-minutes"], 24 * 60),
    pollSeconds: positiveInteger("poll-seconds", values["poll-seconds"], 3600),
    dryRun: values["dry-run"],
    output: values.output,
  };
  if (values["hand-back-only"]) {
    const upgradeOnly = ["to", "target-cluster-parameter-group", "target-instance-parameter-group"].filter((flag) => values[flag as keyof typeof values] !== undefined);
    if (values["release-managed-master-password"]) upgradeOnly.push("release-managed-master-password");
    if (upgradeOnly.length > 0) throw new ScriptError(EXIT.usage, `--hand-back-only runs no deployment: drop ${upgradeOnly.map((f) => `--${f}`).join(", ")}`);
    return { ...common, mode: "hand-back-only" };
  }
  if (!values.to || !VERSION.test(values.to)) throw new ScriptError(EXIT.usage, `--to must be an engine version, e.g. 16.10 (got ${JSON.stringify(values.to ?? "")})`);
  return {
    ...common,
    mode: "upgrade",
    to: values.to,
    releaseManagedMasterPassword: values["release-managed-master-password"],
    ...(values["target-cluster-parameter-group"] ? { targetClusterParameterGroup: values["target-cluster-parameter-group"] } : {}),
    ...(values["target-instance-parameter-group"] ? { targetInstanceParameterGroup: values["target-instance-parameter-group"] } : {}),
    // RDS accepts 30..3600 seconds for SwitchoverTimeout.
    switchoverTimeoutSeconds: Math.max(30, positiveInteger("switchover-timeout-seconds", values["switchover-timeout-seconds"], 3600)),
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

/** The command that gives the master password back, with the flags this run was given. */
export function handBackCommand(options: CommonOptions): string {
  return [`npm run blue-green -- ${options.environment} --hand-back-only`, ...(options.outputsGiven ? options.outputs.map((f) => `--outputs ${f}`) : []),
    ...(options.region ? [`--region ${options.region}`] : [])].join(" ");
}

export interface BlueGreenPlan {
  readonly clusterIdentifier: string;
  readonly cluster: DBCluster;
  readonly fromVersion: string;
  readonly major: boolean;
  readonly input: CreateBlueGreenDeploymentCommandInput;
  /** Where the master password is before the run. */
  readonly masterPassword: MasterPassword;
}

/**
 * Reads the cluster and builds the deployment, refusing locally what RDS would refuse after a long wait
 * (or at once): a cluster whose master password RDS manages unless the operator lets the run hand it off,
 * no automated backups, the version it already runs, a major upgrade without a target-family parameter group.
 */
export async function planBlueGreen(rds: RDSClient, secrets: SecretsManagerClient, cluster: { identifier: string }, options: BlueGreenOptions): Promise<BlueGreenPlan> {
  const db = await describeCluster(rds, cluster.identifier);
  if (!db.EngineVersion) throw new ScriptError(EXIT.aws, `cluster ${cluster.identifier} was not found`);
  const secretName = handOffSecretName(cluster.identifier);
  const masterPassword = masterPasswordOf(db, await findHandOffSecret(secrets, secretName));
  if (masterPassword.kind === "handed-off" && db.EngineVersion === options.to) {
    throw new ScriptError(EXIT.usage, `cluster ${cluster.identifier} already runs ${options.to}, and its master password is still self-managed, held in secret ${secretName} ` +
      `by an earlier run: give it back to RDS with ${handBackCommand(options)}`);
  }
  if (masterPassword.kind === "rds-managed" && !options.releaseManagedMasterPassword) {
    throw new ScriptError(EXIT.usage, `cluster ${cluster.identifier} has its master password managed by RDS in Secrets Manager (${masterPassword.secretArn}), which RDS blue/green ` +
      `deployments do not support (Aurora User Guide, Limitations for blue/green deployments). Rerun with ${RELEASE_FLAG} to hand it off for the run: ` +
      `the script stores a new random password in secret ${secretName} (KMS key ${masterPassword.kmsKeyId}), turns RDS management off (RDS deletes its secret ` +
      `and uses that password), runs the deployment, then turns management back on for the switched-over cluster (RDS creates a new secret with the same key) ` +
      `and schedules ${secretName} for deletion in ${RECOVERY_WINDOW_DAYS} days. Or upgrade in place with database.upgrade`);
  }
  if (masterPassword.kind === "handed-off" && !options.releaseManagedMasterPassword) {
    throw new ScriptError(EXIT.usage, `cluster ${cluster.identifier}'s master password was handed off by an earlier run and is held in secret ${secretName}: ` +
      `rerun with ${RELEASE_FLAG} to continue (the stored password is kept), or give it back with ${handBackCommand(options)}`);
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
    cluster: db,
    fromVersion: db.EngineVersion,
    major,
    masterPassword,
    input: {
      BlueGreenDeploymentName: name,
      Source: db.DBClusterArn,
      TargetEngineVersion: options.to,
      ...(options.targetClusterParameterGroup ? { TargetDBClusterParameterGroupName: options.targetClusterParameterGroup } : {}),
      ...(options.targetInstanceParameterGroup ? { TargetDBParameterGroupName: options.targetInstanceParameterGroup } : {}),
    },
  };
}

const PASSWORD_PLACEHOLDER = "<the password from GetRandomPassword; never printed>";

/** Every call of the run, in order, with the password replaced by a placeholder. */
export function plannedCalls(plan: BlueGreenPlan, options: BlueGreenOptions): PlannedCall[] {
  const id = plan.clusterIdentifier;
  const handOff: PlannedCall[] = [];
  const handBack: PlannedCall[] = [];
  const password = plan.masterPassword;
  if (password.kind === "rds-managed") {
    const secret = password.stored
      ? [{ call: "GetSecretValue", input: { SecretId: password.stored.arn } }]
      : [{ call: "GetRandomPassword", input: { ...PASSWORD_REQUEST } },
        { call: "CreateSecret", input: { ...handOffSecretInput(plan.cluster, password.kmsKeyId, handOffReason(plan, options)), SecretString: `{"username", "password": ${PASSWORD_PLACEHOLDER}, "engine", "host", "port", "dbClusterIdentifier"}` } }];
    handOff.push(...secret,
      { call: "ModifyDBCluster", input: { DBClusterIdentifier: id, ManageMasterUserPassword: false, MasterUserPassword: PASSWORD_PLACEHOLDER, ApplyImmediately: true } },
      { call: `wait: DescribeDBClusters until ${id} is available without MasterUserSecret` });
  }
  if (password.kind !== "self-managed") {
    const kmsKeyId = password.kind === "rds-managed" ? password.kmsKeyId : password.secret.kmsKeyId ?? "<the key of the run's secret>";
    handBack.push({ call: "ModifyDBCluster", input: handBackInput(id, kmsKeyId) },
      { call: `wait: DescribeDBClusters until ${id}'s MasterUserSecret is active` },
      { call: "DeleteSecret", input: { SecretId: password.kind === "handed-off" ? password.secret.arn : password.stored?.arn ?? handOffSecretName(id), RecoveryWindowInDays: RECOVERY_WINDOW_DAYS } });
  }
  return [...handOff,
    { call: "CreateBlueGreenDeployment", input: { ...plan.input } },
    { call: "wait: DescribeBlueGreenDeployments until AVAILABLE" },
    { call: "SwitchoverBlueGreenDeployment", input: { BlueGreenDeploymentIdentifier: "<the created deployment>", SwitchoverTimeout: options.switchoverTimeoutSeconds } },
    { call: "wait: DescribeBlueGreenDeployments until SWITCHOVER_COMPLETED" },
    ...handBack];
}

const handOffReason = (plan: BlueGreenPlan, options: BlueGreenOptions) => `npm run blue-green -- ${options.environment}: ${plan.fromVersion} -> ${options.to}`;

/** Statuses after which waiting for `target` is pointless. */
const FAILED = ["INVALID_CONFIGURATION", "SWITCHOVER_FAILED", "DELETING"];

/** One line of progress: the status, and the tasks RDS reports as not completed yet. */
function progressLine(deployment: BlueGreenDeployment): string {
  const pending = (deployment.Tasks ?? []).filter((t) => t.Status !== "COMPLETED").map((t) => `${t.Name} ${t.Status}`);
  return `${deployment.Status}${deployment.StatusDetails ? ` (${deployment.StatusDetails})` : ""}${pending.length ? ` — ${pending.join(", ")}` : ""}`;
}

/** Polls the deployment until it reaches `target`; throws on a failure status or when `timeoutMs` runs out. */
async function waitFor(rds: RDSClient, id: string, target: string, wait: WaitSettings, seen: { status?: string }): Promise<BlueGreenDeployment> {
  const deadline = wait.clock.now() + wait.timeoutMs;
  let last = "";
  for (;;) {
    const described = await awsCall("DescribeBlueGreenDeployments", () => rds.send(new DescribeBlueGreenDeploymentsCommand({ BlueGreenDeploymentIdentifier: id })));
    const deployment = described.BlueGreenDeployments?.[0];
    if (!deployment?.Status) throw new ScriptError(EXIT.aws, `blue/green deployment ${id} was not found`);
    seen.status = deployment.Status;
    const line = progressLine(deployment);
    if (line !== last) wait.print(`  ${line}`);
    last = line;
    if (deployment.Status === target) return deployment;
    if (FAILED.includes(deployment.Status)) {
      throw new ScriptError(EXIT.aws, `blue/green deployment ${id} is ${deployment.Status}${deployment.StatusDetails ? `: ${deployment.StatusDetails}` : ""}` +
        (deployment.Status === "SWITCHOVER_FAILED" ? "; RDS rolled the switchover back and the blue cluster still serves; delete the deployment and its green cluster, or retry the switchover"
          : deployment.Status === "INVALID_CONFIGURATION" ? "; nothing was switched; delete the deployment (aws rds delete-blue-green-deployment --delete-target) and fix the cause" : ""));
    }
    if (wait.clock.now() + wait.pollMs > deadline) {
      throw new ScriptError(EXIT.aws, `blue/green deployment ${id} is still ${deployment.Status} after ${Math.round(wait.timeoutMs / 60000)} minutes, waiting for ${target}; ` +
        "nothing more was done: rerun with --timeout-minutes, or watch it with aws rds describe-blue-green-deployments");
    }
    await wait.clock.sleep(wait.pollMs);
  }
}

export interface BlueGreenResult {
  readonly blueGreenDeploymentIdentifier: string;
  readonly clusterIdentifier: string;
  readonly from: string;
  readonly to: string;
  readonly status: "SWITCHOVER_COMPLETED";
  /** Present when the run handed the master password off and back. */
  readonly masterPassword?: { readonly heldDuringRunIn: string; readonly newMasterSecretArn: string; readonly runSecretDeletionInDays: number };
  /** The config change to commit so the next plan adopts the result. */
  readonly configChange: readonly string[];
}

/** Where a run stopped, for the recovery message. */
type Stage = "handing-off" | "deploying" | "switching-over" | "handing-back";

/** Hands the password off if needed, creates the deployment, waits, switches over, waits, hands back; returns what to commit. */
export async function runBlueGreen(clients: BlueGreenClients, plan: BlueGreenPlan, options: BlueGreenOptions, print: (line: string) => void, clock: WaitClock = realClock): Promise<BlueGreenResult> {
  const { rds, secrets } = clients;
  const wait: WaitSettings = { timeoutMs: options.timeoutMinutes * 60_000, pollMs: options.pollSeconds * 1000, clock, print };
  let held: HandOffSecret | undefined = plan.masterPassword.kind === "handed-off" ? plan.masterPassword.secret : undefined;
  let stage: Stage = "handing-off";
  let id: string | undefined;
  const seen: { status?: string } = {};
  try {
    if (plan.masterPassword.kind === "rds-managed") {
      const stored = await storeHandOffPassword(secrets, plan.cluster, plan.masterPassword, handOffReason(plan, options), print);
      held = stored.secret;
      await releaseMasterPassword(rds, plan.clusterIdentifier, stored.password, wait);
    } else if (held) {
      print(`resuming: ${plan.clusterIdentifier}'s master password is already handed off, held in secret ${held.name}`);
    }
    stage = "deploying";
    const created = await awsCall("CreateBlueGreenDeployment", () => rds.send(new CreateBlueGreenDeploymentCommand(plan.input)));
    id = created.BlueGreenDeployment?.BlueGreenDeploymentIdentifier;
    if (!id) throw new ScriptError(EXIT.aws, "CreateBlueGreenDeployment returned no identifier");
    print(`created blue/green deployment ${id}: ${plan.clusterIdentifier} ${plan.fromVersion} -> ${options.to}; waiting for the green cluster`);
    await waitFor(rds, id, "AVAILABLE", wait, seen);
    print(`switching over (RDS rolls back after ${options.switchoverTimeoutSeconds} s)`);
    stage = "switching-over";
    await awsCall("SwitchoverBlueGreenDeployment", () => rds.send(new SwitchoverBlueGreenDeploymentCommand({ BlueGreenDeploymentIdentifier: id, SwitchoverTimeout: options.switchoverTimeoutSeconds })));
    await waitFor(rds, id, "SWITCHOVER_COMPLETED", wait, seen);
    stage = "handing-back";
    const newMasterSecretArn = held ? await handBackMasterPassword(rds, secrets, plan.clusterIdentifier, held, wait) : undefined;
    return {
      blueGreenDeploymentIdentifier: id, clusterIdentifier: plan.clusterIdentifier, from: plan.fromVersion, to: options.to, status: "SWITCHOVER_COMPLETED",
      ...(held && newMasterSecretArn ? { masterPassword: { heldDuringRunIn: held.name, newMasterSecretArn, runSecretDeletionInDays: RECOVERY_WINDOW_DAYS } } : {}),
      configChange: configChange(plan, options, id, newMasterSecretArn),
    };
  } catch (error) {
    if (!held || !(error instanceof ScriptError)) throw error;
    throw new ScriptError(error.exitCode, `${error.message}\n${recoveryState(plan, options, held, stage, id, seen.status).join("\n")}`);
  }
}

/** Where things stand after a failure while the run holds the master password: who serves, where the password is, what to run. */
function recoveryState(plan: BlueGreenPlan, options: BlueGreenOptions, held: HandOffSecret, stage: Stage, deploymentId: string | undefined, status: string | undefined): string[] {
  const id = plan.clusterIdentifier;
  const password = `its master password is self-managed (not RDS-managed) and held in secret ${held.name}`;
  const handBack = `give management back to RDS: ${handBackCommand(options)}`;
  const deleteDeployment = deploymentId ? `aws rds delete-blue-green-deployment --blue-green-deployment-identifier ${deploymentId} --delete-target` : "";
  switch (stage) {
    case "handing-off":
      return [`state: the blue cluster ${id} still serves on ${plan.fromVersion}; RDS may still be applying the hand-off: ${password} (or will be once RDS has applied it)`,
        `next: rerun the same command to continue (it reuses the stored password), or ${handBack}`];
    case "deploying":
      return [`state: the blue cluster ${id} still serves on ${plan.fromVersion}; ${password}`,
        deploymentId ? `next: delete the deployment (${deleteDeployment}), then ${handBack}` : `next: fix the cause and rerun the same command, or ${handBack}`];
    case "switching-over":
      return status === "SWITCHOVER_FAILED"
        ? [`state: RDS rolled the switchover back: the blue cluster ${id} still serves on ${plan.fromVersion}; ${password}`,
          `next: retry the switchover (aws rds switchover-blue-green-deployment --blue-green-deployment-identifier ${deploymentId}) then ${handBack}; or delete the deployment (${deleteDeployment}), then ${handBack}`]
        : [`state: the switchover of ${deploymentId} did not finish in time: if aws rds describe-blue-green-deployments shows SWITCHOVER_COMPLETED, ${id} is the green cluster on ${options.to}, ` +
          `otherwise the blue cluster on ${plan.fromVersion} still serves; either way ${password}`,
          `next: once the deployment is SWITCHOVER_COMPLETED or SWITCHOVER_FAILED, ${handBack}`];
    case "handing-back":
      return [`state: the switchover completed: ${id} is the green cluster on ${options.to}; ${password}; the old blue cluster RDS renamed knows that password too`,
        `next: ${handBack}; it prints what the next deploy changes, but not this config change to commit:`,
        ...configChange(plan, options, deploymentId!).map((line) => `  ${line}`)];
  }
}

/** What to write in stacks/environments.ts so the plan adopts the switched-over cluster. */
export function configChange(plan: BlueGreenPlan, options: BlueGreenOptions, deploymentId: string, newMasterSecretArn?: string): string[] {
  const lines = [`${options.environment}: database.engineVersion: "${options.to}"  (was "${plan.fromVersion}"; no database.upgrade: the cluster already runs it)`];
  if (plan.major) {
    lines.push(`${options.environment}: database.originalMajorVersion: "${majorOf(plan.fromVersion)}"  (the groups of ${majorOf(options.to)} carry their family in their names)`,
      `the next plan replaces the parameter groups with dbstack's ${majorOf(options.to)} groups (created before the cluster moves to them); ` +
      `the cluster itself is modified in place to use them`);
  }
  lines.push(`then: npm run deploy -- ${options.environment}  (the cluster's resource id changed: the rds-db:connect grants downstream follow it)`);
  if (newMasterSecretArn) lines.push(masterSecretChanged(options.environment, newMasterSecretArn));
  lines.push(`when satisfied: aws rds delete-blue-green-deployment --blue-green-deployment-identifier ${deploymentId} and delete the old cluster RDS renamed "${plan.clusterIdentifier}-old1"`);
  return lines;
}

export interface BlueGreenCommandDeps {
  readonly rds?: (region: string) => RDSClient;
  readonly secrets?: (region: string) => SecretsManagerClient;
  readonly print?: (line: string) => void;
  readonly clock?: WaitClock;
}

const callLines = (calls: readonly PlannedCall[]) => calls.map((c) => `  ${c.call}${c.input ? ` ${JSON.stringify(c.input)}` : ""}`);

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
  const clients: BlueGreenClients = {
    rds: deps.rds ? deps.rds(region) : await defaultRds(region),
    secrets: deps.secrets ? deps.secrets(region) : await defaultSecrets(region),
  };
  const progress = options.output === "json" ? () => {} : print;
  try {
    if (options.mode === "hand-back-only") {
      const result = await runHandBackOnly(clients, cluster.identifier, options, progress, deps.clock);
      if (Array.isArray(result)) {
        print(options.output === "json" ? JSON.stringify({ calls: result }, null, 2) : [`dry run: would make these calls in ${region}`, ...callLines(result)].join("\n"));
      } else {
        if (options.output === "json") print(JSON.stringify(result, null, 2));
        else if (result.status === "handed-back") print([`RDS manages ${result.clusterIdentifier}'s master password again; commit nothing, but deploy:`, ...result.configChange.map((line) => `  ${line}`)].join("\n"));
      }
      return EXIT.ok;
    }
    const plan = await planBlueGreen(clients.rds, clients.secrets, cluster, options);
    if (options.dryRun) {
      const calls = plannedCalls(plan, options);
      print(options.output === "json" ? JSON.stringify({ calls }, null, 2) : [`dry run: would make these calls in ${region}`, ...callLines(calls)].join("\n"));
      return EXIT.ok;
    }
    const result = await runBlueGreen(clients, plan, options, progress, deps.clock);
    print(options.output === "json" ? JSON.stringify(result, null, 2)
      : [`switchover completed: ${result.clusterIdentifier} runs ${result.to}`, ...(result.masterPassword ? [`RDS manages its master password again (${result.masterPassword.newMasterSecretArn})`] : []),
        "commit this config change:", ...result.configChange.map((line) => `  ${line}`)].join("\n"));
    return EXIT.ok;
  } finally {
    clients.rds.destroy();
    clients.secrets.destroy();
  }
}

async function defaultRds(region: string): Promise<RDSClient> {
  const { RDSClient: Client } = await import("@aws-sdk/client-rds");
  return new Client({ region });
}

async function defaultSecrets(region: string): Promise<SecretsManagerClient> {
  const { SecretsManagerClient: Client } = await import("@aws-sdk/client-secrets-manager");
  return new Client({ region });
}
