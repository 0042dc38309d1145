import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { mockClient } from "aws-sdk-client-mock";
import {
  CreateBlueGreenDeploymentCommand, DeleteBlueGreenDeploymentCommand, DeleteDBInstanceCommand, DescribeBlueGreenDeploymentsCommand, DescribeDBInstancesCommand,
  DescribeDBParameterGroupsCommand, DescribeDBParametersCommand, ModifyDBInstanceCommand, RDSClient, SwitchoverBlueGreenDeploymentCommand, type BlueGreenDeployment, type DBInstance, type Parameter,
} from "@aws-sdk/client-rds";
import {
  CreateSecretCommand, DeleteSecretCommand, DescribeSecretCommand, GetRandomPasswordCommand, ResourceNotFoundException, SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { EXIT, runScript } from "../../../scripts/lib/cli.ts";
import { runBlueGreenCommand, type WaitClock } from "../../../scripts/lib/deploy/blue-green.ts";
import { TABLES_WITHOUT_PRIMARY_KEY, finalSnapshotName } from "../../../scripts/lib/deploy/blue-green-instance.ts";

const ARN = "arn:aws:rds:eu-west-1:333333333333:db:orders-prod";
const BGD = "bgd-0a1b2c3d4e5f6g7h";
/** The waits read the deployment by its identifier. */
const BY_ID = { BlueGreenDeploymentIdentifier: BGD };
const KEY = "arn:aws:kms:eu-west-1:333333333333:key/1111aaaa-2222-bbbb-3333-cccc4444dddd";
const OLD_MASTER = "arn:aws:secretsmanager:eu-west-1:333333333333:secret:rds!db-old-AbCdEf";
const NEW_MASTER = "arn:aws:secretsmanager:eu-west-1:333333333333:secret:rds!db-new-GhIjKl";
const RUN_SECRET = "orders-prod-blue-green-master";
const RUN_SECRET_ARN = `arn:aws:secretsmanager:eu-west-1:333333333333:secret:${RUN_SECRET}-XyZ123`;
const PASSWORD = "Qx7%kP2!mZ9#rT4&wL8+vB3=nC6?hJ1^";
/** The blue instance's resource id (Terraform's id of aws_db_instance) and the green's. */
const BLUE = "db-BLUEBLUEBLUEBLUEBLUEBLUE01";
const GREEN = "db-GREENGREENGREENGREENGREEN2";
const GROUP = "orders-prod-postgres16-20261101";
const SNAPSHOT = "orders-prod-before-17-6-20261207";
const BY_BLUE_ID = { Filters: [{ Name: "dbi-resource-id", Values: [BLUE] }] };

/** A dbstack RDS for PostgreSQL instance as DescribeDBInstances returns it, with its RDS-managed master secret. */
const instance = (overrides: Partial<DBInstance> = {}): DBInstance => ({
  DBInstanceIdentifier: "orders-prod", DBInstanceArn: ARN, Engine: "postgres", EngineVersion: "16.8", DBInstanceStatus: "available", BackupRetentionPeriod: 7,
  MasterUsername: "dbadmin", Endpoint: { Address: "orders-prod.abc.eu-west-1.rds.amazonaws.com", Port: 5432 }, DbiResourceId: BLUE, DeletionProtection: true,
  DBParameterGroups: [{ DBParameterGroupName: GROUP, ParameterApplyStatus: "in-sync" }], ReadReplicaDBInstanceIdentifiers: [],
  MasterUserSecret: { SecretArn: OLD_MASTER, SecretStatus: "active", KmsKeyId: KEY }, ...overrides,
});
const instances = (...list: DBInstance[]) => ({ DBInstances: list });
/** The green instance after the switchover: the identifier, a new resource id, the target version. */
const green = (overrides: Partial<DBInstance> = {}) => instance({ EngineVersion: "17.6", DbiResourceId: GREEN, MasterUserSecret: { SecretArn: NEW_MASTER, SecretStatus: "active", KmsKeyId: KEY }, ...overrides });
/** The old blue, renamed by RDS at the switchover. */
const oldBlue = (overrides: Partial<DBInstance> = {}) => instance({ DBInstanceIdentifier: "orders-prod-old1", MasterUserSecret: undefined, ...overrides });

const parameter = (ParameterName: string, ParameterValue: string | undefined, ApplyType = "static"): Parameter => ({ ParameterName, ...(ParameterValue ? { ParameterValue } : {}), ApplyType });
const READY = [parameter("rds.logical_replication", "1"), parameter("max_replication_slots", "20"), parameter("max_wal_senders", "25"),
  parameter("max_logical_replication_workers", "4"), parameter("max_worker_processes", "8")];

const deployment = (Status: string): { BlueGreenDeployments: BlueGreenDeployment[] } => ({
  BlueGreenDeployments: [{ BlueGreenDeploymentIdentifier: BGD, BlueGreenDeploymentName: "orders-prod-to-17-6", Source: ARN, Status }],
});
const single = (Status: string) => ({ BlueGreenDeployment: deployment(Status).BlueGreenDeployments[0]! });
const deploymentGone = () => Object.assign(new Error("BlueGreenDeployment bgd-0a1b2c3d4e5f6g7h not found"), { name: "BlueGreenDeploymentNotFoundFault" });

function outputsFile(engine = "postgres"): string {
  const file = join(mkdtempSync(join(tmpdir(), "bg-db-")), "prod-outputs.json");
  writeFileSync(file, JSON.stringify({ "prod-database": { database_identifier: "orders-prod", database_engine: engine } }));
  return file;
}

/** A clock on 2026-12-07 that never waits. */
function fakeClock(): WaitClock & { slept: number[] } {
  let now = Date.UTC(2026, 11, 7, 9, 0, 0);
  const slept: number[] = [];
  return { slept, now: () => now, sleep: async (ms) => { slept.push(ms); now += ms; } };
}

describe("npm run blue-green on an RDS instance", () => {
  const rds = new RDSClient({ region: "eu-west-1" });
  const rdsMock = mockClient(rds);
  const secrets = new SecretsManagerClient({ region: "eu-west-1" });
  const secretsMock = mockClient(secrets);
  let lines: string[];
  let outputs: string;
  const run = (args: string[]) => runScript(
    () => runBlueGreenCommand([...args, "--outputs", outputs, "--region", "eu-west-1", "--poll-seconds", "10"], { rds: () => rds, secrets: () => secrets, print: (line) => lines.push(line), clock: fakeClock() }),
    (line) => lines.push(line));
  const major = (...extra: string[]) => run(["prod", "--to", "17.6", "--release-managed-master-password", "--target-parameter-group", "orders-prod-bg-postgres17", ...extra]);

  /** Every call of both clients in the order made, as "service:Command". */
  const sequence = () => [...rdsMock.calls().map((c) => ["rds", c] as const), ...secretsMock.calls().map((c) => ["sm", c] as const)]
    .sort(([, a], [, b]) => (a as unknown as { callId: number }).callId - (b as unknown as { callId: number }).callId)
    .map(([service, c]) => `${service}:${(c.args[0] as object).constructor.name.replace(/Command$/, "")}`);
  const expectPasswordNowhere = () => {
    const text = lines.join("\n");
    for (const form of [PASSWORD, encodeURIComponent(PASSWORD)]) expect(text).not.toContain(form);
  };

  /** RDS walking a PostgreSQL major upgrade to the end: the old blue found by its resource id, deleted, gone. */
  function rdsWalksTheUpgrade(): void {
    rdsMock.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: "orders-prod" })
      .resolvesOnce(instances(instance()))
      .resolvesOnce(instances(instance({ MasterUserSecret: undefined })))
      .resolvesOnce(instances(green({ MasterUserSecret: undefined })))
      .resolves(instances(green()));
    rdsMock.on(DescribeDBInstancesCommand, BY_BLUE_ID)
      .resolvesOnce(instances(oldBlue()))
      .resolvesOnce(instances(oldBlue({ DeletionProtection: false })))
      .resolvesOnce(instances(oldBlue({ DeletionProtection: false, DBInstanceStatus: "deleting" })))
      .resolves(instances());
    rdsMock.on(DescribeDBParametersCommand, { DBParameterGroupName: GROUP }).resolves({ Parameters: READY.slice(0, 2), Marker: "page-2" });
    rdsMock.on(DescribeDBParametersCommand, { DBParameterGroupName: GROUP, Marker: "page-2" }).resolves({ Parameters: READY.slice(2) });
    rdsMock.on(CreateBlueGreenDeploymentCommand).resolves(single("PROVISIONING"));
    rdsMock.on(DescribeBlueGreenDeploymentsCommand, BY_ID).resolvesOnce(deployment("AVAILABLE")).resolvesOnce(deployment("SWITCHOVER_IN_PROGRESS"))
      .resolvesOnce(deployment("SWITCHOVER_COMPLETED")).resolvesOnce(deployment("DELETING")).rejects(deploymentGone());
    rdsMock.on(SwitchoverBlueGreenDeploymentCommand).resolves(single("SWITCHOVER_IN_PROGRESS"));
    rdsMock.on(ModifyDBInstanceCommand).resolves({});
    rdsMock.on(DeleteBlueGreenDeploymentCommand).resolves(single("DELETING"));
    rdsMock.on(DeleteDBInstanceCommand).resolves({});
  }

  beforeEach(() => {
    rdsMock.reset();
    // No deployment left by an earlier run: the listing before CreateBlueGreenDeployment finds none.
    rdsMock.on(DescribeBlueGreenDeploymentsCommand).resolves({ BlueGreenDeployments: [] });
    secretsMock.reset();
    lines = [];
    outputs = outputsFile();
    rds.destroy = () => {};
    secrets.destroy = () => {};
    secretsMock.on(DescribeSecretCommand).rejects(new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: {} }));
    secretsMock.on(GetRandomPasswordCommand).resolves({ RandomPassword: PASSWORD });
    secretsMock.on(CreateSecretCommand).resolves({ ARN: RUN_SECRET_ARN, Name: RUN_SECRET });
    secretsMock.on(DeleteSecretCommand).resolves({});
    rdsMock.on(DescribeDBParameterGroupsCommand, { DBParameterGroupName: "orders-prod-bg-postgres17" })
      .resolves({ DBParameterGroups: [{ DBParameterGroupName: "orders-prod-bg-postgres17", DBParameterGroupFamily: "postgres17" }] });
  });

  it("upgrades 16.8 -> 17.6: checks, hands off, deploys, switches over, hands back, then deletes the deployment and the old blue with a final snapshot until it is gone", async () => {
    rdsWalksTheUpgrade();
    expect(await major()).toBe(EXIT.ok);
    expect(sequence()).toEqual([
      "rds:DescribeDBInstances", "sm:DescribeSecret", "rds:DescribeDBParameters", "rds:DescribeDBParameters", "rds:DescribeDBParameterGroups", "rds:DescribeBlueGreenDeployments",
      "sm:GetRandomPassword", "sm:CreateSecret", "rds:ModifyDBInstance", "rds:DescribeDBInstances",
      "rds:CreateBlueGreenDeployment", "rds:DescribeBlueGreenDeployments", "rds:SwitchoverBlueGreenDeployment", "rds:DescribeBlueGreenDeployments", "rds:DescribeBlueGreenDeployments",
      "rds:DescribeDBInstances", "rds:ModifyDBInstance", "rds:DescribeDBInstances", "sm:DeleteSecret",
      "rds:DescribeDBInstances", "rds:DeleteBlueGreenDeployment", "rds:DescribeBlueGreenDeployments", "rds:DescribeBlueGreenDeployments",
      "rds:DescribeDBInstances", "rds:ModifyDBInstance", "rds:DescribeDBInstances", "rds:DeleteDBInstance", "rds:DescribeDBInstances", "rds:DescribeDBInstances",
    ]);
    expect(rdsMock.commandCalls(ModifyDBInstanceCommand).map((c) => c.args[0].input)).toEqual([
      { DBInstanceIdentifier: "orders-prod", ManageMasterUserPassword: false, MasterUserPassword: PASSWORD, ApplyImmediately: true },
      { DBInstanceIdentifier: "orders-prod", ManageMasterUserPassword: true, MasterUserSecretKmsKeyId: KEY, ApplyImmediately: true },
      { DBInstanceIdentifier: "orders-prod-old1", DeletionProtection: false, ApplyImmediately: true },
    ]);
    expect(rdsMock.commandCalls(CreateBlueGreenDeploymentCommand)[0]!.args[0].input).toEqual({
      BlueGreenDeploymentName: "orders-prod-to-17-6", Source: ARN, TargetEngineVersion: "17.6", TargetDBParameterGroupName: "orders-prod-bg-postgres17",
    });
    expect(rdsMock.commandCalls(DeleteBlueGreenDeploymentCommand).map((c) => c.args[0].input)).toEqual([{ BlueGreenDeploymentIdentifier: BGD }]);
    expect(rdsMock.commandCalls(DeleteDBInstanceCommand).map((c) => c.args[0].input)).toEqual([
      { DBInstanceIdentifier: "orders-prod-old1", SkipFinalSnapshot: false, FinalDBSnapshotIdentifier: SNAPSHOT },
    ]);
    expect(rdsMock.commandCalls(DescribeDBInstancesCommand).filter((c) => c.args[0].input.Filters).every((c) => JSON.stringify(c.args[0].input) === JSON.stringify(BY_BLUE_ID))).toBe(true);
    expect(secretsMock.commandCalls(CreateSecretCommand)[0]!.args[0].input).toMatchObject({ Name: RUN_SECRET, KmsKeyId: KEY, Tags: [{ Key: "dbstack:purpose", Value: "blue-green-master-password-hand-off" }, { Key: "dbstack:instance", Value: "orders-prod" }] });
    expect(JSON.parse(secretsMock.commandCalls(CreateSecretCommand)[0]!.args[0].input.SecretString!)).toEqual({
      username: "dbadmin", password: PASSWORD, engine: "postgres", host: "orders-prod.abc.eu-west-1.rds.amazonaws.com", port: 5432, dbInstanceIdentifier: "orders-prod",
    });
    expect(secretsMock.commandCalls(DeleteSecretCommand).map((c) => c.args[0].input)).toEqual([{ SecretId: RUN_SECRET_ARN, RecoveryWindowInDays: 7 }]);
    expect(lines).toContain("note: max_replication_slots is 20 and max_logical_replication_workers 4 in parameter group orders-prod-postgres16-20261101 of orders-prod: " +
      "RDS replicates each database through its own slot and worker, so each must exceed the number of databases (SELECT count(*) FROM pg_database WHERE datallowconn), " +
      'or the deployment fails with "incompatible parameter(s)" (AWS Knowledge Center, rds-postgresql-blue-green-deployment-error)');
    expect(lines).toContain(`note: logical replication carries no UPDATE or DELETE of a table without a primary key: give every table one before the switchover (find them in each database: ${TABLES_WITHOUT_PRIMARY_KEY})`);
    expect(lines.some((l) => l.startsWith("note: the blue instance keeps its WAL until the green side has replayed it: orders-prod needs free storage"))).toBe(true);
    expect(lines).toContain(`deleting the old blue instance orders-prod-old1 with final snapshot ${SNAPSHOT}; waiting until it is gone`);
    expect(lines.at(-1)!.split("\n")).toEqual([
      "switchover completed: orders-prod runs 17.6",
      `RDS manages its master password again (${NEW_MASTER})`,
      "commit this config change:",
      '  prod: database.engineVersion: "17.6"  (was "16.8"; no database.upgrade: the instance already runs it)',
      '  prod: database.originalMajorVersion: "16"  (the parameter group of 17 carries its family in its name)',
      "  the next plan replaces dbstack's parameter group with its postgres17 group (created before the instance moves to it); the instance itself is modified in place to use it, " +
        "after which orders-prod-bg-postgres17 can be deleted if you made it for this run",
      `  then: npm run deploy -- prod  (the instance's resource id changed (was ${BLUE}, now ${GREEN}): the rds-db:connect grants downstream follow it)`,
      `  the master secret's ARN changed (RDS created a new managed secret, ${NEW_MASTER}): the same deploy updates what reads it — the setup and rotation functions' permissions, ` +
        "RDS Proxy's auth entry for the master user, the master_secret_arn output — and, where prod schedules rotation, replaces the master secret's rotation schedule " +
        "(aws_secretsmanager_secret_rotation: a new secret_id forces replacement)",
      `  the old blue instance orders-prod-old1 was deleted; its final snapshot is ${SNAPSHOT} (delete it when you no longer need it)`,
    ]);
    expectPasswordNowhere();
  });

  it("--keep-old-instance deletes nothing and says loudly that the old instance must go before the next plan, with the commands", async () => {
    rdsWalksTheUpgrade();
    expect(await major("--keep-old-instance")).toBe(EXIT.ok);
    expect(rdsMock.commandCalls(DeleteBlueGreenDeploymentCommand)).toHaveLength(0);
    expect(rdsMock.commandCalls(DeleteDBInstanceCommand)).toHaveLength(0);
    expect(rdsMock.commandCalls(ModifyDBInstanceCommand)).toHaveLength(2);
    const printed = lines.at(-1)!.split("\n");
    expect(printed.slice(-5)).toEqual([
      `  !!! the old blue instance orders-prod-old1 (resource id ${BLUE}) still exists: delete it BEFORE the next plan, or Terraform, which tracks the instance by that resource id, renames it back to orders-prod:`,
      `      aws rds delete-blue-green-deployment --blue-green-deployment-identifier ${BGD}`,
      "      aws rds modify-db-instance --db-instance-identifier orders-prod-old1 --no-deletion-protection --apply-immediately",
      `      aws rds delete-db-instance --db-instance-identifier orders-prod-old1 --final-db-snapshot-identifier ${SNAPSHOT}`,
      "      aws rds wait db-instance-deleted --db-instance-identifier orders-prod-old1",
    ]);
  });

  it("fails (exit 5) with state and next when RDS refuses to delete the old blue, never touching the instance that holds the identifier", async () => {
    rdsWalksTheUpgrade();
    rdsMock.on(DeleteDBInstanceCommand).rejects(Object.assign(new Error("Cannot delete DB instance orders-prod-old1: a snapshot named orders-prod-before-17-6-20261207 already exists"), { name: "DBSnapshotAlreadyExists" }));
    expect(await major()).toBe(EXIT.aws);
    const message = lines.at(-1)!.split("\n");
    expect(message.slice(0, 3)).toEqual([
      `error: DeleteDBInstance failed: DBSnapshotAlreadyExists: Cannot delete DB instance orders-prod-old1: a snapshot named ${SNAPSHOT} already exists`,
      `state: the switchover completed: orders-prod is the green instance on 17.6, RDS manages its master password again (${NEW_MASTER}); the old blue instance orders-prod-old1 ` +
        `(resource id ${BLUE}) still exists: Terraform tracks the instance by that resource id, so the next plan would rename it back to orders-prod`,
      "next: fix the cause, then finish by hand before any plan: aws rds modify-db-instance --db-instance-identifier orders-prod-old1 --no-deletion-protection --apply-immediately && " +
        `aws rds delete-db-instance --db-instance-identifier orders-prod-old1 --final-db-snapshot-identifier ${SNAPSHOT} && aws rds wait db-instance-deleted --db-instance-identifier orders-prod-old1; then commit this config change:`,
    ]);
    expect(message[3]).toBe('  prod: database.engineVersion: "17.6"  (was "16.8"; no database.upgrade: the instance already runs it)');
    expect(rdsMock.commandCalls(DeleteDBInstanceCommand).map((c) => c.args[0].input.DBInstanceIdentifier)).toEqual(["orders-prod-old1"]);
    expectPasswordNowhere();
  });

  it("a refused hand-back keeps the password handed off, deletes nothing, and says the old instance must go before the next plan", async () => {
    rdsWalksTheUpgrade();
    rdsMock.on(ModifyDBInstanceCommand).resolvesOnce({}).rejects(Object.assign(new Error("The DB instance is not in the available state"), { name: "InvalidDBInstanceState" }));
    expect(await major()).toBe(EXIT.aws);
    const message = lines.at(-1)!.split("\n");
    expect(message.slice(0, 3)).toEqual([
      "error: ModifyDBInstance failed: InvalidDBInstanceState: The DB instance is not in the available state",
      `state: the switchover completed: orders-prod is the green instance on 17.6; its master password is self-managed (not RDS-managed) and held in secret ${RUN_SECRET}; ` +
        "the old blue instance RDS renamed knows that password too",
      `next: give management back to RDS: npm run blue-green -- prod --hand-back-only --outputs ${outputs} --region eu-west-1; it prints what the next deploy changes, but not this config change to commit:`,
    ]);
    expect(message.slice(-5, -4)[0]).toMatch(/^ {2}!!! the old blue instance orders-prod-old1 \(resource id db-BLUE\w+\) still exists: delete it BEFORE the next plan/);
    expect(rdsMock.commandCalls(DeleteBlueGreenDeploymentCommand)).toHaveLength(0);
    expect(secretsMock.commandCalls(DeleteSecretCommand)).toHaveLength(0);
    expectPasswordNowhere();
  });

  it("deletes nothing when the identifier still has the old resource id after the switchover", async () => {
    rdsWalksTheUpgrade();
    // GIVEN RDS reports the switchover completed, but orders-prod is still the instance with the blue's resource id
    rdsMock.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: "orders-prod" }).resolvesOnce(instances(instance())).resolvesOnce(instances(instance({ MasterUserSecret: undefined })))
      .resolves(instances(instance({ EngineVersion: "17.6", MasterUserSecret: { SecretArn: NEW_MASTER, SecretStatus: "active", KmsKeyId: KEY } })));
    expect(await major()).toBe(EXIT.aws);
    expect(lines.at(-1)).toMatch(new RegExp(`^error: orders-prod still has resource id ${BLUE}: the switchover did not move the identifier, so nothing is deleted\\nstate: `));
    expect(rdsMock.commandCalls(DeleteBlueGreenDeploymentCommand)).toHaveLength(0);
    expect(rdsMock.commandCalls(DeleteDBInstanceCommand)).toHaveLength(0);
  });

  it("--dry-run lists every call, the retirement of the old blue included, and makes none of them", async () => {
    rdsWalksTheUpgrade();
    expect(await major("--dry-run", "--output", "json")).toBe(EXIT.ok);
    const calls = JSON.parse(lines[0]!).calls as { call: string; input?: Record<string, unknown> }[];
    expect(calls.map((c) => c.call)).toEqual([
      "GetRandomPassword", "CreateSecret", "ModifyDBInstance", "wait: DescribeDBInstances until orders-prod is available without MasterUserSecret",
      "CreateBlueGreenDeployment", "wait: DescribeBlueGreenDeployments until AVAILABLE", "SwitchoverBlueGreenDeployment", "wait: DescribeBlueGreenDeployments until SWITCHOVER_COMPLETED",
      "ModifyDBInstance", "wait: DescribeDBInstances until orders-prod's MasterUserSecret is active", "DeleteSecret",
      "DeleteBlueGreenDeployment", "wait: DescribeBlueGreenDeployments until the deployment is gone", "DescribeDBInstances", "ModifyDBInstance", "DeleteDBInstance",
      `wait: DescribeDBInstances (dbi-resource-id ${BLUE}) until it finds nothing`,
    ]);
    expect(calls[2]!.input).toEqual({ DBInstanceIdentifier: "orders-prod", ManageMasterUserPassword: false, MasterUserPassword: "<the password from GetRandomPassword; never printed>", ApplyImmediately: true });
    expect(calls[13]!.input).toEqual(BY_BLUE_ID);
    expect(calls[15]!.input).toEqual({ DBInstanceIdentifier: `<the old blue instance, found by dbi-resource-id ${BLUE}, e.g. orders-prod-old1>`, SkipFinalSnapshot: false, FinalDBSnapshotIdentifier: SNAPSHOT });
    expect(sequence()).toEqual(["rds:DescribeDBInstances", "sm:DescribeSecret", "rds:DescribeDBParameters", "rds:DescribeDBParameters", "rds:DescribeDBParameterGroups", "rds:DescribeBlueGreenDeployments"]);
  });

  it("a MySQL minor upgrade checks no PostgreSQL parameters, reports read replicas, and --hand-back-only works on the instance", async () => {
    outputs = outputsFile("mysql");
    rdsMock.on(DescribeDBInstancesCommand).resolves(instances(instance({ Engine: "mysql", EngineVersion: "8.4.3", ReadReplicaDBInstanceIdentifiers: ["orders-prod-reporting"] })));
    expect(await run(["prod", "--to", "8.4.7", "--release-managed-master-password", "--dry-run"])).toBe(EXIT.ok);
    expect(lines[0]).toBe("note: instance orders-prod has read replicas dbstack did not create (orders-prod-reporting): the deployment copies them as replicas of the green instance; " +
      "the old ones stay, renamed by RDS, and are not deleted by this script (deleting the old blue promotes them to standalone instances)");
    expect(rdsMock.commandCalls(DescribeDBParametersCommand)).toHaveLength(0);
    lines = [];
    secretsMock.on(DescribeSecretCommand).resolves({ ARN: RUN_SECRET_ARN, Name: RUN_SECRET, KmsKeyId: KEY });
    rdsMock.on(DescribeDBInstancesCommand).resolves(instances(instance({ Engine: "mysql", MasterUserSecret: undefined })));
    expect(await run(["prod", "--hand-back-only", "--dry-run"])).toBe(EXIT.ok);
    expect(lines.at(-1)!.split("\n").slice(1)).toEqual([
      `  ModifyDBInstance {"DBInstanceIdentifier":"orders-prod","ManageMasterUserPassword":true,"MasterUserSecretKmsKeyId":"${KEY}","ApplyImmediately":true}`,
      "  wait: DescribeDBInstances until orders-prod's MasterUserSecret is active",
      `  DeleteSecret {"SecretId":"${RUN_SECRET_ARN}","RecoveryWindowInDays":7}`,
    ]);
  });

  describe("refuses up front what RDS would refuse, creating nothing", () => {
    const refusal = async (args: string[], describe: DBInstance, parameters: Parameter[] = READY) => {
      rdsMock.on(DescribeDBInstancesCommand).resolves(instances(describe));
      rdsMock.on(DescribeDBParametersCommand).resolves({ Parameters: parameters });
      expect(await run(["prod", "--release-managed-master-password", ...args])).toBe(EXIT.usage);
      expect(rdsMock.commandCalls(ModifyDBInstanceCommand)).toHaveLength(0);
      expect(rdsMock.commandCalls(CreateBlueGreenDeploymentCommand)).toHaveLength(0);
      return lines.at(-1);
    };
    const TO_17 = ["--to", "17.6", "--target-parameter-group", "orders-prod-bg-postgres17"];

    it("fails without automated backups (MySQL: the binary log needs them)", async () => {
      outputs = outputsFile("mysql");
      expect(await refusal(["--to", "8.4.7"], instance({ Engine: "mysql", EngineVersion: "8.4.3", BackupRetentionPeriod: 0 }))).toBe(
        "error: instance orders-prod has no automated backups, which a blue/green deployment needs (BackupRetentionPeriod 0; RDS User Guide, Preparing for a blue/green deployment: " +
        "RDS for MySQL replicates through the binary log, which needs them): set database.backupRetentionDays and deploy first");
    });

    it("fails on the version it already runs, and on a major upgrade without --target-parameter-group", async () => {
      expect(await refusal(["--to", "16.8"], instance())).toBe("error: instance orders-prod already runs 16.8: nothing to do");
      outputs = outputsFile("mysql");
      expect(await refusal(["--to", "8.4.7"], instance({ Engine: "mysql", EngineVersion: "8.0.40" }))).toBe(
        "error: 8.0.40 -> 8.4.7 is a major upgrade: name the green instance's DB parameter group of the target family mysql8.4 (--target-parameter-group)");
    });

    it("fails on a --target-parameter-group RDS does not have, or of another family, before the password is handed off", async () => {
      rdsMock.on(DescribeDBParameterGroupsCommand, { DBParameterGroupName: "orders-prod-typo" })
        .rejects(Object.assign(new Error("DBParameterGroup not found: orders-prod-typo"), { name: "DBParameterGroupNotFoundFault" }));
      expect(await refusal(["--to", "17.6", "--target-parameter-group", "orders-prod-typo"], instance())).toBe(
        "error: --target-parameter-group orders-prod-typo: no DB parameter group of that name in this account and region; create it with family postgres17 first");
      rdsMock.on(DescribeDBParameterGroupsCommand, { DBParameterGroupName: GROUP }).resolves({ DBParameterGroups: [{ DBParameterGroupName: GROUP, DBParameterGroupFamily: "postgres16" }] });
      expect(await refusal(["--to", "17.6", "--target-parameter-group", GROUP], instance())).toBe(
        `error: --target-parameter-group ${GROUP}: a DB parameter group of family postgres16, but the green side runs 17.6, which needs family postgres17`);
      // A minor upgrade keeps the family: the source's own group is accepted, and any other error is AWS's (exit 5).
      outputs = outputsFile("mysql");
      rdsMock.on(DescribeDBInstancesCommand).resolves(instances(instance({ Engine: "mysql", EngineVersion: "8.4.3" })));
      rdsMock.on(DescribeDBParameterGroupsCommand, { DBParameterGroupName: "orders-prod-mysql84" }).resolves({ DBParameterGroups: [{ DBParameterGroupFamily: "mysql8.4" }] });
      expect(await run(["prod", "--to", "8.4.7", "--release-managed-master-password", "--target-parameter-group", "orders-prod-mysql84", "--dry-run"])).toBe(EXIT.ok);
      rdsMock.on(DescribeDBParameterGroupsCommand, { DBParameterGroupName: "orders-prod-mysql84" }).rejects(Object.assign(new Error("not authorized"), { name: "AccessDenied" }));
      expect(await run(["prod", "--to", "8.4.7", "--release-managed-master-password", "--target-parameter-group", "orders-prod-mysql84"])).toBe(EXIT.aws);
      expect(lines.at(-1)).toBe("error: DescribeDBParameterGroups failed: AccessDenied: not authorized");
      expect(secretsMock.commandCalls(CreateSecretCommand)).toHaveLength(0);
    });

    it("fails on the Aurora flags, naming the instance's flag", async () => {
      expect(await refusal(["--to", "17.6", "--target-cluster-parameter-group", "g1", "--target-instance-parameter-group", "g2"], instance())).toBe(
        "error: the database of prod is an RDS instance: drop --target-cluster-parameter-group (Aurora only; for an RDS instance use --target-parameter-group), " +
        "--target-instance-parameter-group (Aurora only; for an RDS instance use --target-parameter-group)");
    });

    it("fails on a PostgreSQL major upgrade from a source minor AWS does not allow", async () => {
      expect(await refusal(TO_17, instance({ EngineVersion: "14.8" }))).toBe(
        "error: instance orders-prod runs PostgreSQL 14.8, from which RDS does not run a blue/green major upgrade: the source must be on 16.1+, 15.4+, 14.9+, 13.12+, 12.16+, 11.21+ " +
        "(RDS User Guide, PostgreSQL replication methods for blue/green deployments); upgrade its minor first (database.engineVersion, or this script with a minor --to), then rerun");
    });

    it("fails on rds.logical_replication off, naming the parameter, its value, what is required and that it is static", async () => {
      expect(await refusal(TO_17, instance(), [parameter("rds.logical_replication", "0"), ...READY.slice(1)])).toBe(
        `error: rds.logical_replication is 0 in parameter group ${GROUP} of orders-prod; a PostgreSQL major upgrade through blue/green replicates logically and needs 1 ` +
        "(RDS User Guide, Creating a blue/green deployment: Preparing an RDS for PostgreSQL DB instance); it is static: reboot the instance after the change, before this script " +
        "(aws rds reboot-db-instance --db-instance-identifier orders-prod)");
    });

    it("fails on too few worker processes and WAL senders for logical replication", async () => {
      const message = await refusal(TO_17, instance(), [READY[0]!, parameter("max_replication_slots", "20"), parameter("max_wal_senders", "10"),
        parameter("max_logical_replication_workers", "8"), parameter("max_worker_processes", "8")]);
      expect(message!.split("\n")).toEqual([
        `error: max_worker_processes is 8 in parameter group ${GROUP} of orders-prod; it must be more than max_logical_replication_workers (8), which take their workers from it ` +
          "(PostgreSQL, Logical replication: configuration settings); it is static: reboot the instance after the change, before this script (aws rds reboot-db-instance --db-instance-identifier orders-prod)",
        `max_wal_senders is 10 in parameter group ${GROUP} of orders-prod; it must be at least max_replication_slots (20) (PostgreSQL, Logical replication: configuration settings); ` +
          "it is static: reboot the instance after the change, before this script (aws rds reboot-db-instance --db-instance-identifier orders-prod)",
      ]);
    });

    it("fails while the parameter group waits for a reboot", async () => {
      expect(await refusal(TO_17, instance({ DBParameterGroups: [{ DBParameterGroupName: GROUP, ParameterApplyStatus: "pending-reboot" }] }))).toBe(
        `error: parameter group ${GROUP} has changes that wait for a reboot of orders-prod (ParameterApplyStatus pending-reboot): static parameters such as rds.logical_replication ` +
        "take effect only then; reboot first (aws rds reboot-db-instance --db-instance-identifier orders-prod), then rerun");
      expect(rdsMock.commandCalls(DescribeDBParametersCommand)).toHaveLength(0);
    });
  });
});

describe("the old blue's final snapshot name", () => {
  it("is a valid DB snapshot identifier: starts with a letter, letters, digits and single hyphens, not ending in one, at most 255", () => {
    const day = new Date("2026-12-07T09:00:00Z");
    expect(finalSnapshotName("orders-prod", "17.6", day)).toBe("orders-prod-before-17-6-20261207");
    expect(finalSnapshotName("orders-prod", "8.4.7", day)).toBe("orders-prod-before-8-4-7-20261207");
    const long = finalSnapshotName(`a${"-b".repeat(150)}`, "17.6", day);
    expect(long.length).toBeLessThanOrEqual(255);
    expect(long).toMatch(/^[A-Za-z](?:-?[A-Za-z0-9])*$/);
  });
});
