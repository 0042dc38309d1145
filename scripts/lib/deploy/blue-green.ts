/**
 * An engine upgrade through an RDS blue/green deployment, which the Terraform provider does not offer for
 * Aurora clusters (terraform-provider-aws#28042) and offers for RDS instances only without a hand-off of the
 * RDS-managed master password (blue_green_update): create the deployment with the target version, wait while RDS
 * builds and syncs the green database, switch over when it is AVAILABLE, wait for SWITCHOVER_COMPLETED, and
 * print the config change that makes the next plan adopt the result (same identifier, new version) instead
 * of replacing anything. Statuses are the RDS API's (BlueGreenDeployment.Status): PROVISIONING, AVAILABLE,
 * SWITCHOVER_IN_PROGRESS, SWITCHOVER_COMPLETED, and the failures INVALID_CONFIGURATION, SWITCHOVER_FAILED,
 * DELETING. A database whose master password RDS manages (every dbstack database) first hands it off to the
 * run and gets it back after the switchover (blue-green-master-password.ts). An RDS instance's old blue is
 * then deleted so Terraform adopts the green (blue-green-instance.ts).
 */
import {
  CreateBlueGreenDeploymentCommand, DescribeBlueGreenDeploymentsCommand, SwitchoverBlueGreenDeploymentCommand,
  type BlueGreenDeployment, type CreateBlueGreenDeploymentCommandInput, type RDSClient,
} from "@aws-sdk/client-rds";
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { EXIT, ScriptError } from "../cli.ts";
import { readOutputs } from "./stack-outputs.ts";
import { API, describeDatabase, type Database, type DatabaseType } from "./blue-green-database.ts";
import {
  RetireError, checkLogicalReplication, finalSnapshotName, findByResourceId, instanceFamilyOf, instanceMajorOf, postgresSourceRefusal,
  retireCommands, retireOldBlue, retirePlannedCalls, type OldBlue,
} from "./blue-green-instance.ts";
import {
  PASSWORD_REQUEST, RECOVERY_WINDOW_DAYS, awsCall, findHandOffSecret, handBackInput, handBackMasterPassword, handOffSecretInput,
  handOffSecretName, masterPasswordOf, masterSecretChanged, namedDatabase, realClock, releaseInput, releaseMasterPassword, runHandBackOnly, storeHandOffPassword,
  type BlueGreenClients, type HandOffSecret, type MasterPassword, type NamedDatabase, type PlannedCall, type WaitClock, type WaitSettings,
} from "./blue-green-master-password.ts";
import { checkTargetParameterGroups } from "./blue-green-parameter-groups.ts";
import {
  HELP, RELEASE_FLAG, checkFlagsFor, checkRegion, databaseFromOutputs, handBackCommand, parseBlueGreenArgs, type BlueGreenOptions,
} from "./blue-green-options.ts";

export type { BlueGreenClients, PlannedCall, WaitClock } from "./blue-green-master-password.ts";
export { HELP, checkFlagsFor, databaseFromOutputs, handBackCommand, parseBlueGreenArgs, type BlueGreenOptions, type HandBackOptions } from "./blue-green-options.ts";

/** "<major>" of an Aurora version: "16" of "16.8", "3" of "8.0.mysql_aurora.3.10.0". */
function majorOf(version: string): string {
  return version.replace(/^\d+\.\d+\.mysql_aurora\./, "").split(".")[0]!;
}

export interface BlueGreenPlan {
  readonly type: DatabaseType;
  readonly identifier: string;
  readonly database: Database;
  readonly engine: string;
  readonly fromVersion: string;
  readonly major: boolean;
  readonly input: CreateBlueGreenDeploymentCommandInput;
  /** Where the master password is before the run. */
  readonly masterPassword: MasterPassword;
  /** RDS instances: the old blue to delete after the switchover (its resource id, recorded now) and its final snapshot's name. */
  readonly oldBlue?: OldBlue;
  /** What the operator should know and the checks could not decide (printed before the run). */
  readonly notes: readonly string[];
  /** A deployment of this run's name that an earlier run created and left unfinished: the run continues it. */
  readonly existing?: ExistingDeployment;
}

