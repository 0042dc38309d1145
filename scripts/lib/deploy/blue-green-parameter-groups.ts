/**
 * The parameter groups an operator names for the green side (--target-cluster-parameter-group,
 * --target-instance-parameter-group, --target-parameter-group), checked before anything changes: RDS checks
 * them only at CreateBlueGreenDeployment, after the run has already handed the master password off. A group
 * must exist and be of the target version's family: "aurora-postgresql17" for Aurora PostgreSQL 17.x,
 * "aurora-mysql8.0" for Aurora MySQL 8.0.mysql_aurora.3.x, "postgres17", "mysql8.4" for RDS instances
 * (DBParameterGroupFamily, as DescribeDBParameterGroups and DescribeDBClusterParameterGroups report it).
 */
import { DescribeDBClusterParameterGroupsCommand, DescribeDBParameterGroupsCommand, type RDSClient } from "@aws-sdk/client-rds";
import { EXIT, ScriptError } from "../cli.ts";
import type { DatabaseType } from "./blue-green-database.ts";
import { instanceFamilyOf, instanceMajorOf } from "./blue-green-instance.ts";
import type { BlueGreenOptions } from "./blue-green-options.ts";
import { awsCall } from "./blue-green-wait.ts";

/** The parameter group family of a version of an engine, as RDS names it. */
export function familyOf(engine: string, version: string): string {
  if (engine === "aurora-postgresql") return `aurora-postgresql${version.split(".")[0]}`;
  if (engine === "aurora-mysql") return `aurora-mysql${version.split(".").slice(0, 2).join(".")}`;
  return instanceFamilyOf(engine, instanceMajorOf(engine, version));
}

interface NamedGroup {
  readonly flag: string;
  readonly kind: "cluster" | "instance";
  readonly name: string;
}

/** The groups the options name for this type of database, with the flag each came from. */
function namedGroups(type: DatabaseType, options: BlueGreenOptions): NamedGroup[] {
  const groups: NamedGroup[] = [];
  if (type === "cluster") {
    if (options.targetClusterParameterGroup) groups.push({ flag: "--target-cluster-parameter-group", kind: "cluster", name: options.targetClusterParameterGroup });
    if (options.targetInstanceParameterGroup) groups.push({ flag: "--target-instance-parameter-group", kind: "instance", name: options.targetInstanceParameterGroup });
  } else if (options.targetParameterGroup) {
    groups.push({ flag: "--target-parameter-group", kind: "instance", name: options.targetParameterGroup });
  }
  return groups;
}

/** The family of a group, or undefined when RDS has no group of that name. */
async function describeFamily(rds: RDSClient, group: NamedGroup): Promise<string | undefined> {
  const operation = group.kind === "cluster" ? "DescribeDBClusterParameterGroups" : "DescribeDBParameterGroups";
  try {
    const found = group.kind === "cluster"
      ? (await rds.send(new DescribeDBClusterParameterGroupsCommand({ DBClusterParameterGroupName: group.name }))).DBClusterParameterGroups
      : (await rds.send(new DescribeDBParameterGroupsCommand({ DBParameterGroupName: group.name }))).DBParameterGroups;
    return found?.[0]?.DBParameterGroupFamily ?? "";
  } catch (error) {
    if ((error as Error)?.name === "DBParameterGroupNotFoundFault") return undefined;
    return awsCall(operation, () => Promise.reject(error));
  }
}

/** Refuses (exit 2) a named group that does not exist or is not of the family of `to`. */
export async function checkTargetParameterGroups(rds: RDSClient, type: DatabaseType, engine: string, to: string, options: BlueGreenOptions): Promise<void> {
  const family = familyOf(engine, to);
  const problems: string[] = [];
  for (const group of namedGroups(type, options)) {
    const what = group.kind === "cluster" ? "DB cluster parameter group" : "DB parameter group";
    const found = await describeFamily(rds, group);
    if (found === undefined) {
      problems.push(`${group.flag} ${group.name}: no ${what} of that name in this account and region; create it with family ${family} first`);
    } else if (found !== family) {
      problems.push(`${group.flag} ${group.name}: a ${what} of family ${found || "(none reported)"}, but the green side runs ${to}, which needs family ${family}`);
    }
  }
  if (problems.length > 0) throw new ScriptError(EXIT.usage, problems.join("\n"));
}
