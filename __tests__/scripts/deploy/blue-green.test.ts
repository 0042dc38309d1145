import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { mockClient } from "aws-sdk-client-mock";
import {
  CreateBlueGreenDeploymentCommand, DescribeBlueGreenDeploymentsCommand, DescribeDBClusterParameterGroupsCommand, DescribeDBClustersCommand,
  DescribeDBParameterGroupsCommand, RDSClient, SwitchoverBlueGreenDeploymentCommand, type BlueGreenDeployment,
} from "@aws-sdk/client-rds";
import { DescribeSecretCommand, ResourceNotFoundException, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { EXIT, ScriptError, runScript } from "../../../scripts/lib/cli.ts";
import { databaseFromOutputs, handBackCommand, parseBlueGreenArgs, runBlueGreenCommand, type HandBackOptions, type WaitClock } from "../../../scripts/lib/deploy/blue-green.ts";
import { familyOf } from "../../../scripts/lib/deploy/blue-green-parameter-groups.ts";

const ARN = "arn:aws:rds:eu-west-1:333333333333:cluster:orders-prod";
const BGD = "bgd-0a1b2c3d4e5f6g7h";
/** The waits read the deployment by its identifier. */
const BY_ID = { BlueGreenDeploymentIdentifier: BGD };

/** A cluster as DescribeDBClusters returns it; a dbstack cluster also has MasterUserSecret. */
const cluster = (overrides: Record<string, unknown> = {}) => ({ DBClusterIdentifier: "orders-prod", DBClusterArn: ARN, EngineVersion: "16.8", BackupRetentionPeriod: 35, ...overrides });

/** What DescribeBlueGreenDeployments returns at each step, as RDS reports it. */
const deployment = (Status: string, extra: Partial<BlueGreenDeployment> = {}): { BlueGreenDeployments: BlueGreenDeployment[] } => ({
  BlueGreenDeployments: [{ BlueGreenDeploymentIdentifier: BGD, BlueGreenDeploymentName: "orders-prod-to-16-10", Source: ARN, Status, ...extra }],
});

/** What CreateBlueGreenDeployment and SwitchoverBlueGreenDeployment return. */
const single = (Status: string) => ({ BlueGreenDeployment: deployment(Status).BlueGreenDeployments[0]! });

function outputsFile(engine = "aurora-postgresql"): string {
  const dir = mkdtempSync(join(tmpdir(), "bg-"));
  const file = join(dir, "prod-outputs.json");
  writeFileSync(file, JSON.stringify({ "prod-database": { database_identifier: "orders-prod", database_engine: engine } }));
  return file;
}

/** A clock that never waits: sleeping moves time on, so timeouts are reached in microseconds. */
function fakeClock(): WaitClock & { slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  return { slept, now: () => now, sleep: async (ms) => { slept.push(ms); now += ms; } };
}

describe("npm run blue-green", () => {
  const rds = new RDSClient({ region: "eu-west-1" });
  const mock = mockClient(rds);
  const secrets = new SecretsManagerClient({ region: "eu-west-1" });
  const secretsMock = mockClient(secrets);
  let lines: string[];
  let clock: ReturnType<typeof fakeClock>;
  const run = (args: string[]) => runScript(() => runBlueGreenCommand([...args, "--region", "eu-west-1"], { rds: () => rds, secrets: () => secrets, print: (line) => lines.push(line), clock }), (line) => lines.push(line));

  beforeEach(() => {
    mock.reset();
    // No deployment left by an earlier run: the listing before CreateBlueGreenDeployment finds none.
    mock.on(DescribeBlueGreenDeploymentsCommand).resolves({ BlueGreenDeployments: [] });
    secretsMock.reset();
    // No run of this script has stored a master password (these clusters' passwords are not RDS-managed).
    secretsMock.on(DescribeSecretCommand).rejects(new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: {} }));
    lines = [];
    clock = fakeClock();
    // destroy() is called at the end; the mocked clients keep working for the next test.
    rds.destroy = () => {};
    secrets.destroy = () => {};
  });

  it("walks PROVISIONING -> AVAILABLE -> SWITCHOVER_IN_PROGRESS -> SWITCHOVER_COMPLETED, with progress, and prints the config change", async () => {
    // GIVEN a cluster on 16.8 and RDS reporting each state in turn
    mock.on(DescribeDBClustersCommand).resolves({ DBClusters: [cluster()] });
    mock.on(CreateBlueGreenDeploymentCommand).resolves(single("PROVISIONING"));
    mock.on(DescribeBlueGreenDeploymentsCommand, BY_ID)
      .resolvesOnce(deployment("PROVISIONING", { Tasks: [{ Name: "CREATING_READ_REPLICA_OF_SOURCE", Status: "IN_PROGRESS" }] }))
      .resolvesOnce(deployment("PROVISIONING", { Tasks: [{ Name: "CREATING_READ_REPLICA_OF_SOURCE", Status: "IN_PROGRESS" }] }))
      .resolvesOnce(deployment("AVAILABLE"))
      .resolvesOnce(deployment("SWITCHOVER_IN_PROGRESS"))
      .resolvesOnce(deployment("SWITCHOVER_COMPLETED"));
    mock.on(SwitchoverBlueGreenDeploymentCommand).resolves(single("SWITCHOVER_IN_PROGRESS"));
    // WHEN the script runs
    const code = await run(["prod", "--to", "16.10", "--outputs", outputsFile(), "--poll-seconds", "5"]);
    // THEN it created, waited, switched over once and printed what to commit
    expect(code).toBe(EXIT.ok);
    expect(mock.commandCalls(CreateBlueGreenDeploymentCommand)[0]!.args[0].input).toEqual({
      BlueGreenDeploymentName: "orders-prod-to-16-10", Source: ARN, TargetEngineVersion: "16.10",
    });
    expect(mock.commandCalls(SwitchoverBlueGreenDeploymentCommand).map((c) => c.args[0].input)).toEqual([{ BlueGreenDeploymentIdentifier: BGD, SwitchoverTimeout: 300 }]);
    expect(lines.flatMap((l) => l.split("\n"))).toEqual([
      `created blue/green deployment ${BGD}: orders-prod 16.8 -> 16.10; waiting for the green cluster`,
      "  PROVISIONING — CREATING_READ_REPLICA_OF_SOURCE IN_PROGRESS",
      "  AVAILABLE",
      "switching over (RDS rolls back after 300 s)",
      "  SWITCHOVER_IN_PROGRESS",
      "  SWITCHOVER_COMPLETED",
      "switchover completed: orders-prod runs 16.10",
      "commit this config change:",
      '  prod: database.engineVersion: "16.10"  (was "16.8"; no database.upgrade: the cluster already runs it)',
      "  then: npm run deploy -- prod  (the cluster's resource id changed: the rds-db:connect grants downstream follow it)",
      `  when satisfied: aws rds delete-blue-green-deployment --blue-green-deployment-identifier ${BGD} and delete the old cluster RDS renamed "orders-prod-old1"`,
    ]);
    expect(clock.slept).toEqual([5000, 5000, 5000]);
  });

  it("fails with the AWS exit code when the green side is INVALID_CONFIGURATION, and never switches over", async () => {
    mock.on(DescribeDBClustersCommand).resolves({ DBClusters: [cluster()] });
    mock.on(CreateBlueGreenDeploymentCommand).resolves(single("PROVISIONING"));
    mock.on(DescribeBlueGreenDeploymentsCommand, BY_ID).resolvesOnce(deployment("PROVISIONING"))
      .resolves(deployment("INVALID_CONFIGURATION", { StatusDetails: "Replication lag is too high" }));
    expect(await run(["prod", "--to", "16.10", "--outputs", outputsFile()])).toBe(EXIT.aws);
    expect(mock.commandCalls(SwitchoverBlueGreenDeploymentCommand)).toHaveLength(0);
    expect(lines.at(-1)).toBe(`error: blue/green deployment ${BGD} is INVALID_CONFIGURATION: Replication lag is too high; nothing was switched; ` +
      "delete the deployment (aws rds delete-blue-green-deployment --delete-target) and fix the cause");
  });

  it("fails when the switchover fails, saying the blue cluster still serves", async () => {
    mock.on(DescribeDBClustersCommand).resolves({ DBClusters: [cluster()] });
    mock.on(CreateBlueGreenDeploymentCommand).resolves(single("PROVISIONING"));
    mock.on(DescribeBlueGreenDeploymentsCommand, BY_ID).resolvesOnce(deployment("AVAILABLE")).resolvesOnce(deployment("SWITCHOVER_IN_PROGRESS"))
      .resolves(deployment("SWITCHOVER_FAILED", { StatusDetails: "Switchover timed out" }));
    mock.on(SwitchoverBlueGreenDeploymentCommand).resolves(single("SWITCHOVER_IN_PROGRESS"));
    expect(await run(["prod", "--to", "16.10", "--outputs", outputsFile()])).toBe(EXIT.aws);
    expect(lines.at(-1)).toMatch(/is SWITCHOVER_FAILED: Switchover timed out; RDS rolled the switchover back and the blue cluster still serves/);
  });

  it("gives up (AWS exit code) when a phase outlasts the timeout, having done nothing more", async () => {
    mock.on(DescribeDBClustersCommand).resolves({ DBClusters: [cluster()] });
    mock.on(CreateBlueGreenDeploymentCommand).resolves(single("PROVISIONING"));
    mock.on(DescribeBlueGreenDeploymentsCommand, BY_ID).resolves(deployment("PROVISIONING"));
    expect(await run(["prod", "--to", "16.10", "--outputs", outputsFile(), "--timeout-minutes", "2", "--poll-seconds", "30"])).toBe(EXIT.aws);
    expect(clock.slept).toEqual([30000, 30000, 30000, 30000]);
    expect(mock.commandCalls(SwitchoverBlueGreenDeploymentCommand)).toHaveLength(0);
    expect(lines.at(-1)).toMatch(/is still PROVISIONING after 2 minutes, waiting for AVAILABLE; nothing more was done/);
  });

  describe("a rerun finds the deployment an earlier run left", () => {
    /** The account's deployments as DescribeBlueGreenDeployments lists them without a filter. */
    const listing = (...list: BlueGreenDeployment[]) => mock.on(DescribeBlueGreenDeploymentsCommand).resolves({ BlueGreenDeployments: list });
    const ours = (Status: string, extra: Partial<BlueGreenDeployment> = {}) => deployment(Status, extra).BlueGreenDeployments[0]!;
    const rerun = () => run(["prod", "--to", "16.10", "--outputs", outputsFile(), "--poll-seconds", "5"]);
    const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

    it("continues one still PROVISIONING (e.g. after a timeout) instead of creating a second, which RDS would refuse by name", async () => {
      mock.on(DescribeDBClustersCommand).resolves({ DBClusters: [cluster()] });
      listing(ours("PROVISIONING"));
      mock.on(DescribeBlueGreenDeploymentsCommand, BY_ID).resolvesOnce(deployment("PROVISIONING")).resolvesOnce(deployment("AVAILABLE"))
        .resolvesOnce(deployment("SWITCHOVER_IN_PROGRESS")).resolvesOnce(deployment("SWITCHOVER_COMPLETED"));
      mock.on(SwitchoverBlueGreenDeploymentCommand).resolves(single("SWITCHOVER_IN_PROGRESS"));
      expect(await rerun()).toBe(EXIT.ok);
      expect(mock.commandCalls(CreateBlueGreenDeploymentCommand)).toHaveLength(0);
      expect(mock.commandCalls(SwitchoverBlueGreenDeploymentCommand).map((c) => c.args[0].input)).toEqual([{ BlueGreenDeploymentIdentifier: BGD, SwitchoverTimeout: 300 }]);
      expect(lines.slice(0, 3)).toEqual([
        `note: blue/green deployment ${BGD} (orders-prod-to-16-10) is already PROVISIONING, left by an earlier run: this run continues it instead of creating one`,
        `continuing blue/green deployment ${BGD} (PROVISIONING): orders-prod 16.8 -> 16.10`,
        "  PROVISIONING",
      ]);
      expect(lines.at(-1)).toMatch(/^switchover completed: orders-prod runs 16.10/);
    });

    it("only waits for one already SWITCHOVER_IN_PROGRESS, never asking for a second switchover", async () => {
      mock.on(DescribeDBClustersCommand).resolves({ DBClusters: [cluster()] });
      listing(ours("SWITCHOVER_IN_PROGRESS"));
      mock.on(DescribeBlueGreenDeploymentsCommand, BY_ID).resolvesOnce(deployment("SWITCHOVER_IN_PROGRESS")).resolvesOnce(deployment("SWITCHOVER_COMPLETED"));
      expect(await rerun()).toBe(EXIT.ok);
      expect(mock.commandCalls(CreateBlueGreenDeploymentCommand)).toHaveLength(0);
      expect(mock.commandCalls(SwitchoverBlueGreenDeploymentCommand)).toHaveLength(0);
      expect(lines).toContain("  SWITCHOVER_COMPLETED");
    });

    it("says on --dry-run that it continues the deployment, and follows the listing's pages", async () => {
      mock.on(DescribeDBClustersCommand).resolves({ DBClusters: [cluster()] });
      mock.on(DescribeBlueGreenDeploymentsCommand).resolves({ BlueGreenDeployments: [ours("AVAILABLE", { BlueGreenDeploymentIdentifier: "bgd-other", BlueGreenDeploymentName: "billing-to-17", Source: "arn:aws:rds:eu-west-1:333333333333:cluster:billing" })], Marker: "m2" });
      mock.on(DescribeBlueGreenDeploymentsCommand, { Marker: "m2" }).resolves({ BlueGreenDeployments: [ours("AVAILABLE")] });
      expect(await run(["prod", "--to", "16.10", "--outputs", outputsFile(), "--dry-run", "--output", "json"])).toBe(EXIT.ok);
      expect(JSON.parse(lines[0]!).calls).toEqual([
        { call: `wait: DescribeBlueGreenDeployments (${BGD}, now AVAILABLE) until AVAILABLE` },
        { call: "SwitchoverBlueGreenDeployment", input: { BlueGreenDeploymentIdentifier: BGD, SwitchoverTimeout: 300 } },
        { call: "wait: DescribeBlueGreenDeployments until SWITCHOVER_COMPLETED" },
      ]);
    });

    it("leaves a finished earlier upgrade's deployment alone and creates its own", async () => {
      mock.on(DescribeDBClustersCommand).resolves({ DBClusters: [cluster()] });
      listing(ours("SWITCHOVER_COMPLETED", { BlueGreenDeploymentIdentifier: "bgd-last-year", BlueGreenDeploymentName: "orders-prod-to-16-8" }));
      mock.on(CreateBlueGreenDeploymentCommand).resolves(single("PROVISIONING"));
      mock.on(DescribeBlueGreenDeploymentsCommand, BY_ID).resolvesOnce(deployment("AVAILABLE")).resolvesOnce(deployment("SWITCHOVER_COMPLETED"));
      mock.on(SwitchoverBlueGreenDeploymentCommand).resolves(single("SWITCHOVER_IN_PROGRESS"));
      expect(await rerun()).toBe(EXIT.ok);
      expect(mock.commandCalls(CreateBlueGreenDeploymentCommand)).toHaveLength(1);
    });

    it("refuses, before anything changes, one of another name on the same cluster, one that failed its switchover, and one RDS found invalid", async () => {
      mock.on(DescribeDBClustersCommand).resolves({ DBClusters: [cluster()] });
      const remove = (id: string) => `aws rds delete-blue-green-deployment --blue-green-deployment-identifier ${id} --delete-target`;
      listing(ours("AVAILABLE", { BlueGreenDeploymentIdentifier: "bgd-by-hand", BlueGreenDeploymentName: "console-test" }));
      expect(await rerun()).toBe(EXIT.usage);
      expect(lines.at(-1)).toBe(`error: cluster orders-prod already has blue/green deployment bgd-by-hand (console-test, AVAILABLE), not this run's orders-prod-to-16-10: ` +
        `finish or delete it first (${remove("bgd-by-hand")}), then rerun`);
      listing(ours("SWITCHOVER_FAILED"));
      expect(await rerun()).toBe(EXIT.usage);
      expect(lines.at(-1)).toMatch(new RegExp(`^${escape(`error: blue/green deployment ${BGD} (orders-prod-to-16-10) is SWITCHOVER_FAILED: RDS rolled it back and the blue cluster serves on 16.8; ` +
        `retry the switchover (aws rds switchover-blue-green-deployment --blue-green-deployment-identifier ${BGD}) or delete it (${remove(BGD)}); ` +
        "then, if the master password is still handed off, npm run blue-green -- prod --hand-back-only --outputs ")}\\S+ --region eu-west-1$`));
      listing(ours("INVALID_CONFIGURATION"));
      expect(await rerun()).toBe(EXIT.usage);
      expect(lines.at(-1)).toBe(`error: blue/green deployment ${BGD} (orders-prod-to-16-10) is INVALID_CONFIGURATION: delete it (${remove(BGD)}) and fix the cause, then rerun`);
      expect(mock.commandCalls(CreateBlueGreenDeploymentCommand)).toHaveLength(0);
      expect(mock.commandCalls(SwitchoverBlueGreenDeploymentCommand)).toHaveLength(0);
    });
  });

  it("refuses a cluster whose master password RDS manages, as every dbstack cluster's is, naming the flag that hands it off, before creating anything", async () => {
    mock.on(DescribeDBClustersCommand).resolves({ DBClusters: [cluster({ MasterUserSecret: { SecretArn: "arn:aws:secretsmanager:eu-west-1:333333333333:secret:rds!cluster-abc", SecretStatus: "active", KmsKeyId: "arn:aws:kms:eu-west-1:333333333333:key/k1" } })] });
    expect(await run(["prod", "--to", "16.10", "--outputs", outputsFile()])).toBe(EXIT.usage);
    expect(mock.commandCalls(CreateBlueGreenDeploymentCommand)).toHaveLength(0);
    expect(lines.at(-1)).toBe("error: cluster orders-prod has its master password managed by RDS in Secrets Manager (arn:aws:secretsmanager:eu-west-1:333333333333:secret:rds!cluster-abc), " +
      "which RDS blue/green deployments do not support (Aurora User Guide, Limitations for blue/green deployments). Rerun with --release-managed-master-password to hand it off for the run: " +
      "the script stores a new random password in secret orders-prod-blue-green-master (KMS key arn:aws:kms:eu-west-1:333333333333:key/k1), turns RDS management off " +
      "(RDS deletes its secret and uses that password), runs the deployment, then turns management back on for the switched-over cluster (RDS creates a new secret with the same key) " +
      "and schedules orders-prod-blue-green-master for deletion in 7 days. Or upgrade in place with database.upgrade");
  });

  it("needs a target-family parameter group for a major upgrade, and prints the deployment without creating it on --dry-run", async () => {
    mock.on(DescribeDBClustersCommand).resolves({ DBClusters: [cluster()] });
    expect(await run(["prod", "--to", "17.6", "--outputs", outputsFile()])).toBe(EXIT.usage);
    expect(lines.at(-1)).toBe("error: 16.8 -> 17.6 is a major upgrade: name the green cluster's parameter group of the target family (--target-cluster-parameter-group)");
    lines = [];
    mock.on(DescribeDBClusterParameterGroupsCommand, { DBClusterParameterGroupName: "orders-prod-cluster-aurora-postgresql17" })
      .resolves({ DBClusterParameterGroups: [{ DBClusterParameterGroupName: "orders-prod-cluster-aurora-postgresql17", DBParameterGroupFamily: "aurora-postgresql17" }] });
    expect(await run(["prod", "--to", "17.6", "--outputs", outputsFile(), "--target-cluster-parameter-group", "orders-prod-cluster-aurora-postgresql17", "--dry-run", "--output", "json"])).toBe(EXIT.ok);
    // A cluster whose password RDS does not manage: the deployment's calls only, nothing to hand off or back.
    expect(JSON.parse(lines[0]!).calls).toEqual([
      { call: "CreateBlueGreenDeployment", input: { BlueGreenDeploymentName: "orders-prod-to-17-6", Source: ARN, TargetEngineVersion: "17.6", TargetDBClusterParameterGroupName: "orders-prod-cluster-aurora-postgresql17" } },
      { call: "wait: DescribeBlueGreenDeployments until AVAILABLE" },
      { call: "SwitchoverBlueGreenDeployment", input: { BlueGreenDeploymentIdentifier: "<the created deployment>", SwitchoverTimeout: 300 } },
      { call: "wait: DescribeBlueGreenDeployments until SWITCHOVER_COMPLETED" },
    ]);
    expect(mock.commandCalls(CreateBlueGreenDeploymentCommand)).toHaveLength(0);
  });

  it("refuses target groups RDS does not have or of another family, naming each flag, before anything changes", async () => {
    mock.on(DescribeDBClustersCommand).resolves({ DBClusters: [cluster()] });
    mock.on(DescribeDBClusterParameterGroupsCommand).resolves({ DBClusterParameterGroups: [{ DBClusterParameterGroupName: "orders-prod-cluster", DBParameterGroupFamily: "aurora-postgresql16" }] });
    mock.on(DescribeDBParameterGroupsCommand).rejects(Object.assign(new Error("DBParameterGroup not found: pg17-instances"), { name: "DBParameterGroupNotFoundFault" }));
    expect(await run(["prod", "--to", "17.6", "--outputs", outputsFile(), "--target-cluster-parameter-group", "orders-prod-cluster", "--target-instance-parameter-group", "pg17-instances"])).toBe(EXIT.usage);
    expect(lines.at(-1)!.split("\n")).toEqual([
      "error: --target-cluster-parameter-group orders-prod-cluster: a DB cluster parameter group of family aurora-postgresql16, but the green side runs 17.6, which needs family aurora-postgresql17",
      "--target-instance-parameter-group pg17-instances: no DB parameter group of that name in this account and region; create it with family aurora-postgresql17 first",
    ]);
    expect(mock.commandCalls(DescribeDBClusterParameterGroupsCommand)[0]!.args[0].input).toEqual({ DBClusterParameterGroupName: "orders-prod-cluster" });
    expect(mock.commandCalls(CreateBlueGreenDeploymentCommand)).toHaveLength(0);
  });

  it("knows each engine's parameter group family", () => {
    expect(familyOf("aurora-postgresql", "17.6")).toBe("aurora-postgresql17");
    expect(familyOf("aurora-mysql", "8.0.mysql_aurora.3.10.0")).toBe("aurora-mysql8.0");
    expect(familyOf("postgres", "17.6")).toBe("postgres17");
    expect(familyOf("mysql", "8.4.7")).toBe("mysql8.4");
  });

  it("refuses an engine it does not upgrade, the instance flags on a cluster, the version already running, and an AWS error maps to the AWS exit code", async () => {
    expect(await run(["prod", "--to", "16.10", "--outputs", outputsFile("sqlserver-ee")])).toBe(EXIT.usage);
    expect(lines.at(-1)).toBe("error: the database of this environment is sqlserver-ee, which this script does not upgrade (Aurora, RDS for PostgreSQL or RDS for MySQL)");
    expect(await run(["prod", "--to", "17.6", "--outputs", outputsFile(), "--target-parameter-group", "pg17", "--keep-old-instance"])).toBe(EXIT.usage);
    expect(lines.at(-1)).toBe("error: the database of prod is an Aurora cluster: drop --target-parameter-group (an RDS instance's; for Aurora use --target-cluster-parameter-group " +
      "and --target-instance-parameter-group), --keep-old-instance (RDS instances only: an Aurora run never deletes the old cluster)");
    expect(mock.calls()).toHaveLength(0);
    mock.on(DescribeDBClustersCommand).resolves({ DBClusters: [cluster()] });
    expect(await run(["prod", "--to", "16.8", "--outputs", outputsFile()])).toBe(EXIT.usage);
    expect(lines.at(-1)).toBe("error: cluster orders-prod already runs 16.8: nothing to do");
    mock.on(DescribeDBClustersCommand).rejects(Object.assign(new Error("not authorized"), { name: "AccessDenied" }));
    expect(await run(["prod", "--to", "16.10", "--outputs", outputsFile()])).toBe(EXIT.aws);
    expect(lines.at(-1)).toBe("error: DescribeDBClusters failed: AccessDenied: not authorized");
  });
});