/** A blue/green deployment already there for the database (DescribeBlueGreenDeployments). */
export interface ExistingDeployment {
  readonly id: string;
  readonly name: string;
  readonly status: string;
}

/** Statuses of an unfinished deployment a rerun can continue: waiting for the green side, or for the switchover. */
const RESUMABLE = ["PROVISIONING", "AVAILABLE", "SWITCHOVER_IN_PROGRESS"];

/**
 * The unfinished deployment of this database, by its source ARN or this run's name (a SWITCHOVER_COMPLETED
 * deployment is a finished earlier upgrade and is left alone). A rerun continues one of its own name that
 * is still resumable; anything else is refused before the hand-off, with what to do: RDS would refuse a
 * second deployment of the same name, and a stray one of another name is not this script's to drive.
 */
async function findExistingDeployment(rds: RDSClient, db: Database, name: string, options: BlueGreenOptions): Promise<ExistingDeployment | undefined> {
  const found: BlueGreenDeployment[] = [];
  let marker: string | undefined;
  do {
    const page = await awsCall("DescribeBlueGreenDeployments", () => rds.send(new DescribeBlueGreenDeploymentsCommand(marker ? { Marker: marker } : {})));
    found.push(...(page.BlueGreenDeployments ?? []).filter((d) => (d.Source === db.arn || d.BlueGreenDeploymentName === name) && d.Status !== "SWITCHOVER_COMPLETED"));
    marker = page.Marker;
  } while (marker);
  const deployment = found[0];
  if (!deployment?.BlueGreenDeploymentIdentifier) return undefined;
  const existing = { id: deployment.BlueGreenDeploymentIdentifier, name: deployment.BlueGreenDeploymentName ?? "", status: deployment.Status ?? "" };
  const remove = `aws rds delete-blue-green-deployment --blue-green-deployment-identifier ${existing.id} --delete-target`;
  if (existing.name !== name) {
    throw new ScriptError(EXIT.usage, `${db.type} ${db.identifier} already has blue/green deployment ${existing.id} (${existing.name}, ${existing.status}), not this run's ${name}: ` +
      `finish or delete it first (${remove}), then rerun`);
  }
  if (existing.status === "SWITCHOVER_FAILED") {
    throw new ScriptError(EXIT.usage, `blue/green deployment ${existing.id} (${name}) is SWITCHOVER_FAILED: RDS rolled it back and the blue ${db.type} serves on ${db.engineVersion}; ` +
      `retry the switchover (aws rds switchover-blue-green-deployment --blue-green-deployment-identifier ${existing.id}) or delete it (${remove}); ` +
      `then, if the master password is still handed off, ${handBackCommand(options)}`);
  }
  if (!RESUMABLE.includes(existing.status)) {
    throw new ScriptError(EXIT.usage, `blue/green deployment ${existing.id} (${name}) is ${existing.status}: delete it (${remove}) and fix the cause, then rerun`);
  }
  return existing;
}

/** The major of a version, as config writes it. */
const majorFor = (type: DatabaseType, engine: string, version: string) => (type === "cluster" ? majorOf(version) : instanceMajorOf(engine, version));

/**
 * Reads the database and builds the deployment, refusing locally what RDS would refuse after a long wait
 * (or at once): a master password RDS manages unless the operator lets the run hand it off, no automated
 * backups, the version it already runs, a major upgrade without a target-family parameter group, a named
 * group that is missing or of another family (blue-green-parameter-groups.ts), and for RDS instances what
 * blue-green-instance.ts checks.
 */
