import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { mockClient } from "aws-sdk-client-mock";
import {
  CreateBlueGreenDeploymentCommand, DescribeBlueGreenDeploymentsCommand, DescribeDBClustersCommand, ModifyDBClusterCommand, RDSClient,
  SwitchoverBlueGreenDeploymentCommand, type BlueGreenDeployment, type DBCluster,
} from "@aws-sdk/client-rds";
import {
  CreateSecretCommand, DeleteSecretCommand, DescribeSecretCommand, GetRandomPasswordCommand, GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { EXIT, runScript } from "../../../scripts/lib/cli.ts";
import { runBlueGreenCommand, type WaitClock } from "../../../scripts/lib/deploy/blue-green.ts";
import { motoAvailable, startMoto } from "../../support/moto.ts";

const ARN = "arn:aws:rds:eu-west-1:333333333333:cluster:orders-prod";
const BGD = "bgd-0a1b2c3d4e5f6g7h";
/** The waits read the deployment by its identifier. */
const BY_ID = { BlueGreenDeploymentIdentifier: BGD };
const KEY = "arn:aws:kms:eu-west-1:333333333333:key/1111aaaa-2222-bbbb-3333-cccc4444dddd";
const OLD_MASTER = "arn:aws:secretsmanager:eu-west-1:333333333333:secret:rds!cluster-old-AbCdEf";
const NEW_MASTER = "arn:aws:secretsmanager:eu-west-1:333333333333:secret:rds!cluster-new-GhIjKl";
const RUN_SECRET = "orders-prod-blue-green-master";
const RUN_SECRET_ARN = `arn:aws:secretsmanager:eu-west-1:333333333333:secret:${RUN_SECRET}-XyZ123`;
/** What GetRandomPassword returns: it must never show up in anything the script prints or throws. */
const PASSWORD = "Qx7%kP2!mZ9#rT4&wL8+vB3=nC6?hJ1^";

/** A dbstack cluster as DescribeDBClusters returns it, by default with its RDS-managed master secret. */
const cluster = (overrides: Partial<DBCluster> = {}): DBCluster => ({
  DBClusterIdentifier: "orders-prod", DBClusterArn: ARN, Engine: "aurora-postgresql", EngineVersion: "16.8", BackupRetentionPeriod: 35, Status: "available",
  MasterUsername: "dbadmin", Endpoint: "orders-prod.cluster-abc.eu-west-1.rds.amazonaws.com", Port: 5432,
  MasterUserSecret: { SecretArn: OLD_MASTER, SecretStatus: "active", KmsKeyId: KEY }, ...overrides,
});
/** The same cluster once the hand-off has been applied: no MasterUserSecret. */
const selfManaged = (overrides: Partial<DBCluster> = {}) => cluster({ MasterUserSecret: undefined, ...overrides });
const clusters = (c: DBCluster) => ({ DBClusters: [c] });

const deployment = (Status: string, extra: Partial<BlueGreenDeployment> = {}) => ({
  BlueGreenDeployments: [{ BlueGreenDeploymentIdentifier: BGD, BlueGreenDeploymentName: "orders-prod-to-16-10", Source: ARN, Status, ...extra }],
});
const single = (Status: string) => ({ BlueGreenDeployment: deployment(Status).BlueGreenDeployments[0]! });

function outputsFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), "bg-pw-")), "prod-outputs.json");
  writeFileSync(file, JSON.stringify({ "prod-database": { database_identifier: "orders-prod", database_engine: "aurora-postgresql" } }));
  return file;
}

function fakeClock(): WaitClock & { slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  return { slept, now: () => now, sleep: async (ms) => { slept.push(ms); now += ms; } };
}

const notFound = () => new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: {} });

