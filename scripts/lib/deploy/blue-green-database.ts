/**
 * The database a blue/green run works on, an Aurora cluster or an RDS instance, as one shape: the hand-off
 * of the master password and the waits are the same for both, only the API calls differ
 * (DescribeDBClusters/ModifyDBCluster with DBClusterIdentifier, DescribeDBInstances/ModifyDBInstance with
 * DBInstanceIdentifier; an instance reports DBInstanceStatus and Endpoint.Address/Port).
 */
import {
  DescribeDBClustersCommand, DescribeDBInstancesCommand, ModifyDBClusterCommand, ModifyDBInstanceCommand,
  type DBCluster, type DBInstance, type MasterUserSecret, type RDSClient,
} from "@aws-sdk/client-rds";
import { EXIT, ScriptError } from "../cli.ts";
import { awsCall, type WaitSettings } from "./blue-green-wait.ts";

export type DatabaseType = "cluster" | "instance";

/** What the run reads of a cluster or an instance. */
export interface Database {
  readonly type: DatabaseType;
  readonly identifier: string;
  readonly arn: string;
  readonly status?: string;
  readonly engine?: string;
  readonly engineVersion?: string;
  readonly backupRetentionPeriod?: number;
  readonly masterUsername?: string;
  readonly endpoint?: string;
  readonly port?: number;
  readonly masterUserSecret?: MasterUserSecret;
  /** Instances only: DbiResourceId, the id Terraform tracks aws_db_instance by, which a switchover changes. */
  readonly resourceId?: string;
  readonly deletionProtection?: boolean;
  /** Instances only: the DB parameter group and whether its changes are applied ("in-sync", "pending-reboot"). */
  readonly parameterGroup?: { readonly name: string; readonly applyStatus?: string };
  readonly readReplicas?: readonly string[];
}

/** The API's names for each type. */
export const API = {
  cluster: { describe: "DescribeDBClusters", modify: "ModifyDBCluster", idParameter: "DBClusterIdentifier", cli: "modify-db-cluster --db-cluster-identifier" },
  instance: { describe: "DescribeDBInstances", modify: "ModifyDBInstance", idParameter: "DBInstanceIdentifier", cli: "modify-db-instance --db-instance-identifier" },
} as const;

export function fromCluster(c: DBCluster): Database {
  return {
    type: "cluster", identifier: c.DBClusterIdentifier!, arn: c.DBClusterArn!,
    ...opt("status", c.Status), ...opt("engine", c.Engine), ...opt("engineVersion", c.EngineVersion), ...opt("backupRetentionPeriod", c.BackupRetentionPeriod),
    ...opt("masterUsername", c.MasterUsername), ...opt("endpoint", c.Endpoint), ...opt("port", c.Port), ...opt("masterUserSecret", c.MasterUserSecret),
    ...opt("deletionProtection", c.DeletionProtection),
  };
}

export function fromInstance(i: DBInstance): Database {
  const group = i.DBParameterGroups?.[0];
  return {
    type: "instance", identifier: i.DBInstanceIdentifier!, arn: i.DBInstanceArn!,
    ...opt("status", i.DBInstanceStatus), ...opt("engine", i.Engine), ...opt("engineVersion", i.EngineVersion), ...opt("backupRetentionPeriod", i.BackupRetentionPeriod),
    ...opt("masterUsername", i.MasterUsername), ...opt("endpoint", i.Endpoint?.Address), ...opt("port", i.Endpoint?.Port), ...opt("masterUserSecret", i.MasterUserSecret),
    ...opt("resourceId", i.DbiResourceId), ...opt("deletionProtection", i.DeletionProtection),
    ...(group?.DBParameterGroupName ? { parameterGroup: { name: group.DBParameterGroupName, ...opt("applyStatus", group.ParameterApplyStatus) } } : {}),
    readReplicas: i.ReadReplicaDBInstanceIdentifiers ?? [],
  };
}

function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

export async function describeDatabase(rds: RDSClient, type: DatabaseType, identifier: string): Promise<Database> {
  if (type === "cluster") {
    const described = await awsCall("DescribeDBClusters", () => rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: identifier })));
    const cluster = described.DBClusters?.[0];
    if (!cluster?.DBClusterArn) throw new ScriptError(EXIT.aws, `cluster ${identifier} was not found`);
    return fromCluster(cluster);
  }
  const described = await awsCall("DescribeDBInstances", () => rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: identifier })));
  const instance = described.DBInstances?.[0];
  if (!instance?.DBInstanceArn) throw new ScriptError(EXIT.aws, `instance ${identifier} was not found`);
  return fromInstance(instance);
}

/** The master-password fields of ModifyDBCluster/ModifyDBInstance (same names in both). */
export interface MasterPasswordChange {
  readonly ManageMasterUserPassword: boolean;
  readonly MasterUserPassword?: string;
  readonly MasterUserSecretKmsKeyId?: string;
  readonly ApplyImmediately: true;
}

/** The ModifyDBCluster/ModifyDBInstance input, with the identifier under the type's parameter name. */
export const modifyInput = (type: DatabaseType, identifier: string, change: MasterPasswordChange) => ({ [API[type].idParameter]: identifier, ...change });

/** ModifyDBCluster or ModifyDBInstance; `secret` is scrubbed from any error (see awsCall). */
export async function modifyDatabase(rds: RDSClient, type: DatabaseType, identifier: string, change: MasterPasswordChange, secret?: string): Promise<void> {
  if (type === "cluster") {
    await awsCall("ModifyDBCluster", () => rds.send(new ModifyDBClusterCommand({ DBClusterIdentifier: identifier, ...change })), secret);
  } else {
    await awsCall("ModifyDBInstance", () => rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: identifier, ...change })), secret);
  }
}

/** Polls the database until `done`; throws when the timeout runs out. */
export async function waitForDatabase(rds: RDSClient, type: DatabaseType, identifier: string, what: string, done: (db: Database) => boolean, wait: WaitSettings): Promise<Database> {
  const deadline = wait.clock.now() + wait.timeoutMs;
  let last = "";
  for (;;) {
    const db = await describeDatabase(rds, type, identifier);
    const line = `${identifier} ${db.status}${db.masterUserSecret ? `, RDS-managed master secret ${db.masterUserSecret.SecretStatus}` : ", master password not RDS-managed"}`;
    if (line !== last) wait.print(`  ${line}`);
    last = line;
    if (done(db)) return db;
    if (wait.clock.now() + wait.pollMs > deadline) {
      throw new ScriptError(EXIT.aws, `${type} ${identifier} is not ${what} after ${Math.round(wait.timeoutMs / 60000)} minutes (${line})`);
    }
    await wait.clock.sleep(wait.pollMs);
  }
}