export async function planBlueGreen(rds: RDSClient, secrets: SecretsManagerClient, target: { type: DatabaseType; identifier: string; engine: string }, options: BlueGreenOptions, now: Date = new Date()): Promise<BlueGreenPlan> {
  const { type, identifier } = target;
  const db = await describeDatabase(rds, type, identifier);
  if (!db.engineVersion) throw new ScriptError(EXIT.aws, `${type} ${identifier} was not found`);
  const from = db.engineVersion;
  const secretName = handOffSecretName(identifier);
  const masterPassword = masterPasswordOf(db, await findHandOffSecret(secrets, secretName));
  if (masterPassword.kind === "handed-off" && from === options.to) {
    throw new ScriptError(EXIT.usage, `${type} ${identifier} already runs ${options.to}, and its master password is still self-managed, held in secret ${secretName} ` +
      `by an earlier run: give it back to RDS with ${handBackCommand(options)}`);
  }
  if (masterPassword.kind === "rds-managed" && !options.releaseManagedMasterPassword) {
    throw new ScriptError(EXIT.usage, `${type} ${identifier} has its master password managed by RDS in Secrets Manager (${masterPassword.secretArn}), which RDS blue/green ` +
      `deployments do not support (${type === "cluster" ? "Aurora" : "RDS"} User Guide, Limitations for blue/green deployments). Rerun with ${RELEASE_FLAG} to hand it off for the run: ` +
      `the script stores a new random password in secret ${secretName} (KMS key ${masterPassword.kmsKeyId}), turns RDS management off (RDS deletes its secret ` +
      `and uses that password), runs the deployment, then turns management back on for the switched-over ${type} (RDS creates a new secret with the same key) ` +
      `and schedules ${secretName} for deletion in ${RECOVERY_WINDOW_DAYS} days. Or upgrade in place with database.upgrade`);
  }
  if (masterPassword.kind === "handed-off" && !options.releaseManagedMasterPassword) {
    throw new ScriptError(EXIT.usage, `${type} ${identifier}'s master password was handed off by an earlier run and is held in secret ${secretName}: ` +
      `rerun with ${RELEASE_FLAG} to continue (the stored password is kept), or give it back with ${handBackCommand(options)}`);
  }
  if (!db.backupRetentionPeriod || db.backupRetentionPeriod < 1) {
    throw new ScriptError(EXIT.usage, `${type} ${identifier} has no automated backups, which a blue/green deployment needs` +
      (type === "instance" ? ` (BackupRetentionPeriod ${db.backupRetentionPeriod ?? 0}; RDS User Guide, Preparing for a blue/green deployment${target.engine === "mysql" ? ": RDS for MySQL replicates through the binary log, which needs them" : ""}): set database.backupRetentionDays and deploy first` : ""));
  }
  if (from === options.to) throw new ScriptError(EXIT.usage, `${type} ${identifier} already runs ${options.to}: nothing to do`);
  const major = majorFor(type, target.engine, from) !== majorFor(type, target.engine, options.to);
  const notes: string[] = [];
  if (type === "cluster") {
    if (major && !options.targetClusterParameterGroup) {
      throw new ScriptError(EXIT.usage, `${from} -> ${options.to} is a major upgrade: name the green cluster's parameter group of the target family (--target-cluster-parameter-group)`);
    }
  } else {
    notes.push(...await checkInstance(rds, db, target.engine, from, major, options));
  }
  await checkTargetParameterGroups(rds, type, target.engine, options.to, options);
  const name = `${identifier}-to-${options.to.replace(/[^A-Za-z0-9]+/g, "-")}`.slice(0, 60).replace(/-+$/, "");
  const existing = await findExistingDeployment(rds, db, name, options);
  if (existing) notes.push(`blue/green deployment ${existing.id} (${name}) is already ${existing.status}, left by an earlier run: this run continues it instead of creating one`);
  const parameterGroup = type === "cluster" ? options.targetInstanceParameterGroup : options.targetParameterGroup;
  return {
    type, identifier, database: db, engine: target.engine, fromVersion: from, major, masterPassword, notes, ...(existing ? { existing } : {}),
    ...(type === "instance" ? { oldBlue: { identifier, resourceId: db.resourceId!, snapshot: finalSnapshotName(identifier, options.to, now) } } : {}),
    input: {
      BlueGreenDeploymentName: name,
      Source: db.arn,
      TargetEngineVersion: options.to,
      ...(options.targetClusterParameterGroup ? { TargetDBClusterParameterGroupName: options.targetClusterParameterGroup } : {}),
      ...(parameterGroup ? { TargetDBParameterGroupName: parameterGroup } : {}),
    },
  };
}

