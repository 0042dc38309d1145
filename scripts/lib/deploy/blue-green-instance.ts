/**
 * What a blue/green run does for an RDS instance beyond what it does for an Aurora cluster:
 *
 * - checks before anything is created, for what RDS would refuse only after a long wait: a PostgreSQL major
 *   upgrade from a source minor AWS does not allow (RDS User Guide, "PostgreSQL replication methods for
 *   blue/green deployments": a major upgrade uses logical replication and needs the source on 16.1+, 15.4+,
 *   14.9+, 13.12+, 12.16+ or 11.21+), and the logical-replication parameters of the instance's parameter group
 *   (RDS User Guide, "Creating a blue/green deployment in Amazon RDS", section "Preparing an RDS for PostgreSQL
 *   DB instance for a blue/green deployment with logical replication", read in full 2026-12-07:
 *   rds.logical_replication on in a custom parameter group, max_replication_slots, max_wal_senders,
 *   max_logical_replication_workers and max_worker_processes tuned, the instance in sync with its group (a
 *   reboot after the change) or creation fails; every table with a primary key; room on the blue instance for
 *   the WAL kept until the green side replays it. The AWS Knowledge Center "rds-postgresql-blue-green-
 *   deployment-error" names the "incompatible parameter(s)" failures; PostgreSQL "Logical replication:
 *   configuration settings" gives the max_worker_processes and max_wal_senders rules). A minor upgrade or none
 *   replicates physically and needs only automated backups, as RDS for MySQL does (the cluster's check).
 * - retiring the old blue: Terraform tracks aws_db_instance by its resource id (DbiResourceId). After the
 *   switchover the identifier names the green instance, and the provider's refresh adopts it only once no
 *   instance has the old resource id (__tests__/terraform/instance-adoption.test.ts: while the old blue, renamed
 *   `<id>-old1` by RDS, exists, the plan would rename it back). So the run deletes the deployment (without
 *   DeleteTarget, which RDS refuses once the deployment is SWITCHOVER_COMPLETED: API reference,
 *   DeleteBlueGreenDeployment), turns off the old blue's deletion protection, deletes it with a final snapshot,
 *   and waits until DescribeDBInstances finds nothing with the old resource id.
 */
import {
  DeleteBlueGreenDeploymentCommand, DeleteDBInstanceCommand, DescribeBlueGreenDeploymentsCommand, DescribeDBInstancesCommand,
  DescribeDBParametersCommand, ModifyDBInstanceCommand, type Parameter, type RDSClient,
} from "@aws-sdk/client-rds";
import { EXIT, ScriptError } from "../cli.ts";
import { fromInstance, type Database } from "./blue-green-database.ts";
import type { PlannedCall } from "./blue-green-master-password.ts";
import { awsCall, type WaitSettings } from "./blue-green-wait.ts";

/** The major of an RDS instance version as dbstack's config writes it: "16" of "16.8", "8.4" of "8.4.3". */
export function instanceMajorOf(engine: string, version: string): string {
  return engine === "mysql" ? version.split(".").slice(0, 2).join(".") : version.split(".")[0]!;
}

/** The parameter group family of a major: "postgres17", "mysql8.4". */
export const instanceFamilyOf = (engine: string, major: string) => `${engine}${major}`;

/**
 * The lowest source minor per PostgreSQL major from which RDS runs a blue/green major upgrade (RDS User Guide,
 * PostgreSQL replication methods for blue/green deployments, read 2026-12-07); 16.1 "and all higher major and
 * minor versions", so every major above 16 qualifies.
 */
export const POSTGRES_MAJOR_UPGRADE_SOURCE_MINIMUM: Readonly<Record<string, number>> = { "16": 1, "15": 4, "14": 9, "13": 12, "12": 16, "11": 21 };

const MINIMUM_LIST = Object.entries(POSTGRES_MAJOR_UPGRADE_SOURCE_MINIMUM).sort(([a], [b]) => Number(b) - Number(a)).map(([m, n]) => `${m}.${n}+`).join(", ");

/** Why RDS would refuse a major upgrade from `from`, or undefined. */
export function postgresSourceRefusal(identifier: string, from: string): string | undefined {
  const [major, minor] = from.split(".").map(Number) as [number, number | undefined];
  if (major > 16) return undefined;
  const least = POSTGRES_MAJOR_UPGRADE_SOURCE_MINIMUM[String(major)];
  if (least !== undefined && minor !== undefined && minor >= least) return undefined;
  return `instance ${identifier} runs PostgreSQL ${from}, from which RDS does not run a blue/green major upgrade: the source must be on ${MINIMUM_LIST} ` +
    "(RDS User Guide, PostgreSQL replication methods for blue/green deployments); upgrade its minor first (database.engineVersion, or this script with a minor --to), then rerun";
}

