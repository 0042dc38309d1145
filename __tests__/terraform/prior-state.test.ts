import { describe, expect, it } from "vitest";
import { deletedAddresses, priorStateFromPlan } from "../../scripts/lib/terraform/prior-state.ts";
import type { PlanJson } from "../../scripts/lib/terraform/stand-in-state.ts";

const plan: PlanJson = {
  resource_changes: [
    { address: "module.a.aws_s3_bucket.b", module_address: "module.a", type: "aws_s3_bucket", mode: "managed", change: { actions: ["create"], after: { bucket: "orders-bucket" }, after_unknown: { id: true, arn: true, tags: false } } },
    { address: "module.a.aws_s3_bucket_policy.p", module_address: "module.a", type: "aws_s3_bucket_policy", mode: "managed", change: { actions: ["create"], after: { policy: "{}" }, after_unknown: { id: true, bucket: true } } },
    { address: "module.a.aws_rds_cluster.c", module_address: "module.a", type: "aws_rds_cluster", mode: "managed", change: { actions: ["create"], after: { cluster_identifier: "orders" }, after_unknown: { id: true, availability_zones: true } } },
    { address: "module.a.data.x", module_address: "module.a", type: "x", mode: "data", change: { actions: ["read"] } },
  ],
};
const schemas = {
  aws_s3_bucket: { version: 0, strings: ["id", "arn", "bucket"], stringCollections: [] },
  aws_s3_bucket_policy: { version: 0, strings: ["id", "bucket", "policy"], stringCollections: [] },
  aws_rds_cluster: { version: 2, strings: ["id", "cluster_identifier"], stringCollections: ["availability_zones"] },
};
const config = { resource: { aws_s3_bucket_policy: { p: { bucket: "${aws_s3_bucket.b.id}" } } } };

describe("a stand-in state of what a plan creates", () => {
  const state = priorStateFromPlan(plan, schemas, () => ({ region: "eu-west-1", account: "123456789012" }), () => config);
  const resources = state.resources as { module: string; type: string; name: string; instances: { schema_version: number; attributes: Record<string, unknown> }[] }[];
  const attributes = (type: string) => resources.find((r) => r.type === type)!.instances[0]!.attributes;

  it("holds every managed resource in its module, at the provider's schema version", () => {
    expect(resources.map((r) => [r.module, r.type, r.name, r.instances[0]!.schema_version])).toEqual([
      ["module.a", "aws_s3_bucket", "b", 0], ["module.a", "aws_s3_bucket_policy", "p", 0], ["module.a", "aws_rds_cluster", "c", 2],
    ]);
  });

  it("keeps planned values and fills what AWS assigns with placeholders of its shape", () => {
    expect(attributes("aws_s3_bucket")).toMatchObject({ bucket: "orders-bucket", arn: "arn:aws:s3:::orders-bucket" });
    expect(attributes("aws_rds_cluster").availability_zones).toEqual([expect.any(String)]);
  });

  it("gives a reference to another resource's assigned attribute that resource's placeholder, as an apply would", () => {
    expect(attributes("aws_s3_bucket_policy").bucket).toBe(attributes("aws_s3_bucket").id);
  });
});

describe("deletedAddresses", () => {
  it("lists deletes and replacements, not creates, updates or reads", () => {
    expect(deletedAddresses({ resource_changes: [
      { address: "a", type: "t", mode: "managed", change: { actions: ["delete"] } },
      { address: "b", type: "t", mode: "managed", change: { actions: ["delete", "create"] } },
      { address: "c", type: "t", mode: "managed", change: { actions: ["create"] } },
      { address: "d", type: "t", mode: "managed", change: { actions: ["update"] } },
      { address: "e", type: "t", mode: "data", change: { actions: ["read"] } },
    ] })).toEqual(["a", "b"]);
  });
});