/** The checks only an RDS instance has; returns notes, throws what RDS would refuse. */
async function checkInstance(rds: RDSClient, db: Database, engine: string, from: string, major: boolean, options: BlueGreenOptions): Promise<string[]> {
  if (!db.resourceId) throw new ScriptError(EXIT.aws, `instance ${db.identifier} reports no DbiResourceId, which the run needs to find the old blue after the switchover`);
  if (major && !options.targetParameterGroup) {
    throw new ScriptError(EXIT.usage, `${from} -> ${options.to} is a major upgrade: name the green instance's DB parameter group of the target family ` +
      `${instanceFamilyOf(engine, instanceMajorOf(engine, options.to))} (--target-parameter-group)`);
  }
  const notes: string[] = [];
  if (db.readReplicas && db.readReplicas.length > 0) {
    notes.push(`instance ${db.identifier} has read replicas dbstack did not create (${db.readReplicas.join(", ")}): the deployment copies them as replicas of the green instance; ` +
      "the old ones stay, renamed by RDS, and are not deleted by this script (deleting the old blue promotes them to standalone instances)");
  }
  if (engine === "postgres" && major) {
    const refusal = postgresSourceRefusal(db.identifier, from);
    if (refusal) throw new ScriptError(EXIT.usage, refusal);
    const { problems, notes: parameterNotes } = await checkLogicalReplication(rds, db);
    if (problems.length > 0) throw new ScriptError(EXIT.usage, problems.join("\n"));
    notes.push(...parameterNotes);
  }
  return notes;
}

const PASSWORD_PLACEHOLDER = "<the password from GetRandomPassword; never printed>";

/** Every call of the run, in order, with the password replaced by a placeholder. */
export function plannedCalls(plan: BlueGreenPlan, options: BlueGreenOptions): PlannedCall[] {
  const { type, identifier: id } = plan;
  const handOff: PlannedCall[] = [];
  const handBack: PlannedCall[] = [];
  const password = plan.masterPassword;
  if (password.kind === "rds-managed") {
    const secret = password.stored
      ? [{ call: "GetSecretValue", input: { SecretId: password.stored.arn } }]
      : [{ call: "GetRandomPassword", input: { ...PASSWORD_REQUEST } },
        { call: "CreateSecret", input: { ...handOffSecretInput(plan.database, password.kmsKeyId, handOffReason(plan, options)),
          SecretString: `{"username", "password": ${PASSWORD_PLACEHOLDER}, "engine", "host", "port", "${type === "cluster" ? "dbClusterIdentifier" : "dbInstanceIdentifier"}"}` } }];
    handOff.push(...secret,
      { call: API[type].modify, input: releaseInput(type, id, PASSWORD_PLACEHOLDER) },
      { call: `wait: ${API[type].describe} until ${id} is available without MasterUserSecret` });
  }
  if (password.kind !== "self-managed") {
    const kmsKeyId = password.kind === "rds-managed" ? password.kmsKeyId : password.secret.kmsKeyId ?? "<the key of the run's secret>";
    handBack.push({ call: API[type].modify, input: handBackInput(type, id, kmsKeyId) },
      { call: `wait: ${API[type].describe} until ${id}'s MasterUserSecret is active` },
      { call: "DeleteSecret", input: { SecretId: password.kind === "handed-off" ? password.secret.arn : password.stored?.arn ?? handOffSecretName(id), RecoveryWindowInDays: RECOVERY_WINDOW_DAYS } });
  }
  const existing = plan.existing;
  const deployment: PlannedCall[] = existing?.status === "SWITCHOVER_IN_PROGRESS" ? [] : [
    ...(existing ? [] : [{ call: "CreateBlueGreenDeployment", input: { ...plan.input } }]),
    { call: `wait: DescribeBlueGreenDeployments${existing ? ` (${existing.id}, now ${existing.status})` : ""} until AVAILABLE` },
    { call: "SwitchoverBlueGreenDeployment", input: { BlueGreenDeploymentIdentifier: existing?.id ?? "<the created deployment>", SwitchoverTimeout: options.switchoverTimeoutSeconds } },
  ];
  return [...handOff, ...deployment,
    { call: `wait: DescribeBlueGreenDeployments${existing?.status === "SWITCHOVER_IN_PROGRESS" ? ` (${existing.id}, now SWITCHOVER_IN_PROGRESS)` : ""} until SWITCHOVER_COMPLETED` },
    ...handBack,
    ...(plan.oldBlue && !options.keepOldInstance ? retirePlannedCalls(plan.oldBlue) : [])];
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
async function waitFor(rds: RDSClient, id: string, target: string, wait: WaitSettings, seen: { status?: string }, type: DatabaseType): Promise<BlueGreenDeployment> {
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
        (deployment.Status === "SWITCHOVER_FAILED" ? `; RDS rolled the switchover back and the blue ${type} still serves; delete the deployment and its green ${type}, or retry the switchover`
          : deployment.Status === "INVALID_CONFIGURATION" ? "; nothing was switched; delete the deployment (aws rds delete-blue-green-deployment --delete-target) and fix the cause" : ""));
    }
    if (wait.clock.now() + wait.pollMs > deadline) {
      throw new ScriptError(EXIT.aws, `blue/green deployment ${id} is still ${deployment.Status} after ${Math.round(wait.timeoutMs / 60000)} minutes, waiting for ${target}; ` +
        "nothing more was done: rerun with --timeout-minutes, or watch it with aws rds describe-blue-green-deployments");
    }
    await wait.clock.sleep(wait.pollMs);
  }
}