/** Every parameter of a DB parameter group, page by page (DescribeDBParameters returns up to 100 with a Marker). */
export async function describeParameters(rds: RDSClient, group: string): Promise<Map<string, Parameter>> {
  const parameters = new Map<string, Parameter>();
  let marker: string | undefined;
  do {
    const page = await awsCall("DescribeDBParameters", () => rds.send(new DescribeDBParametersCommand({ DBParameterGroupName: group, ...(marker ? { Marker: marker } : {}) })));
    for (const p of page.Parameters ?? []) if (p.ParameterName) parameters.set(p.ParameterName, p);
    marker = page.Marker;
  } while (marker);
  return parameters;
}

/** A parameter's value as a whole number, or undefined when unset or a formula ("{DBInstanceClassMemory/…}"). */
function numberOf(p: Parameter | undefined): number | undefined {
  return p?.ParameterValue && /^\d+$/.test(p.ParameterValue) ? Number(p.ParameterValue) : undefined;
}

const shown = (p: Parameter | undefined) => p?.ParameterValue ?? "not set (engine default)";
const staticNote = (p: Parameter | undefined) => (p?.ApplyType === "dynamic" ? "it is dynamic" : "it is static: reboot the instance after the change, before this script");

/** The tables of the current database that logical replication cannot update or delete rows of: no primary key. */
export const TABLES_WITHOUT_PRIMARY_KEY = "SELECT c.oid::regclass AS table_name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace " +
  "WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND c.relpersistence <> 't' " +
  "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p') ORDER BY 1";

/**
 * The logical-replication parameters a PostgreSQL major upgrade through blue/green needs on the source's
 * parameter group. Returns the refusals (parameter, value, what is required) and notes for what only a
 * count of the databases can tell.
 */
export async function checkLogicalReplication(rds: RDSClient, db: Database): Promise<{ problems: string[]; notes: string[] }> {
  const group = db.parameterGroup;
  if (!group) throw new ScriptError(EXIT.aws, `instance ${db.identifier} reports no DB parameter group`);
  const reboot = `aws rds reboot-db-instance --db-instance-identifier ${db.identifier}`;
  if (group.applyStatus === "pending-reboot") {
    return { problems: [`parameter group ${group.name} has changes that wait for a reboot of ${db.identifier} (ParameterApplyStatus pending-reboot): ` +
      `static parameters such as rds.logical_replication take effect only then; reboot first (${reboot}), then rerun`], notes: [] };
  }
  const parameters = await describeParameters(rds, group.name);
  const problems: string[] = [];
  const where = `in parameter group ${group.name} of ${db.identifier}`;
  const logical = parameters.get("rds.logical_replication");
  if (logical?.ParameterValue !== "1") {
    problems.push(`rds.logical_replication is ${shown(logical)} ${where}; a PostgreSQL major upgrade through blue/green replicates logically and needs 1 ` +
      `(RDS User Guide, Creating a blue/green deployment: Preparing an RDS for PostgreSQL DB instance); ${staticNote(logical)} (${reboot})`);
  }
  const workers = parameters.get("max_logical_replication_workers");
  const processes = parameters.get("max_worker_processes");
  if (numberOf(workers) !== undefined && numberOf(processes) !== undefined && numberOf(processes)! <= numberOf(workers)!) {
    problems.push(`max_worker_processes is ${processes!.ParameterValue} ${where}; it must be more than max_logical_replication_workers (${workers!.ParameterValue}), ` +
      `which take their workers from it (PostgreSQL, Logical replication: configuration settings); ${staticNote(processes)} (${reboot})`);
  }
  const slots = parameters.get("max_replication_slots");
  const senders = parameters.get("max_wal_senders");
  if (numberOf(slots) !== undefined && numberOf(senders) !== undefined && numberOf(senders)! < numberOf(slots)!) {
    problems.push(`max_wal_senders is ${senders!.ParameterValue} ${where}; it must be at least max_replication_slots (${slots!.ParameterValue}) ` +
      `(PostgreSQL, Logical replication: configuration settings); ${staticNote(senders)} (${reboot})`);
  }
  const notes = [`max_replication_slots is ${shown(slots)} and max_logical_replication_workers ${shown(workers)} ${where}: RDS replicates each database ` +
    `through its own slot and worker, so each must exceed the number of databases (SELECT count(*) FROM pg_database WHERE datallowconn), ` +
    `or the deployment fails with "incompatible parameter(s)" (AWS Knowledge Center, rds-postgresql-blue-green-deployment-error)`,
  "logical replication carries no UPDATE or DELETE of a table without a primary key: give every table one before the switchover " +
    `(find them in each database: ${TABLES_WITHOUT_PRIMARY_KEY})`,
  `the blue instance keeps its WAL until the green side has replayed it: ${db.identifier} needs free storage for about a day of TransactionLogsGeneration ` +
    "at peak (watch FreeStorageSpace, TransactionLogsDiskUsage and OldestReplicationSlotLag while the deployment runs; RDS User Guide, Preparing … with logical replication)"];
  return { problems, notes };
}

