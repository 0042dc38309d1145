/**
 * Before `npm run destroy`: the readers Aurora Auto Scaling added to a cluster are not in Terraform's
 * state, and RDS refuses to delete a cluster that still has instances (terraform-provider-aws#19536), so
 * the destroy would stop half-way. This finds them — the cluster's members that the synthesized database
 * stack does not create — and deletes them, waiting until they are gone.
 *
 * Run right before the destroy. Should Auto Scaling add another replica while the layers above are being
 * destroyed, the cluster's deletion fails and a second `npm run destroy` removes it (by then the scaling
 * target is gone with the database layer's other resources, so nothing adds more).
 */
import { DeleteDBInstanceCommand, DescribeDBClustersCommand, waitUntilDBInstanceDeleted, type RDSClient } from "@aws-sdk/client-rds";
import { EXIT, ScriptError } from "../cli.ts";

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);

/** A cluster whose readers Auto Scaling manages, as the synthesized database stack describes it. */
export interface ScaledCluster {
  readonly clusterIdentifier: string;
  readonly region: string;
  /** The instances Terraform creates (writer and `min` readers). */
  readonly terraformInstances: readonly string[];
}

/** The scaled cluster of a synthesized database stack, or undefined when its readers do not scale. */
export function scaledClusterOf(stack: unknown): ScaledCluster | undefined {
  if (!isObject(stack) || !isObject(stack.resource)) return undefined;
  const resources = stack.resource;
  const values = (type: string) => (isObject(resources[type]) ? Object.values(resources[type] as Json).filter(isObject) : []);
  const target = values("aws_appautoscaling_target").find((t) => t.scalable_dimension === "rds:cluster:ReadReplicaCount");
  if (!target) return undefined;
  const clusterIdentifier = String(target.resource_id).replace(/^cluster:/, "");
  const providers = isObject(stack.provider) && Array.isArray(stack.provider.aws) ? stack.provider.aws.filter(isObject) : [];
  const region = providers[0]?.region;
  if (typeof region !== "string") throw new ScriptError(EXIT.usage, "the database stack has no aws provider region");
  const terraformInstances = values("aws_rds_cluster_instance").map((i) => String(i.identifier));
  return { clusterIdentifier, region, terraformInstances };
}

/** The cluster's members Terraform does not create: the replicas Auto Scaling added. */
export function autoscaledReplicas(members: readonly { readonly DBInstanceIdentifier?: string; readonly IsClusterWriter?: boolean }[], cluster: ScaledCluster): string[] {
  return members.filter((m) => m.DBInstanceIdentifier && !m.IsClusterWriter && !cluster.terraformInstances.includes(m.DBInstanceIdentifier))
    .map((m) => m.DBInstanceIdentifier!);
}

export interface RemoveOptions {
  readonly print: (line: string) => void;
  /** How long to wait for each deletion. @default 1800 s */
  readonly maxWaitSeconds?: number;
}

/** Deletes the replicas Auto Scaling added to the cluster and waits until they are gone; returns their identifiers. */
export async function removeAutoscaledReplicas(rds: RDSClient, cluster: ScaledCluster, options: RemoveOptions): Promise<string[]> {
  const described = await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: cluster.clusterIdentifier })).catch((error: Error) => {
    if (error.name === "DBClusterNotFoundFault") return undefined;
    throw new ScriptError(EXIT.aws, `DescribeDBClusters ${cluster.clusterIdentifier} failed: ${error.name}: ${error.message}`);
  });
  const members = described?.DBClusters?.[0]?.DBClusterMembers ?? [];
  const replicas = autoscaledReplicas(members, cluster);
  if (replicas.length === 0) {
    options.print(`cluster ${cluster.clusterIdentifier}: no replicas added by Aurora Auto Scaling`);
    return [];
  }
  for (const id of replicas) {
    options.print(`cluster ${cluster.clusterIdentifier}: deleting ${id}, added by Aurora Auto Scaling and not in Terraform's state`);
    await rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: id })).catch((error: Error) => {
      // Auto Scaling may be removing it at the same moment.
      if (error.name === "DBInstanceNotFoundFault" || error.name === "InvalidDBInstanceStateFault") return;
      throw new ScriptError(EXIT.aws, `DeleteDBInstance ${id} failed: ${error.name}: ${error.message} — delete it yourself (aws rds delete-db-instance --db-instance-identifier ${id}), then run the destroy again`);
    });
  }
  for (const id of replicas) {
    await waitUntilDBInstanceDeleted({ client: rds, maxWaitTime: options.maxWaitSeconds ?? 1800 }, { DBInstanceIdentifier: id }).catch((error: Error) => {
      throw new ScriptError(EXIT.aws, `${id} was not deleted in time (${error.message}): wait until it is gone, then run the destroy again`);
    });
  }
  return replicas;
}