export type BlueGreenResult = NamedDatabase & {
  readonly blueGreenDeploymentIdentifier: string;
  readonly from: string;
  readonly to: string;
  readonly status: "SWITCHOVER_COMPLETED";
  /** Present when the run handed the master password off and back. */
  readonly masterPassword?: { readonly heldDuringRunIn: string; readonly newMasterSecretArn: string; readonly runSecretDeletionInDays: number };
  /** RDS instances: the old blue, deleted with its final snapshot, or kept (--keep-old-instance). */
  readonly oldInstance?: { readonly identifier: string; readonly resourceId: string; readonly deleted: boolean; readonly finalSnapshot?: string; readonly newResourceId?: string };
  /** The config change to commit so the next plan adopts the result. */
  readonly configChange: readonly string[];
};

/** Where a run stopped, for the recovery message. */
type Stage = "handing-off" | "deploying" | "switching-over" | "handing-back";

/** Hands the password off if needed, creates the deployment, waits, switches over, waits, hands back, retires an instance's old blue; returns what to commit. */
export async function runBlueGreen(clients: BlueGreenClients, plan: BlueGreenPlan, options: BlueGreenOptions, print: (line: string) => void, clock: WaitClock = realClock): Promise<BlueGreenResult> {
  const { rds, secrets } = clients;
  const { type, identifier } = plan;
  const wait: WaitSettings = { timeoutMs: options.timeoutMinutes * 60_000, pollMs: options.pollSeconds * 1000, clock, print };
  let held: HandOffSecret | undefined = plan.masterPassword.kind === "handed-off" ? plan.masterPassword.secret : undefined;
  let stage: Stage = "handing-off";
  let id: string | undefined;
  let newMasterSecretArn: string | undefined;
  const seen: { status?: string } = {};
  try {
    if (plan.masterPassword.kind === "rds-managed") {
      const stored = await storeHandOffPassword(secrets, plan.database, plan.masterPassword, handOffReason(plan, options), print);
      held = stored.secret;
      await releaseMasterPassword(rds, type, identifier, stored.password, wait);
    } else if (held) {
      print(`resuming: ${identifier}'s master password is already handed off, held in secret ${held.name}`);
    }
    stage = "deploying";
    const deploymentId = plan.existing ? plan.existing.id : await createDeployment(rds, plan, options, print);
    id = deploymentId;
    if (plan.existing) print(`continuing blue/green deployment ${deploymentId} (${plan.existing.status}): ${identifier} ${plan.fromVersion} -> ${options.to}`);
    const alreadySwitching = plan.existing?.status === "SWITCHOVER_IN_PROGRESS";
    if (!alreadySwitching) {
      await waitFor(rds, deploymentId, "AVAILABLE", wait, seen, type);
      print(`switching over (RDS rolls back after ${options.switchoverTimeoutSeconds} s)`);
    }
    stage = "switching-over";
    if (!alreadySwitching) {
      await awsCall("SwitchoverBlueGreenDeployment", () => rds.send(new SwitchoverBlueGreenDeploymentCommand({ BlueGreenDeploymentIdentifier: deploymentId, SwitchoverTimeout: options.switchoverTimeoutSeconds })));
    }
    await waitFor(rds, deploymentId, "SWITCHOVER_COMPLETED", wait, seen, type);
    stage = "handing-back";
    newMasterSecretArn = held ? await handBackMasterPassword(rds, secrets, type, identifier, held, wait) : undefined;
  } catch (error) {
    if (!held || !(error instanceof ScriptError)) throw error;
    throw new ScriptError(error.exitCode, `${error.message}\n${recoveryState(plan, options, held, stage, id, seen.status).join("\n")}`);
  }
  const result = {
    ...namedDatabase(type, identifier), blueGreenDeploymentIdentifier: id, from: plan.fromVersion, to: options.to, status: "SWITCHOVER_COMPLETED" as const,
    ...(held && newMasterSecretArn ? { masterPassword: { heldDuringRunIn: held.name, newMasterSecretArn, runSecretDeletionInDays: RECOVERY_WINDOW_DAYS } } : {}),
  };
  if (type === "cluster") return { ...result, configChange: configChange(plan, options, id, newMasterSecretArn) };
  const resourceId = plan.database.resourceId!;
  if (!plan.oldBlue || options.keepOldInstance) {
    // Only to print the exact name: a failed lookup must not turn a finished upgrade into an error.
    const kept = await findByResourceId(rds, resourceId).catch(() => undefined);
    const oldName = kept?.identifier ?? `${identifier}-old1`;
    return { ...result, oldInstance: { identifier: oldName, resourceId, deleted: false }, configChange: configChange(plan, options, id, newMasterSecretArn, { kept: oldName }) };
  }
  const oldBlue = plan.oldBlue;
  try {
    const retired = await retireOldBlue(rds, oldBlue, id, wait);
    return {
      ...result, oldInstance: { identifier: retired.oldName, resourceId, deleted: true, finalSnapshot: oldBlue.snapshot, newResourceId: retired.newResourceId },
      configChange: configChange(plan, options, id, newMasterSecretArn, { deleted: retired.oldName, newResourceId: retired.newResourceId }),
    };
  } catch (error) {
    if (!(error instanceof RetireError)) throw error;
    throw new ScriptError(EXIT.aws, [error.message,
      `state: the switchover completed: ${identifier} is the green instance on ${options.to}` +
        `${newMasterSecretArn ? `, RDS manages its master password again (${newMasterSecretArn})` : ""}; the old blue instance ${error.oldName} (resource id ${resourceId}) still exists` +
        `${error.deploymentId ? ` and so does the deployment ${error.deploymentId}` : ""}: Terraform tracks the instance by that resource id, so the next plan would rename it back to ${identifier}`,
      `next: fix the cause, then finish by hand before any plan: ${retireCommands(oldBlue, error.oldName, error.deploymentId).join(" && ")}; then commit this config change:`,
      ...configChange(plan, options, id, newMasterSecretArn, { deleted: error.oldName }).map((line) => `  ${line}`)].join("\n"));
  }
}