/**
 * The final snapshot of the old blue: `<identifier>-before-<target>-<yyyymmdd>`, e.g.
 * orders-prod-before-17-6-20261207. DB snapshot identifiers (DeleteDBInstance FinalDBSnapshotIdentifier):
 * 1 to 255 letters, digits or hyphens, first a letter, no two hyphens in a row, not ending in a hyphen.
 */
export function finalSnapshotName(identifier: string, to: string, now: Date): string {
  const date = now.toISOString().slice(0, 10).replace(/-/g, "");
  const name = `${identifier}-before-${to}-${date}`.replace(/[^A-Za-z0-9-]+/g, "-").replace(/-{2,}/g, "-").replace(/^[^A-Za-z]+/, "");
  return name.slice(0, 255).replace(/-+$/, "");
}

/** What step 5 needs of the plan. */
export interface OldBlue {
  readonly identifier: string;
  readonly resourceId: string;
  readonly snapshot: string;
}

const OLD_NAME = (o: OldBlue) => `<the old blue instance, found by dbi-resource-id ${o.resourceId}, e.g. ${o.identifier}-old1>`;
const byResourceId = (resourceId: string) => ({ Filters: [{ Name: "dbi-resource-id", Values: [resourceId] }] });

/** Step 5 as --dry-run lists it. */
export function retirePlannedCalls(old: OldBlue): PlannedCall[] {
  return [
    { call: "DeleteBlueGreenDeployment", input: { BlueGreenDeploymentIdentifier: "<the created deployment>" } },
    { call: "wait: DescribeBlueGreenDeployments until the deployment is gone" },
    { call: "DescribeDBInstances", input: byResourceId(old.resourceId) },
    { call: "ModifyDBInstance", input: { DBInstanceIdentifier: OLD_NAME(old), DeletionProtection: false, ApplyImmediately: true } },
    { call: "DeleteDBInstance", input: { DBInstanceIdentifier: OLD_NAME(old), SkipFinalSnapshot: false, FinalDBSnapshotIdentifier: old.snapshot } },
    { call: `wait: DescribeDBInstances (dbi-resource-id ${old.resourceId}) until it finds nothing` },
  ];
}

/** The instance with this resource id, whatever it is named now, or undefined. */
export async function findByResourceId(rds: RDSClient, resourceId: string): Promise<Database | undefined> {
  const described = await awsCall("DescribeDBInstances", () => rds.send(new DescribeDBInstancesCommand(byResourceId(resourceId))));
  const instance = described.DBInstances?.find((i) => i.DbiResourceId === resourceId);
  return instance ? fromInstance(instance) : undefined;
}

/** The commands that finish step 5 by hand, from where it stopped. */
export function retireCommands(old: OldBlue, oldName: string, deploymentId: string | undefined): string[] {
  return [
    ...(deploymentId ? [`aws rds delete-blue-green-deployment --blue-green-deployment-identifier ${deploymentId}`] : []),
    `aws rds modify-db-instance --db-instance-identifier ${oldName} --no-deletion-protection --apply-immediately`,
    `aws rds delete-db-instance --db-instance-identifier ${oldName} --final-db-snapshot-identifier ${old.snapshot}`,
    `aws rds wait db-instance-deleted --db-instance-identifier ${oldName}`,
  ];
}

/** A step-5 failure: where things stand and what to run, after the message of the call that failed. */
export class RetireError extends ScriptError {
  constructor(message: string, readonly oldName: string, readonly deploymentId: string | undefined) {
    super(EXIT.aws, message);
  }
}

/**
 * Deletes the deployment, then the old blue (found by its resource id, never by name: the identifier now
 * names the green) with a final snapshot, and waits until it is gone. Refuses to touch an instance that holds
 * the identifier, and does nothing when the green does not have a new resource id (no switchover happened).
 */