describe("npm run blue-green with an RDS-managed master password", () => {
  const rds = new RDSClient({ region: "eu-west-1" });
  const rdsMock = mockClient(rds);
  const secrets = new SecretsManagerClient({ region: "eu-west-1" });
  const secretsMock = mockClient(secrets);
  let lines: string[];
  let clock: ReturnType<typeof fakeClock>;
  let outputs: string;
  const run = (args: string[]) => runScript(
    () => runBlueGreenCommand([...args, "--outputs", outputs, "--region", "eu-west-1"], { rds: () => rds, secrets: () => secrets, print: (line) => lines.push(line), clock }),
    (line) => lines.push(line));
  const upgrade = (...extra: string[]) => run(["prod", "--to", "16.10", "--release-managed-master-password", "--poll-seconds", "10", ...extra]);
  const handBackCommand = () => `npm run blue-green -- prod --hand-back-only --outputs ${outputs} --region eu-west-1`;

  /** Every call of both clients, in the order they were made, as "Service:Command". */
  const sequence = () => [...rdsMock.calls().map((c) => ["rds", c] as const), ...secretsMock.calls().map((c) => ["sm", c] as const)]
    .sort(([, a], [, b]) => (a as unknown as { callId: number }).callId - (b as unknown as { callId: number }).callId)
    .map(([service, c]) => `${service}:${(c.args[0] as object).constructor.name.replace(/Command$/, "")}`)
    .filter((name) => !name.endsWith(":DescribeDBClusters") && !name.endsWith(":DescribeBlueGreenDeployments"));

  /** The password must appear nowhere the operator or a log can see. */
  const expectPasswordNowhere = () => {
    const text = lines.join("\n");
    for (const form of [PASSWORD, encodeURIComponent(PASSWORD)]) expect(text).not.toContain(form);
  };

  /** RDS walking a deployment from creation to SWITCHOVER_COMPLETED. */
  const deploymentSucceeds = () => {
    rdsMock.on(CreateBlueGreenDeploymentCommand).resolves(single("PROVISIONING"));
    rdsMock.on(DescribeBlueGreenDeploymentsCommand, BY_ID).resolvesOnce(deployment("PROVISIONING")).resolvesOnce(deployment("AVAILABLE"))
      .resolvesOnce(deployment("SWITCHOVER_IN_PROGRESS")).resolves(deployment("SWITCHOVER_COMPLETED"));
    rdsMock.on(SwitchoverBlueGreenDeploymentCommand).resolves(single("SWITCHOVER_IN_PROGRESS"));
  };

  beforeEach(() => {
    rdsMock.reset();
    // No deployment left by an earlier run: the listing before CreateBlueGreenDeployment finds none.
    rdsMock.on(DescribeBlueGreenDeploymentsCommand).resolves({ BlueGreenDeployments: [] });
    secretsMock.reset();
    lines = [];
    clock = fakeClock();
    outputs = outputsFile();
    rds.destroy = () => {};
    secrets.destroy = () => {};
    secretsMock.on(GetRandomPasswordCommand).resolves({ RandomPassword: PASSWORD });
    secretsMock.on(CreateSecretCommand).resolves({ ARN: RUN_SECRET_ARN, Name: RUN_SECRET });
    secretsMock.on(DeleteSecretCommand).resolves({ ARN: RUN_SECRET_ARN, Name: RUN_SECRET });
    rdsMock.on(ModifyDBClusterCommand).resolves({ DBCluster: cluster({ Status: "modifying" }) });
  });

  it("hands the password off (stored first), runs the deployment, hands it back with the same key and schedules the run's secret for deletion", async () => {
    // GIVEN a dbstack cluster, no earlier run, and RDS applying each change after one poll
    secretsMock.on(DescribeSecretCommand).rejects(notFound());
    rdsMock.on(DescribeDBClustersCommand)
      .resolvesOnce(clusters(cluster()))                                                   // plan
      .resolvesOnce(clusters(cluster({ Status: "modifying" })))                           // hand-off applying
      .resolvesOnce(clusters(selfManaged()))                                               // hand-off applied
      .resolvesOnce(clusters(selfManaged({ EngineVersion: "16.10" })))                     // hand-back: still self-managed
      .resolvesOnce(clusters(cluster({ EngineVersion: "16.10", Status: "modifying", MasterUserSecret: { SecretArn: NEW_MASTER, SecretStatus: "creating", KmsKeyId: KEY } })))
      .resolves(clusters(cluster({ EngineVersion: "16.10", MasterUserSecret: { SecretArn: NEW_MASTER, SecretStatus: "active", KmsKeyId: KEY } })));
    deploymentSucceeds();
    // WHEN the operator gives the flag
    const code = await upgrade();
    // THEN the password is stored before the cluster uses it, and given back only after the switchover
    expect(code).toBe(EXIT.ok);
    expect(sequence()).toEqual(["sm:DescribeSecret", "sm:GetRandomPassword", "sm:CreateSecret", "rds:ModifyDBCluster", "rds:CreateBlueGreenDeployment",
      "rds:SwitchoverBlueGreenDeployment", "rds:ModifyDBCluster", "sm:DeleteSecret"]);
    expect(secretsMock.commandCalls(GetRandomPasswordCommand)[0]!.args[0].input).toEqual({ PasswordLength: 32, ExcludeCharacters: "/\"@'\\`", RequireEachIncludedType: true });
    const created = secretsMock.commandCalls(CreateSecretCommand)[0]!.args[0].input;
    expect(created).toMatchObject({ Name: RUN_SECRET, KmsKeyId: KEY, Tags: [{ Key: "dbstack:purpose", Value: "blue-green-master-password-hand-off" }, { Key: "dbstack:cluster", Value: "orders-prod" }] });
    expect(created.Description).toMatch(/^Master password of Aurora cluster orders-prod while RDS does not manage it \(npm run blue-green -- prod: 16.8 -> 16.10\)\. The hand-back schedules/);
    expect(JSON.parse(created.SecretString!)).toEqual({ username: "dbadmin", password: PASSWORD, engine: "postgres", host: "orders-prod.cluster-abc.eu-west-1.rds.amazonaws.com", port: 5432, dbClusterIdentifier: "orders-prod" });
    expect(rdsMock.commandCalls(ModifyDBClusterCommand).map((c) => c.args[0].input)).toEqual([
      { DBClusterIdentifier: "orders-prod", ManageMasterUserPassword: false, MasterUserPassword: PASSWORD, ApplyImmediately: true },
      { DBClusterIdentifier: "orders-prod", ManageMasterUserPassword: true, MasterUserSecretKmsKeyId: KEY, ApplyImmediately: true },
    ]);
    expect(secretsMock.commandCalls(DeleteSecretCommand)[0]!.args[0].input).toEqual({ SecretId: RUN_SECRET_ARN, RecoveryWindowInDays: 7 });
    expect(lines.flatMap((l) => l.split("\n"))).toEqual([
      `stored a new master password in secret ${RUN_SECRET} (KMS key ${KEY})`,
      "turned RDS management of orders-prod's master password off; waiting for RDS to apply it",
      "  orders-prod modifying, RDS-managed master secret active",
      "  orders-prod available, master password not RDS-managed",
      `created blue/green deployment ${BGD}: orders-prod 16.8 -> 16.10; waiting for the green cluster`,
      "  PROVISIONING", "  AVAILABLE", "switching over (RDS rolls back after 300 s)", "  SWITCHOVER_IN_PROGRESS", "  SWITCHOVER_COMPLETED",
      `gave orders-prod's master password back to RDS (KMS key ${KEY}); waiting for its new secret`,
      "  orders-prod modifying, RDS-managed master secret creating",
      "  orders-prod available, RDS-managed master secret active",
      `scheduled secret ${RUN_SECRET} for deletion in 7 days (the old blue cluster still has that password)`,
      "switchover completed: orders-prod runs 16.10",
      `RDS manages its master password again (${NEW_MASTER})`,
      "commit this config change:",
      '  prod: database.engineVersion: "16.10"  (was "16.8"; no database.upgrade: the cluster already runs it)',
      "  then: npm run deploy -- prod  (the cluster's resource id changed: the rds-db:connect grants downstream follow it)",
      `  the master secret's ARN changed (RDS created a new managed secret, ${NEW_MASTER}): the same deploy updates what reads it — the setup and rotation ` +
        "functions' permissions, RDS Proxy's auth entry for the master user, the master_secret_arn output — and, where prod schedules rotation, " +
        "replaces the master secret's rotation schedule (aws_secretsmanager_secret_rotation: a new secret_id forces replacement)",
      `  when satisfied: aws rds delete-blue-green-deployment --blue-green-deployment-identifier ${BGD} and delete the old cluster RDS renamed "orders-prod-old1"`,
    ]);
    expectPasswordNowhere();
    expect(clock.slept.every((ms) => ms === 10_000)).toBe(true);
  });

  it("keeps the password out of --output json", async () => {
    secretsMock.on(DescribeSecretCommand).rejects(notFound());
    rdsMock.on(DescribeDBClustersCommand).resolvesOnce(clusters(cluster())).resolvesOnce(clusters(selfManaged())).resolvesOnce(clusters(selfManaged()))
      .resolves(clusters(cluster({ EngineVersion: "16.10", MasterUserSecret: { SecretArn: NEW_MASTER, SecretStatus: "active", KmsKeyId: KEY } })));
    deploymentSucceeds();
    expect(await upgrade("--output", "json")).toBe(EXIT.ok);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ status: "SWITCHOVER_COMPLETED", masterPassword: { heldDuringRunIn: RUN_SECRET, newMasterSecretArn: NEW_MASTER, runSecretDeletionInDays: 7 } });
    expectPasswordNowhere();
  });

  it("fails after the hand-off when the switchover fails: says the blue cluster serves with a self-managed password in the run's secret, and does not hand back", async () => {
    secretsMock.on(DescribeSecretCommand).rejects(notFound());
    rdsMock.on(DescribeDBClustersCommand).resolvesOnce(clusters(cluster())).resolves(clusters(selfManaged()));
    rdsMock.on(CreateBlueGreenDeploymentCommand).resolves(single("PROVISIONING"));
    rdsMock.on(DescribeBlueGreenDeploymentsCommand, BY_ID).resolvesOnce(deployment("AVAILABLE")).resolvesOnce(deployment("SWITCHOVER_IN_PROGRESS"))
      .resolves(deployment("SWITCHOVER_FAILED", { StatusDetails: "Switchover timed out" }));
    rdsMock.on(SwitchoverBlueGreenDeploymentCommand).resolves(single("SWITCHOVER_IN_PROGRESS"));
    expect(await upgrade()).toBe(EXIT.aws);
    expect(lines.at(-1)!.split("\n")).toEqual([
      `error: blue/green deployment ${BGD} is SWITCHOVER_FAILED: Switchover timed out; RDS rolled the switchover back and the blue cluster still serves; delete the deployment and its green cluster, or retry the switchover`,
      `state: RDS rolled the switchover back: the blue cluster orders-prod still serves on 16.8; its master password is self-managed (not RDS-managed) and held in secret ${RUN_SECRET}`,
      `next: retry the switchover (aws rds switchover-blue-green-deployment --blue-green-deployment-identifier ${BGD}) then give management back to RDS: ${handBackCommand()}; ` +
        `or delete the deployment (aws rds delete-blue-green-deployment --blue-green-deployment-identifier ${BGD} --delete-target), then give management back to RDS: ${handBackCommand()}`,
    ]);
    expect(rdsMock.commandCalls(ModifyDBClusterCommand).map((c) => c.args[0].input.ManageMasterUserPassword)).toEqual([false]);
    expect(secretsMock.commandCalls(DeleteSecretCommand)).toHaveLength(0);
    expectPasswordNowhere();
  });

  it("fails after the hand-off on INVALID_CONFIGURATION: says to delete the deployment, then hand back", async () => {
    secretsMock.on(DescribeSecretCommand).rejects(notFound());
    rdsMock.on(DescribeDBClustersCommand).resolvesOnce(clusters(cluster())).resolves(clusters(selfManaged()));
    rdsMock.on(CreateBlueGreenDeploymentCommand).resolves(single("PROVISIONING"));
    rdsMock.on(DescribeBlueGreenDeploymentsCommand, BY_ID).resolves(deployment("INVALID_CONFIGURATION", { StatusDetails: "Replication lag is too high" }));
    expect(await upgrade()).toBe(EXIT.aws);
    expect(lines.at(-1)!.split("\n").slice(1)).toEqual([
      `state: the blue cluster orders-prod still serves on 16.8; its master password is self-managed (not RDS-managed) and held in secret ${RUN_SECRET}`,
      `next: delete the deployment (aws rds delete-blue-green-deployment --blue-green-deployment-identifier ${BGD} --delete-target), then give management back to RDS: ${handBackCommand()}`,
    ]);
    expect(rdsMock.commandCalls(SwitchoverBlueGreenDeploymentCommand)).toHaveLength(0);
    expect(rdsMock.commandCalls(ModifyDBClusterCommand)).toHaveLength(1);
    expect(secretsMock.commandCalls(DeleteSecretCommand)).toHaveLength(0);
    expectPasswordNowhere();
  });

  it("fails when the hand-back is refused after the switchover: says the green cluster serves with a self-managed password, and prints the config change to commit", async () => {
    secretsMock.on(DescribeSecretCommand).rejects(notFound());
    rdsMock.on(DescribeDBClustersCommand).resolvesOnce(clusters(cluster())).resolvesOnce(clusters(selfManaged())).resolves(clusters(selfManaged({ EngineVersion: "16.10" })));
    deploymentSucceeds();
    rdsMock.on(ModifyDBClusterCommand).resolvesOnce({}).rejects(Object.assign(new Error("Cluster orders-prod is not in the available state"), { name: "InvalidDBClusterStateFault" }));
    expect(await upgrade()).toBe(EXIT.aws);
    expect(lines.at(-1)!.split("\n")).toEqual([
      "error: ModifyDBCluster failed: InvalidDBClusterStateFault: Cluster orders-prod is not in the available state",
      `state: the switchover completed: orders-prod is the green cluster on 16.10; its master password is self-managed (not RDS-managed) and held in secret ${RUN_SECRET}; ` +
        "the old blue cluster RDS renamed knows that password too",
      `next: give management back to RDS: ${handBackCommand()}; it prints what the next deploy changes, but not this config change to commit:`,
      '  prod: database.engineVersion: "16.10"  (was "16.8"; no database.upgrade: the cluster already runs it)',
      "  then: npm run deploy -- prod  (the cluster's resource id changed: the rds-db:connect grants downstream follow it)",
      `  when satisfied: aws rds delete-blue-green-deployment --blue-green-deployment-identifier ${BGD} and delete the old cluster RDS renamed "orders-prod-old1"`,
    ]);
    expect(secretsMock.commandCalls(DeleteSecretCommand)).toHaveLength(0);
    expectPasswordNowhere();
  });

  it("gives up when the cluster keeps its managed secret past the timeout, creating no deployment, and says a rerun reuses the stored password", async () => {
    secretsMock.on(DescribeSecretCommand).rejects(notFound());
    rdsMock.on(DescribeDBClustersCommand).resolvesOnce(clusters(cluster())).resolves(clusters(cluster({ Status: "modifying" })));
    expect(await run(["prod", "--to", "16.10", "--release-managed-master-password", "--timeout-minutes", "1", "--poll-seconds", "30"])).toBe(EXIT.aws);
    expect(clock.slept).toEqual([30_000, 30_000]);
    expect(lines.at(-1)!.split("\n")).toEqual([
      "error: cluster orders-prod is not available without an RDS-managed master secret after 1 minutes (orders-prod modifying, RDS-managed master secret active)",
      `state: the blue cluster orders-prod still serves on 16.8; RDS may still be applying the hand-off: its master password is self-managed (not RDS-managed) and held in secret ${RUN_SECRET} (or will be once RDS has applied it)`,
      `next: rerun the same command to continue (it reuses the stored password), or give management back to RDS: ${handBackCommand()}`,
    ]);
    expect(rdsMock.commandCalls(CreateBlueGreenDeploymentCommand)).toHaveLength(0);
    expectPasswordNowhere();
  });

  it("never prints the password when an AWS error echoes it, and the error it throws holds none", async () => {
    secretsMock.on(DescribeSecretCommand).rejects(notFound());
    rdsMock.on(DescribeDBClustersCommand).resolves(clusters(cluster()));
    rdsMock.on(ModifyDBClusterCommand).rejects(Object.assign(new Error(`Invalid MasterUserPassword ${PASSWORD} (sent as MasterUserPassword=${encodeURIComponent(PASSWORD)})`), { name: "InvalidParameterValue" }));
    expect(await upgrade()).toBe(EXIT.aws);
    expect(lines.at(-1)).toMatch(/^error: ModifyDBCluster failed: InvalidParameterValue: Invalid MasterUserPassword \[redacted\] \(sent as MasterUserPassword=\[redacted\]\)\nstate: /);
    expectPasswordNowhere();
  });

  it("resumes a run that stopped after the hand-off: no new password, no second secret, and the hand-back uses the stored secret's key", async () => {
    // GIVEN the cluster no longer has RDS's secret and the run's secret exists
    secretsMock.on(DescribeSecretCommand).resolves({ ARN: RUN_SECRET_ARN, Name: RUN_SECRET, KmsKeyId: KEY });
    rdsMock.on(DescribeDBClustersCommand).resolvesOnce(clusters(selfManaged())).resolvesOnce(clusters(selfManaged({ EngineVersion: "16.10" })))
      .resolves(clusters(cluster({ EngineVersion: "16.10", MasterUserSecret: { SecretArn: NEW_MASTER, SecretStatus: "active", KmsKeyId: KEY } })));
    deploymentSucceeds();
    expect(await upgrade()).toBe(EXIT.ok);
    expect(sequence()).toEqual(["sm:DescribeSecret", "rds:CreateBlueGreenDeployment", "rds:SwitchoverBlueGreenDeployment", "rds:ModifyDBCluster", "sm:DeleteSecret"]);
    expect(lines[0]).toBe(`resuming: orders-prod's master password is already handed off, held in secret ${RUN_SECRET}`);
    expect(rdsMock.commandCalls(ModifyDBClusterCommand)[0]!.args[0].input).toEqual({ DBClusterIdentifier: "orders-prod", ManageMasterUserPassword: true, MasterUserSecretKmsKeyId: KEY, ApplyImmediately: true });
  });

  it("times out while the green side builds, says a rerun continues, and the rerun finishes that deployment with the stored password", async () => {
    // GIVEN a first run that hands off and then gives up waiting
    secretsMock.on(DescribeSecretCommand).rejects(notFound());
    rdsMock.on(DescribeDBClustersCommand).resolvesOnce(clusters(cluster())).resolves(clusters(selfManaged()));
    rdsMock.on(CreateBlueGreenDeploymentCommand).resolves(single("PROVISIONING"));
    rdsMock.on(DescribeBlueGreenDeploymentsCommand, BY_ID).resolves(deployment("PROVISIONING"));
    expect(await upgrade("--timeout-minutes", "1")).toBe(EXIT.aws);
    expect(lines.at(-1)!.split("\n").slice(1)).toEqual([
      `state: the blue cluster orders-prod still serves on 16.8; its master password is self-managed (not RDS-managed) and held in secret ${RUN_SECRET}`,
      `next: rerun the same command to continue deployment ${BGD} (with a longer --timeout-minutes), or delete it ` +
        `(aws rds delete-blue-green-deployment --blue-green-deployment-identifier ${BGD} --delete-target), then give management back to RDS: ${handBackCommand()}`,
    ]);
    // WHEN it is rerun with RDS's listing showing that deployment and the run's secret stored
    rdsMock.reset();
    secretsMock.reset();
    lines = [];
    rdsMock.on(DescribeBlueGreenDeploymentsCommand).resolves(deployment("PROVISIONING"));
    secretsMock.on(DescribeSecretCommand).resolves({ ARN: RUN_SECRET_ARN, Name: RUN_SECRET, KmsKeyId: KEY });
    secretsMock.on(DeleteSecretCommand).resolves({});
    rdsMock.on(DescribeDBClustersCommand).resolvesOnce(clusters(selfManaged())).resolvesOnce(clusters(selfManaged({ EngineVersion: "16.10" })))
      .resolves(clusters(cluster({ EngineVersion: "16.10", MasterUserSecret: { SecretArn: NEW_MASTER, SecretStatus: "active", KmsKeyId: KEY } })));
    rdsMock.on(DescribeBlueGreenDeploymentsCommand, BY_ID).resolvesOnce(deployment("AVAILABLE")).resolvesOnce(deployment("SWITCHOVER_IN_PROGRESS"))
      .resolves(deployment("SWITCHOVER_COMPLETED"));
    rdsMock.on(SwitchoverBlueGreenDeploymentCommand).resolves(single("SWITCHOVER_IN_PROGRESS"));
    rdsMock.on(ModifyDBClusterCommand).resolves({});
    // THEN it continues that deployment: no new password, no second deployment, and hands back
    expect(await upgrade()).toBe(EXIT.ok);
    expect(sequence()).toEqual(["sm:DescribeSecret", "rds:SwitchoverBlueGreenDeployment", "rds:ModifyDBCluster", "sm:DeleteSecret"]);
    expect(lines.slice(0, 3)).toEqual([
      `note: blue/green deployment ${BGD} (orders-prod-to-16-10) is already PROVISIONING, left by an earlier run: this run continues it instead of creating one`,
      `resuming: orders-prod's master password is already handed off, held in secret ${RUN_SECRET}`,
      `continuing blue/green deployment ${BGD} (PROVISIONING): orders-prod 16.8 -> 16.10`,
    ]);
    expectPasswordNowhere();
  });

  it("resumes a run that stored its password but did not get the cluster to use it: the stored password, not a new one", async () => {
    secretsMock.on(DescribeSecretCommand).resolves({ ARN: RUN_SECRET_ARN, Name: RUN_SECRET, KmsKeyId: KEY });
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ username: "dbadmin", password: PASSWORD }) });
    rdsMock.on(DescribeDBClustersCommand).resolvesOnce(clusters(cluster())).resolvesOnce(clusters(selfManaged())).resolvesOnce(clusters(selfManaged()))
      .resolves(clusters(cluster({ EngineVersion: "16.10", MasterUserSecret: { SecretArn: NEW_MASTER, SecretStatus: "active", KmsKeyId: KEY } })));
    deploymentSucceeds();
    expect(await upgrade()).toBe(EXIT.ok);
    expect(secretsMock.commandCalls(GetRandomPasswordCommand)).toHaveLength(0);
    expect(secretsMock.commandCalls(CreateSecretCommand)).toHaveLength(0);
    expect(rdsMock.commandCalls(ModifyDBClusterCommand)[0]!.args[0].input).toEqual({ DBClusterIdentifier: "orders-prod", ManageMasterUserPassword: false, MasterUserPassword: PASSWORD, ApplyImmediately: true });
    expect(lines[0]).toBe(`reusing the password an earlier run stored in secret ${RUN_SECRET}`);
    expectPasswordNowhere();
  });

  it("refuses a handed-off cluster without the flag, and one already on the target that still holds the password, pointing to --hand-back-only", async () => {
    secretsMock.on(DescribeSecretCommand).resolves({ ARN: RUN_SECRET_ARN, Name: RUN_SECRET, KmsKeyId: KEY });
    rdsMock.on(DescribeDBClustersCommand).resolves(clusters(selfManaged()));
    expect(await run(["prod", "--to", "16.10"])).toBe(EXIT.usage);
    expect(lines.at(-1)).toBe(`error: cluster orders-prod's master password was handed off by an earlier run and is held in secret ${RUN_SECRET}: ` +
      `rerun with --release-managed-master-password to continue (the stored password is kept), or give it back with ${handBackCommand()}`);
    rdsMock.on(DescribeDBClustersCommand).resolves(clusters(selfManaged({ EngineVersion: "16.10" })));
    expect(await upgrade()).toBe(EXIT.usage);
    expect(lines.at(-1)).toBe(`error: cluster orders-prod already runs 16.10, and its master password is still self-managed, held in secret ${RUN_SECRET} by an earlier run: ` +
      `give it back to RDS with ${handBackCommand()}`);
    expect(rdsMock.commandCalls(ModifyDBClusterCommand)).toHaveLength(0);
  });

  it("refuses while an earlier run's secret is scheduled for deletion (CreateSecret would fail on its name)", async () => {
    secretsMock.on(DescribeSecretCommand).resolves({ ARN: RUN_SECRET_ARN, Name: RUN_SECRET, KmsKeyId: KEY, DeletedDate: new Date("2026-12-10T00:00:00Z") });
    rdsMock.on(DescribeDBClustersCommand).resolves(clusters(cluster()));
    expect(await upgrade()).toBe(EXIT.usage);
    expect(lines.at(-1)).toBe(`error: secret ${RUN_SECRET} of an earlier run is scheduled for deletion on 2026-12-10; it holds the password of that run's old blue cluster. ` +
      `Once that cluster is deleted, delete the secret for good (aws secretsmanager delete-secret --secret-id ${RUN_SECRET} --force-delete-without-recovery) and rerun`);
    expect(secretsMock.commandCalls(CreateSecretCommand)).toHaveLength(0);
  });

  it("--dry-run lists every call in order, with a placeholder for the password, and makes none of them", async () => {
    secretsMock.on(DescribeSecretCommand).rejects(notFound());
    rdsMock.on(DescribeDBClustersCommand).resolves(clusters(cluster()));
    expect(await upgrade("--dry-run", "--output", "json")).toBe(EXIT.ok);
    const calls = JSON.parse(lines[0]!).calls as { call: string; input?: Record<string, unknown> }[];
    expect(calls.map((c) => c.call)).toEqual(["GetRandomPassword", "CreateSecret", "ModifyDBCluster", "wait: DescribeDBClusters until orders-prod is available without MasterUserSecret",
      "CreateBlueGreenDeployment", "wait: DescribeBlueGreenDeployments until AVAILABLE", "SwitchoverBlueGreenDeployment", "wait: DescribeBlueGreenDeployments until SWITCHOVER_COMPLETED",
      "ModifyDBCluster", "wait: DescribeDBClusters until orders-prod's MasterUserSecret is active", "DeleteSecret"]);
    expect(calls[2]!.input).toEqual({ DBClusterIdentifier: "orders-prod", ManageMasterUserPassword: false, MasterUserPassword: "<the password from GetRandomPassword; never printed>", ApplyImmediately: true });
    expect(calls[8]!.input).toEqual({ DBClusterIdentifier: "orders-prod", ManageMasterUserPassword: true, MasterUserSecretKmsKeyId: KEY, ApplyImmediately: true });
    expect(calls[10]!.input).toEqual({ SecretId: RUN_SECRET, RecoveryWindowInDays: 7 });
    expect(sequence()).toEqual(["sm:DescribeSecret"]);
  });
});