async function createDeployment(rds: RDSClient, plan: BlueGreenPlan, options: BlueGreenOptions, print: (line: string) => void): Promise<string> {
  const created = await awsCall("CreateBlueGreenDeployment", () => rds.send(new CreateBlueGreenDeploymentCommand(plan.input)));
  const id = created.BlueGreenDeployment?.BlueGreenDeploymentIdentifier;
  if (!id) throw new ScriptError(EXIT.aws, "CreateBlueGreenDeployment returned no identifier");
  print(`created blue/green deployment ${id}: ${plan.identifier} ${plan.fromVersion} -> ${options.to}; waiting for the green ${plan.type}`);
  return id;
}

/** Where things stand after a failure while the run holds the master password: who serves, where the password is, what to run. */
function recoveryState(plan: BlueGreenPlan, options: BlueGreenOptions, held: HandOffSecret, stage: Stage, deploymentId: string | undefined, status: string | undefined): string[] {
  const { type, identifier: id } = plan;
  const password = `its master password is self-managed (not RDS-managed) and held in secret ${held.name}`;
  const handBack = `give management back to RDS: ${handBackCommand(options)}`;
  const deleteDeployment = deploymentId ? `aws rds delete-blue-green-deployment --blue-green-deployment-identifier ${deploymentId} --delete-target` : "";
  switch (stage) {
    case "handing-off":
      return [`state: the blue ${type} ${id} still serves on ${plan.fromVersion}; RDS may still be applying the hand-off: ${password} (or will be once RDS has applied it)`,
        `next: rerun the same command to continue (it reuses the stored password), or ${handBack}`];
    case "deploying":
      return [`state: the blue ${type} ${id} still serves on ${plan.fromVersion}; ${password}`,
        !deploymentId ? `next: fix the cause and rerun the same command, or ${handBack}`
          : RESUMABLE.includes(status ?? "") ? `next: rerun the same command to continue deployment ${deploymentId} (with a longer --timeout-minutes), or delete it (${deleteDeployment}), then ${handBack}`
            : `next: delete the deployment (${deleteDeployment}), then ${handBack}`];
    case "switching-over":
      return status === "SWITCHOVER_FAILED"
        ? [`state: RDS rolled the switchover back: the blue ${type} ${id} still serves on ${plan.fromVersion}; ${password}`,
          `next: retry the switchover (aws rds switchover-blue-green-deployment --blue-green-deployment-identifier ${deploymentId}) then ${handBack}; or delete the deployment (${deleteDeployment}), then ${handBack}`]
        : [`state: the switchover of ${deploymentId} did not finish in time: if aws rds describe-blue-green-deployments shows SWITCHOVER_COMPLETED, ${id} is the green ${type} on ${options.to}, ` +
          `otherwise the blue ${type} on ${plan.fromVersion} still serves; either way ${password}`,
          `next: rerun the same command to keep waiting for it, or once the deployment is SWITCHOVER_COMPLETED or SWITCHOVER_FAILED, ${handBack}`];
    case "handing-back":
      return [`state: the switchover completed: ${id} is the green ${type} on ${options.to}; ${password}; the old blue ${type} RDS renamed knows that password too`,
        `next: ${handBack}; it prints what the next deploy changes, but not this config change to commit:`,
        ...configChange(plan, options, deploymentId!, undefined, type === "instance" ? { kept: `${id}-old1` } : undefined).map((line) => `  ${line}`)];
  }
}