export async function retireOldBlue(rds: RDSClient, old: OldBlue, deploymentId: string, wait: WaitSettings): Promise<{ oldName: string; newResourceId: string }> {
  let pendingDeployment: string | undefined = deploymentId;
  let oldName = `${old.identifier}-old1`;
  const fail = (error: unknown): never => {
    throw new RetireError(error instanceof Error ? error.message : String(error), oldName, pendingDeployment);
  };
  try {
    const green = await findByIdentifier(rds, old.identifier);
    if (!green?.resourceId || green.resourceId === old.resourceId) {
      throw new ScriptError(EXIT.aws, `${old.identifier} still has resource id ${old.resourceId}: the switchover did not move the identifier, so nothing is deleted`);
    }
    await awsCall("DeleteBlueGreenDeployment", () => rds.send(new DeleteBlueGreenDeploymentCommand({ BlueGreenDeploymentIdentifier: deploymentId })));
    wait.print(`deleted blue/green deployment ${deploymentId} (the instances stay); waiting for RDS to remove it`);
    await waitUntilDeploymentGone(rds, deploymentId, wait);
    pendingDeployment = undefined;
    const blue = await findByResourceId(rds, old.resourceId);
    if (!blue) {
      wait.print(`the old blue instance (resource id ${old.resourceId}) is already gone`);
      return { oldName, newResourceId: green.resourceId };
    }
    oldName = blue.identifier;
    if (oldName === old.identifier) throw new ScriptError(EXIT.aws, `the instance with the old resource id ${old.resourceId} is named ${oldName}: refusing to delete it`);
    if (blue.deletionProtection !== false) {
      await awsCall("ModifyDBInstance", () => rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: oldName, DeletionProtection: false, ApplyImmediately: true })));
      wait.print(`turned deletion protection of the old blue instance ${oldName} off`);
      await waitForOldBlue(rds, old.resourceId, "without deletion protection", (db) => db?.deletionProtection === false && db.status === "available", wait);
    }
    await awsCall("DeleteDBInstance", () => rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: oldName, SkipFinalSnapshot: false, FinalDBSnapshotIdentifier: old.snapshot })));
    wait.print(`deleting the old blue instance ${oldName} with final snapshot ${old.snapshot}; waiting until it is gone`);
    await waitForOldBlue(rds, old.resourceId, "deleted", (db) => db === undefined, wait);
    return { oldName, newResourceId: green.resourceId };
  } catch (error) {
    return fail(error);
  }
}

async function findByIdentifier(rds: RDSClient, identifier: string): Promise<Database | undefined> {
  const described = await awsCall("DescribeDBInstances", () => rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: identifier })));
  const instance = described.DBInstances?.[0];
  return instance ? fromInstance(instance) : undefined;
}

async function waitUntilDeploymentGone(rds: RDSClient, id: string, wait: WaitSettings): Promise<void> {
  const deadline = wait.clock.now() + wait.timeoutMs;
  for (;;) {
    let status: string | undefined;
    try {
      const described = await rds.send(new DescribeBlueGreenDeploymentsCommand({ BlueGreenDeploymentIdentifier: id }));
      status = described.BlueGreenDeployments?.[0]?.Status;
    } catch (error) {
      if ((error as Error)?.name !== "BlueGreenDeploymentNotFoundFault") await awsCall("DescribeBlueGreenDeployments", () => Promise.reject(error));
    }
    if (status === undefined) return;
    if (wait.clock.now() + wait.pollMs > deadline) throw new ScriptError(EXIT.aws, `blue/green deployment ${id} is still ${status} after ${Math.round(wait.timeoutMs / 60000)} minutes`);
    await wait.clock.sleep(wait.pollMs);
  }
}

async function waitForOldBlue(rds: RDSClient, resourceId: string, what: string, done: (db: Database | undefined) => boolean, wait: WaitSettings): Promise<void> {
  const deadline = wait.clock.now() + wait.timeoutMs;
  let last = "";
  for (;;) {
    const db = await findByResourceId(rds, resourceId);
    const line = db ? `${db.identifier} ${db.status}${db.deletionProtection ? ", deletion protection on" : ""}` : `no instance with resource id ${resourceId}`;
    if (line !== last) wait.print(`  ${line}`);
    last = line;
    if (done(db)) return;
    if (wait.clock.now() + wait.pollMs > deadline) throw new ScriptError(EXIT.aws, `the old blue instance is not ${what} after ${Math.round(wait.timeoutMs / 60000)} minutes (${line})`);
    await wait.clock.sleep(wait.pollMs);
  }
}