describe("npm run blue-green --hand-back-only", () => {
  const rds = new RDSClient({ region: "eu-west-1" });
  const rdsMock = mockClient(rds);
  const secrets = new SecretsManagerClient({ region: "eu-west-1" });
  const secretsMock = mockClient(secrets);
  let lines: string[];
  const run = (...extra: string[]) => runScript(
    () => runBlueGreenCommand(["prod", "--hand-back-only", "--outputs", outputsFile(), "--region", "eu-west-1", "--poll-seconds", "10", ...extra],
      { rds: () => rds, secrets: () => secrets, print: (line) => lines.push(line), clock: fakeClock() }),
    (line) => lines.push(line));

  beforeEach(() => {
    rdsMock.reset();
    // No deployment left by an earlier run: the listing before CreateBlueGreenDeployment finds none.
    rdsMock.on(DescribeBlueGreenDeploymentsCommand).resolves({ BlueGreenDeployments: [] });
    secretsMock.reset();
    lines = [];
    rds.destroy = () => {};
    secrets.destroy = () => {};
    rdsMock.on(ModifyDBClusterCommand).resolves({});
    secretsMock.on(DeleteSecretCommand).resolves({});
  });

  it("gives the password back to RDS with the run's secret's key, waits for the new secret, then schedules the run's secret for deletion", async () => {
    secretsMock.on(DescribeSecretCommand).resolves({ ARN: RUN_SECRET_ARN, Name: RUN_SECRET, KmsKeyId: KEY });
    rdsMock.on(DescribeDBClustersCommand).resolvesOnce(clusters(selfManaged())).resolvesOnce(clusters(selfManaged()))
      .resolvesOnce(clusters(cluster({ Status: "modifying", MasterUserSecret: { SecretArn: NEW_MASTER, SecretStatus: "creating", KmsKeyId: KEY } })))
      .resolves(clusters(cluster({ MasterUserSecret: { SecretArn: NEW_MASTER, SecretStatus: "active", KmsKeyId: KEY } })));
    expect(await run()).toBe(EXIT.ok);
    expect(rdsMock.commandCalls(ModifyDBClusterCommand).map((c) => c.args[0].input)).toEqual([{ DBClusterIdentifier: "orders-prod", ManageMasterUserPassword: true, MasterUserSecretKmsKeyId: KEY, ApplyImmediately: true }]);
    expect(secretsMock.commandCalls(DeleteSecretCommand).map((c) => c.args[0].input)).toEqual([{ SecretId: RUN_SECRET_ARN, RecoveryWindowInDays: 7 }]);
    expect(lines.at(-1)!.split("\n")[0]).toBe("RDS manages orders-prod's master password again; commit nothing, but deploy:");
    expect(lines.at(-1)).toContain(`the master secret's ARN changed (RDS created a new managed secret, ${NEW_MASTER})`);
    expect(secretsMock.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });

  it("finishes a hand-back that stopped before deleting the run's secret, without modifying the cluster again", async () => {
    secretsMock.on(DescribeSecretCommand).resolves({ ARN: RUN_SECRET_ARN, Name: RUN_SECRET, KmsKeyId: KEY });
    rdsMock.on(DescribeDBClustersCommand).resolves(clusters(cluster({ MasterUserSecret: { SecretArn: NEW_MASTER, SecretStatus: "active", KmsKeyId: KEY } })));
    expect(await run()).toBe(EXIT.ok);
    expect(rdsMock.commandCalls(ModifyDBClusterCommand)).toHaveLength(0);
    expect(secretsMock.commandCalls(DeleteSecretCommand)).toHaveLength(1);
  });

  it("has nothing to do when RDS manages the password and no run's secret exists, and refuses when neither holds it", async () => {
    secretsMock.on(DescribeSecretCommand).rejects(notFound());
    rdsMock.on(DescribeDBClustersCommand).resolves(clusters(cluster()));
    expect(await run()).toBe(EXIT.ok);
    expect(lines).toEqual([`nothing to do: RDS manages orders-prod's master password (${OLD_MASTER})`]);
    rdsMock.on(DescribeDBClustersCommand).resolves(clusters(selfManaged()));
    expect(await run()).toBe(EXIT.usage);
    expect(lines.at(-1)).toBe(`error: orders-prod's master password is not RDS-managed and there is no secret ${RUN_SECRET}: this script did not hand it off. ` +
      "Give it to RDS by hand: aws rds modify-db-cluster --db-cluster-identifier orders-prod --manage-master-user-password --master-user-secret-kms-key-id <the environment's KMS key> --apply-immediately");
    expect(rdsMock.commandCalls(ModifyDBClusterCommand)).toHaveLength(0);
  });

  it("prints its calls on --dry-run and makes none", async () => {
    secretsMock.on(DescribeSecretCommand).resolves({ ARN: RUN_SECRET_ARN, Name: RUN_SECRET, KmsKeyId: KEY });
    rdsMock.on(DescribeDBClustersCommand).resolves(clusters(selfManaged()));
    expect(await run("--dry-run")).toBe(EXIT.ok);
    expect(lines.at(-1)!.split("\n")).toEqual([
      "dry run: would make these calls in eu-west-1",
      `  ModifyDBCluster {"DBClusterIdentifier":"orders-prod","ManageMasterUserPassword":true,"MasterUserSecretKmsKeyId":"${KEY}","ApplyImmediately":true}`,
      "  wait: DescribeDBClusters until orders-prod's MasterUserSecret is active",
      `  DeleteSecret {"SecretId":"${RUN_SECRET_ARN}","RecoveryWindowInDays":7}`,
    ]);
    expect(rdsMock.commandCalls(ModifyDBClusterCommand)).toHaveLength(0);
    expect(secretsMock.commandCalls(DeleteSecretCommand)).toHaveLength(0);
  });
});

const noMoto = !motoAvailable();

// moto's RDS cannot stand in (its CreateDBCluster fails on its own automated snapshot name), so RDS stays mocked;
// Secrets Manager is the real wire: not-found detection, the stored value, the key, and DeleteSecret's recovery window.
describe.skipIf(noMoto)("the hand-off's secret on the Secrets Manager wire (moto_server)", () => {
  let moto: Awaited<ReturnType<typeof startMoto>>;
  let secrets: SecretsManagerClient;
  const rds = new RDSClient({ region: "eu-west-1" });
  const rdsMock = mockClient(rds);

  beforeAll(async () => {
    moto = await startMoto();
    secrets = new SecretsManagerClient({ region: "eu-west-1", endpoint: moto.endpoint, credentials: { accessKeyId: "AKIAEXAMPLEEXAMPLE00", secretAccessKey: "example-secret-not-real" } });
  }, 60_000);
  afterAll(async () => { secrets?.destroy(); await moto?.stop(); });

  it("stores the password before the hand-off, keeps it across a failed run, and the hand-back schedules its deletion, which a new run then respects", async () => {
    const lines: string[] = [];
    const file = outputsFile();
    const command = (...args: string[]) => runScript(() => runBlueGreenCommand(["prod", ...args, "--outputs", file, "--region", "eu-west-1", "--poll-seconds", "10"],
      { rds: () => rds, secrets: () => Object.assign(secrets, { destroy: () => {} }), print: (line) => lines.push(line), clock: fakeClock() }), (line) => lines.push(line));
    rds.destroy = () => {};
    // GIVEN a run whose deployment fails after the hand-off
    rdsMock.reset();
    // No deployment left by an earlier run: the listing before CreateBlueGreenDeployment finds none.
    rdsMock.on(DescribeBlueGreenDeploymentsCommand).resolves({ BlueGreenDeployments: [] });
    rdsMock.on(DescribeDBClustersCommand).resolvesOnce(clusters(cluster())).resolves(clusters(selfManaged()));
    rdsMock.on(ModifyDBClusterCommand).resolves({});
    rdsMock.on(CreateBlueGreenDeploymentCommand).resolves(single("PROVISIONING"));
    rdsMock.on(DescribeBlueGreenDeploymentsCommand, BY_ID).resolves(deployment("INVALID_CONFIGURATION"));
    expect(await command("--to", "16.10", "--release-managed-master-password")).toBe(EXIT.aws);
    // THEN the password the cluster got is the one stored, under the environment's key
    const password = rdsMock.commandCalls(ModifyDBClusterCommand)[0]!.args[0].input.MasterUserPassword!;
    expect(password).toMatch(/^[\x21-\x7e]{32}$/);
    expect(password).not.toMatch(/[/"@'\\`]/);
    const stored = await secrets.send(new GetSecretValueCommand({ SecretId: RUN_SECRET }));
    expect(JSON.parse(stored.SecretString!)).toMatchObject({ username: "dbadmin", password, dbClusterIdentifier: "orders-prod" });
    expect((await secrets.send(new DescribeSecretCommand({ SecretId: RUN_SECRET }))).KmsKeyId).toBe(KEY);
    // WHEN the operator hands back after deleting the deployment
    rdsMock.reset();
    // No deployment left by an earlier run: the listing before CreateBlueGreenDeployment finds none.
    rdsMock.on(DescribeBlueGreenDeploymentsCommand).resolves({ BlueGreenDeployments: [] });
    rdsMock.on(DescribeDBClustersCommand).resolvesOnce(clusters(selfManaged())).resolvesOnce(clusters(selfManaged()))
      .resolves(clusters(cluster({ MasterUserSecret: { SecretArn: NEW_MASTER, SecretStatus: "active", KmsKeyId: KEY } })));
    rdsMock.on(ModifyDBClusterCommand).resolves({});
    expect(await command("--hand-back-only")).toBe(EXIT.ok);
    expect(rdsMock.commandCalls(ModifyDBClusterCommand)[0]!.args[0].input).toMatchObject({ ManageMasterUserPassword: true, MasterUserSecretKmsKeyId: KEY });
    // THEN the run's secret is scheduled for deletion, and a new run refuses to reuse its name until it is gone
    expect((await secrets.send(new DescribeSecretCommand({ SecretId: RUN_SECRET }))).DeletedDate).toBeInstanceOf(Date);
    rdsMock.on(DescribeDBClustersCommand).resolves(clusters(cluster()));
    expect(await command("--to", "16.10", "--release-managed-master-password")).toBe(EXIT.usage);
    expect(lines.at(-1)).toMatch(new RegExp(`^error: secret ${RUN_SECRET} of an earlier run is scheduled for deletion on `));
    expect(lines.join("\n")).not.toContain(password);
  }, 60_000);
});
