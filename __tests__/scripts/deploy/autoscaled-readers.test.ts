import { describe, expect, it } from "vitest";
import { mockClient } from "aws-sdk-client-mock";
import { DeleteDBInstanceCommand, DescribeDBClustersCommand, DescribeDBInstancesCommand, RDSClient } from "@aws-sdk/client-rds";
import { autoscaledReplicas, removeAutoscaledReplicas, scaledClusterOf } from "../../../scripts/lib/deploy/autoscaled-readers.ts";
import { environments } from "../../../stacks/environments.ts";
import { synthEnvironment } from "../../helpers.ts";

const fault = (name: string) => Object.assign(new Error(name), { name });

describe("scaledClusterOf", () => {
  it("reads the cluster, region and Terraform's instances from the shipped prod database stack", () => {
    const { stacks } = synthEnvironment(environments.find((e) => e.name === "prod")!);
    expect(scaledClusterOf(stacks["prod-database"]!.parsed)).toEqual({
      clusterIdentifier: "orders-prod", region: "eu-west-1", terraformInstances: ["orders-prod-1", "orders-prod-2", "orders-prod-3"],
    });
  });

  it("finds nothing in a stack whose readers do not scale", () => {
    const { stacks } = synthEnvironment(environments.find((e) => e.name === "staging")!);
    expect(scaledClusterOf(stacks["staging-database"]!.parsed)).toBeUndefined();
    expect(scaledClusterOf(undefined)).toBeUndefined();
  });
});

describe("removeAutoscaledReplicas against mocked RDS", () => {
  const cluster = { clusterIdentifier: "orders-prod", region: "eu-west-1", terraformInstances: ["orders-prod-1", "orders-prod-2"] };
  const members = [
    { DBInstanceIdentifier: "orders-prod-1", IsClusterWriter: true }, { DBInstanceIdentifier: "orders-prod-2", IsClusterWriter: false },
    { DBInstanceIdentifier: "application-autoscaling-1b2c", IsClusterWriter: false }, { DBInstanceIdentifier: "application-autoscaling-9f8e", IsClusterWriter: false },
  ];

  it("picks the members Terraform does not create, never the writer", () => {
    expect(autoscaledReplicas(members, cluster)).toEqual(["application-autoscaling-1b2c", "application-autoscaling-9f8e"]);
    // A writer Terraform does not know (after a failover onto an autoscaled replica) is not deleted: the cluster needs it until the end.
    expect(autoscaledReplicas([{ DBInstanceIdentifier: "application-autoscaling-1b2c", IsClusterWriter: true }], cluster)).toEqual([]);
  });

  it("deletes each autoscaled replica and waits until it is gone", async () => {
    const rds = new RDSClient({ region: "eu-west-1" });
    const mock = mockClient(rds);
    mock.on(DescribeDBClustersCommand).resolves({ DBClusters: [{ DBClusterMembers: members }] });
    mock.on(DeleteDBInstanceCommand).resolves({});
    mock.on(DescribeDBInstancesCommand).rejects(fault("DBInstanceNotFoundFault"));
    const printed: string[] = [];
    expect(await removeAutoscaledReplicas(rds, cluster, { print: (line) => printed.push(line) })).toEqual(["application-autoscaling-1b2c", "application-autoscaling-9f8e"]);
    expect(mock.commandCalls(DeleteDBInstanceCommand).map((c) => c.args[0].input)).toEqual([
      { DBInstanceIdentifier: "application-autoscaling-1b2c" }, { DBInstanceIdentifier: "application-autoscaling-9f8e" },
    ]);
    expect(mock.commandCalls(DescribeDBInstancesCommand).map((c) => c.args[0].input.DBInstanceIdentifier)).toEqual(["application-autoscaling-1b2c", "application-autoscaling-9f8e"]);
    expect(printed[0]).toBe("cluster orders-prod: deleting application-autoscaling-1b2c, added by Aurora Auto Scaling and not in Terraform's state");
  });

  it("does nothing when the cluster is already gone or has only Terraform's instances", async () => {
    const rds = new RDSClient({ region: "eu-west-1" });
    const mock = mockClient(rds);
    mock.on(DescribeDBClustersCommand).rejectsOnce(fault("DBClusterNotFoundFault")).resolves({ DBClusters: [{ DBClusterMembers: members.slice(0, 2) }] });
    const printed: string[] = [];
    expect(await removeAutoscaledReplicas(rds, cluster, { print: (line) => printed.push(line) })).toEqual([]);
    expect(await removeAutoscaledReplicas(rds, cluster, { print: (line) => printed.push(line) })).toEqual([]);
    expect(mock.commandCalls(DeleteDBInstanceCommand)).toHaveLength(0);
    expect(printed).toEqual(["cluster orders-prod: no replicas added by Aurora Auto Scaling", "cluster orders-prod: no replicas added by Aurora Auto Scaling"]);
  });

  it("says how to finish by hand when a deletion is refused, with exit code 5", async () => {
    const rds = new RDSClient({ region: "eu-west-1" });
    const mock = mockClient(rds);
    mock.on(DescribeDBClustersCommand).resolves({ DBClusters: [{ DBClusterMembers: members }] });
    mock.on(DeleteDBInstanceCommand).rejects(Object.assign(new Error("not authorized"), { name: "AccessDenied" }));
    const error = await removeAutoscaledReplicas(rds, cluster, { print: () => undefined }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      exitCode: 5,
      message: "DeleteDBInstance application-autoscaling-1b2c failed: AccessDenied: not authorized — delete it yourself (aws rds delete-db-instance --db-instance-identifier application-autoscaling-1b2c), then run the destroy again",
    });
  });
});