describe("blue-green flags", () => {
  it("fails on a missing environment, a missing version and bad numbers", () => {
    const usage = (args: string[]) => { try { parseBlueGreenArgs(args); } catch (e) { expect(e).toBeInstanceOf(ScriptError); return (e as ScriptError).message; } return "no error"; };
    expect(usage(["--to", "16.10"])).toMatch(/^name one environment/);
    expect(usage(["prod"])).toBe('--to must be an engine version, e.g. 16.10 (got "")');
    expect(usage(["prod", "--to", "16.10", "--poll-seconds", "0"])).toBe('--poll-seconds must be a whole number from 1 to 3600, not "0"');
    expect(usage(["prod", "--hand-back-only", "--to", "16.10", "--release-managed-master-password"])).toBe("--hand-back-only runs no deployment: drop --to, --release-managed-master-password");
    expect(parseBlueGreenArgs(["prod", "--to", "16.10"])).toMatchObject({ mode: "upgrade", environment: "prod", outputs: ["prod-outputs.json"], timeoutMinutes: 240, pollSeconds: 30, releaseManagedMasterPassword: false });
    expect(parseBlueGreenArgs(["prod", "--hand-back-only"])).toMatchObject({ mode: "hand-back-only", environment: "prod" });
  });

  it("refuses what RDS or a pasted command would not take: a switchover timeout outside 30..3600 s, a number in another notation, a region that is no Region's name", () => {
    const usage = (args: string[]) => { try { parseBlueGreenArgs(args); } catch (e) { return (e as ScriptError).message; } return "no error"; };
    expect(usage(["prod", "--to", "16.10", "--switchover-timeout-seconds", "10"])).toBe('--switchover-timeout-seconds must be a whole number from 30 to 3600, not "10"');
    expect(usage(["prod", "--to", "16.10", "--switchover-timeout-seconds", "3601"])).toBe('--switchover-timeout-seconds must be a whole number from 30 to 3600, not "3601"');
    expect(usage(["prod", "--to", "16.10", "--timeout-minutes", "1e3"])).toBe('--timeout-minutes must be a whole number from 1 to 1440, not "1e3"');
    expect(usage(["prod", "--to", "16.10", "--region", "eu-west-1; rm -rf ~"])).toBe('--region must be an AWS Region such as eu-west-1, not "eu-west-1; rm -rf ~"');
    for (const region of ["eu-west-1", "us-gov-west-1", "cn-north-1", "ap-southeast-5", "eusc-de-east-1"]) {
      expect(parseBlueGreenArgs(["prod", "--hand-back-only", "--region", region])).toMatchObject({ region });
    }
    expect(parseBlueGreenArgs(["prod", "--to", "16.10", "--switchover-timeout-seconds", "30"])).toMatchObject({ switchoverTimeoutSeconds: 30 });
  });

  it("refuses an outputs file whose database_identifier is not an RDS identifier", () => {
    expect(() => databaseFromOutputs({ database_identifier: "orders-prod; aws rds delete-db-cluster", database_engine: "aurora-postgresql" })).toThrow(
      'the outputs\' database_identifier "orders-prod; aws rds delete-db-cluster" is not an RDS DB identifier (1 to 63 letters, digits or hyphens, first a letter)');
    for (const bad of ["1orders", "orders--prod", "orders-", "o".repeat(64)]) expect(() => databaseFromOutputs({ database_identifier: bad, database_engine: "postgres" })).toThrow(ScriptError);
    expect(databaseFromOutputs({ database_identifier: "orders-prod", database_engine: "postgres" })).toEqual({ type: "instance", identifier: "orders-prod", engine: "postgres" });
  });

  it("prints a hand-back command whose --outputs path a shell reads back as the same word", () => {
    const path = "/home/ops/it's my env/prod outputs.json";
    const options = { ...(parseBlueGreenArgs(["prod", "--hand-back-only", "--outputs", path, "--region", "eu-west-1"]) as HandBackOptions) };
    const command = handBackCommand(options);
    expect(command).toBe(`npm run blue-green -- prod --hand-back-only --outputs '/home/ops/it'\\''s my env/prod outputs.json' --region eu-west-1`);
    const words = execFileSync("sh", ["-c", `printf '%s\\n' ${command.replace(/^npm run blue-green -- /, "")}`], { encoding: "utf8" }).trimEnd().split("\n");
    expect(words).toEqual(["prod", "--hand-back-only", "--outputs", path, "--region", "eu-west-1"]);
    expect(handBackCommand(parseBlueGreenArgs(["prod", "--hand-back-only", "--outputs", "prod-outputs.json"]) as HandBackOptions)).toBe("npm run blue-green -- prod --hand-back-only --outputs prod-outputs.json");
  });
});