/** What happened to an instance's old blue, for the config change. */
type OldInstanceOutcome = { readonly deleted: string; readonly newResourceId?: string } | { readonly kept: string };

/** What to write in stacks/environments.ts so the plan adopts the switched-over database. */
export function configChange(plan: BlueGreenPlan, options: BlueGreenOptions, deploymentId: string, newMasterSecretArn?: string, old?: OldInstanceOutcome): string[] {
  const { type, identifier } = plan;
  const env = options.environment;
  const fromMajor = majorFor(type, plan.engine, plan.fromVersion);
  const toMajor = majorFor(type, plan.engine, options.to);
  const lines = [`${env}: database.engineVersion: "${options.to}"  (was "${plan.fromVersion}"; no database.upgrade: the ${type} already runs it)`];
  if (type === "cluster") {
    if (plan.major) {
      lines.push(`${env}: database.originalMajorVersion: "${fromMajor}"  (the groups of ${toMajor} carry their family in their names)`,
        `the next plan replaces the parameter groups with dbstack's ${toMajor} groups (created before the cluster moves to them); ` +
        `the cluster itself is modified in place to use them`);
    }
    lines.push(`then: npm run deploy -- ${env}  (the cluster's resource id changed: the rds-db:connect grants downstream follow it)`);
    if (newMasterSecretArn) lines.push(masterSecretChanged(env, newMasterSecretArn));
    lines.push(`when satisfied: aws rds delete-blue-green-deployment --blue-green-deployment-identifier ${deploymentId} and delete the old cluster RDS renamed "${identifier}-old1"`);
    return lines;
  }
  if (plan.major) {
    lines.push(`${env}: database.originalMajorVersion: "${fromMajor}"  (the parameter group of ${toMajor} carries its family in its name)`,
      `the next plan replaces dbstack's parameter group with its ${instanceFamilyOf(plan.engine, toMajor)} group (created before the instance moves to it); ` +
      `the instance itself is modified in place to use it${plan.input.TargetDBParameterGroupName ? `, after which ${plan.input.TargetDBParameterGroupName} can be deleted if you made it for this run` : ""}`);
  }
  const resourceId = `the instance's resource id changed (was ${plan.database.resourceId}${old && "newResourceId" in old && old.newResourceId ? `, now ${old.newResourceId}` : ""}): ` +
    "the rds-db:connect grants downstream follow it";
  lines.push(`then: npm run deploy -- ${env}  (${resourceId})`);
  if (newMasterSecretArn) lines.push(masterSecretChanged(env, newMasterSecretArn));
  if (old && "kept" in old && plan.oldBlue) {
    lines.push(`!!! the old blue instance ${old.kept} (resource id ${plan.database.resourceId}) still exists: delete it BEFORE the next plan, or Terraform, which tracks ` +
      `the instance by that resource id, renames it back to ${identifier}:`,
      ...retireCommands(plan.oldBlue, old.kept, deploymentId).map((c) => `    ${c}`));
  } else if (plan.oldBlue) {
    lines.push(`the old blue instance ${old && "deleted" in old ? old.deleted : `${identifier}-old1`} was deleted; its final snapshot is ${plan.oldBlue.snapshot} (delete it when you no longer need it)`);
  }
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
  const database = databaseFromOutputs(readOutputs(options.outputs, options.environment));
  checkFlagsFor(database.type, options);
  const region = options.region ?? (process.env.AWS_REGION ? checkRegion(process.env.AWS_REGION, "AWS_REGION") : undefined);
  if (!region) throw new ScriptError(EXIT.usage, "--region or AWS_REGION is required");
  const clients: BlueGreenClients = {
    rds: deps.rds ? deps.rds(region) : await defaultRds(region),
    secrets: deps.secrets ? deps.secrets(region) : await defaultSecrets(region),
  };
  const progress = options.output === "json" ? () => {} : print;
  try {
    if (options.mode === "hand-back-only") {
      const result = await runHandBackOnly(clients, database.type, database.identifier, options, progress, deps.clock);
      if (Array.isArray(result)) {
        print(options.output === "json" ? JSON.stringify({ calls: result }, null, 2) : [`dry run: would make these calls in ${region}`, ...callLines(result)].join("\n"));
      } else {
        if (options.output === "json") print(JSON.stringify(result, null, 2));
        else if (result.status === "handed-back") print([`RDS manages ${database.identifier}'s master password again; commit nothing, but deploy:`, ...result.configChange.map((line) => `  ${line}`)].join("\n"));
      }
      return EXIT.ok;
    }
    const plan = await planBlueGreen(clients.rds, clients.secrets, database, options, new Date((deps.clock ?? realClock).now()));
    for (const note of plan.notes) progress(`note: ${note}`);
    if (options.dryRun) {
      const calls = plannedCalls(plan, options);
      print(options.output === "json" ? JSON.stringify({ calls, ...(plan.notes.length ? { notes: plan.notes } : {}) }, null, 2)
        : [`dry run: would make these calls in ${region}`, ...callLines(calls)].join("\n"));
      return EXIT.ok;
    }
    const result = await runBlueGreen(clients, plan, options, progress, deps.clock);
    print(options.output === "json" ? JSON.stringify(result, null, 2)
      : [`switchover completed: ${database.identifier} runs ${result.to}`, ...(result.masterPassword ? [`RDS manages its master password again (${result.masterPassword.newMasterSecretArn})`] : []),
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
