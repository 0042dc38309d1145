import { describe, expect, it } from "vitest";
import { ctyType, placeholder, standInOutputs, standInState, upstreamStacks } from "../../scripts/lib/terraform/stand-in-state.ts";
import { offlineStack } from "../../scripts/lib/terraform/terraform-offline.ts";

const context = { region: "eu-west-1", account: "123456789012", known: {}, seed: "aws_x.y.attr" };
/** Terraform's split(":", s) and element(list, i), to show functions behave on placeholders as on real values. */
const element = (value: string, index: number) => value.split(":")[index];

describe("placeholders for values AWS assigns", () => {
  it("give ids the prefix of their resource type", () => {
    expect(placeholder("aws_vpc", "id", context)).toMatch(/^vpc-0[0-9a-f]{16}$/);
    expect(placeholder("aws_subnet", "id", context)).toMatch(/^subnet-0[0-9a-f]{16}$/);
    expect(placeholder("aws_security_group", "id", context)).toMatch(/^sg-0[0-9a-f]{16}$/);
  });

  it("give a proxy an ARN whose parts split as a real one does (partition, region, account, prx- id)", () => {
    const arn = placeholder("aws_db_proxy", "arn", { ...context, known: { name: "orders-prod" } });
    expect(arn).toMatch(/^arn:aws:rds:eu-west-1:123456789012:db-proxy:prx-[0-9a-f]{17}$/);
    expect([element(arn, 1), element(arn, 3), element(arn, 4)]).toEqual(["aws", "eu-west-1", "123456789012"]);
    expect(element(arn, 6)).toMatch(/^prx-/);
  });

  it("use the partition of the region", () => {
    expect(placeholder("aws_kms_key", "arn", { ...context, region: "cn-north-1" })).toMatch(/^arn:aws-cn:kms:cn-north-1:123456789012:key\/[0-9a-f-]{36}$/);
    expect(placeholder("aws_iam_role", "arn", { ...context, region: "us-gov-west-1", known: { name: "r" } })).toBe("arn:aws-us-gov:iam::123456789012:role/r");
  });

  it("build secret ARNs with Secrets Manager's random suffix, and the RDS-managed master secret's name", () => {
    expect(placeholder("aws_secretsmanager_secret", "arn", { ...context, known: { name: "orders/prod/database/app" } }))
      .toMatch(/^arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders\/prod\/database\/app-[A-Za-z0-9]{6}$/);
    expect(placeholder("aws_rds_cluster", "master_user_secret.secret_arn", context)).toMatch(/:secret:rds!cluster-[0-9a-f-]{36}-[A-Za-z0-9]{6}$/);
  });

  it("give endpoints host names of the shape RDS uses", () => {
    expect(placeholder("aws_db_proxy", "endpoint", { ...context, known: { name: "orders-prod" } })).toMatch(/^orders-prod\.proxy-[a-z0-9]{12}\.eu-west-1\.rds\.amazonaws\.com$/);
    expect(placeholder("aws_rds_cluster", "endpoint", { ...context, known: { cluster_identifier: "orders-prod" } })).toMatch(/^orders-prod\.cluster-[a-z0-9]{12}\.eu-west-1\.rds\.amazonaws\.com$/);
    expect(placeholder("aws_db_instance", "endpoint", { ...context, known: { identifier: "shop", port: 3306 } })).toMatch(/^shop\.[a-z0-9]{12}\.eu-west-1\.rds\.amazonaws\.com:3306$/);
  });

  it("are stable for the same resource and attribute, and differ between resources", () => {
    expect(placeholder("aws_subnet", "id", context)).toBe(placeholder("aws_subnet", "id", context));
    expect(placeholder("aws_subnet", "id", context)).not.toBe(placeholder("aws_subnet", "id", { ...context, seed: "aws_subnet.other.id" }));
  });
});

describe("stand-in outputs from an offline plan", () => {
  const stack = {
    provider: { aws: [{ region: "eu-west-1", allowed_account_ids: ["123456789012"] }] },
    output: {
      "cross-stack-output-aws_vpcnetwork_vpc_1id": { value: "${aws_vpc.network_vpc_1.id}", sensitive: true },
      "cross-stack-output-aws_db_subnet_groupgroup_2name": { value: "${aws_db_subnet_group.group_2.name}", sensitive: true },
      "cross-stack-output-aws_rds_clustercluster_3master_user_secret0secret_arn": { value: "${aws_rds_cluster.cluster_3.master_user_secret[0].secret_arn}", sensitive: true },
      subnet_ids: { value: ["${aws_subnet.a.id}", "${aws_subnet.b.id}"] },
      database_port: { value: "5432" },
    },
  };
  const plan = {
    resource_changes: [
      { address: "aws_vpc.network_vpc_1", type: "aws_vpc", change: { after: { cidr_block: "10.0.0.0/16" }, after_unknown: { id: true, arn: true } } },
      { address: "aws_db_subnet_group.group_2", type: "aws_db_subnet_group", change: { after: { name: "orders-prod-database" }, after_unknown: { id: true } } },
      { address: "aws_rds_cluster.cluster_3", type: "aws_rds_cluster", change: { after: { cluster_identifier: "orders-prod", master_user_secret: [] }, after_unknown: { master_user_secret: true } } },
    ],
    output_changes: {
      "cross-stack-output-aws_vpcnetwork_vpc_1id": { after_unknown: true },
      "cross-stack-output-aws_db_subnet_groupgroup_2name": { after: "orders-prod-database", after_unknown: false },
      "cross-stack-output-aws_rds_clustercluster_3master_user_secret0secret_arn": { after_unknown: true },
      subnet_ids: { after: [null, null], after_unknown: [true, true] },
      database_port: { after: "5432", after_unknown: false },
    },
  };
  const outputs = standInOutputs(stack, plan);

  it("keeps what the plan knows and fills what it does not with the right shape", () => {
    expect(outputs["cross-stack-output-aws_db_subnet_groupgroup_2name"]).toBe("orders-prod-database");
    expect(outputs.database_port).toBe("5432");
    expect(outputs["cross-stack-output-aws_vpcnetwork_vpc_1id"]).toMatch(/^vpc-0[0-9a-f]{16}$/);
    expect(outputs["cross-stack-output-aws_rds_clustercluster_3master_user_secret0secret_arn"]).toMatch(/^arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!cluster-/);
    expect(outputs.subnet_ids).toEqual([expect.stringMatching(/^subnet-0/), expect.stringMatching(/^subnet-0/)]);
  });

  it("writes a version 4 state holding only outputs, typed as Terraform types them", () => {
    const state = standInState("prod-network", outputs) as { version: number; outputs: Record<string, { type: unknown; sensitive: boolean }>; resources: unknown[] };
    expect(state.version).toBe(4);
    expect(state.resources).toEqual([]);
    expect(state.outputs.subnet_ids!.type).toEqual(["tuple", ["string", "string"]]);
    expect(state.outputs["cross-stack-output-aws_vpcnetwork_vpc_1id"]!.sensitive).toBe(true);
    expect(ctyType({ a: 1, b: [true] })).toEqual(["object", { a: "number", b: ["tuple", ["bool"]] }]);
  });
});

describe("upstream stacks of a synthesized stack", () => {
  const stack = {
    terraform: { backend: { s3: { bucket: "b", key: "k", region: "eu-west-1" } } },
    provider: { aws: [{ region: "eu-west-1", allowed_account_ids: ["123456789012"] }] },
    data: {
      terraform_remote_state: {
        // The central-bucket layout: the read assumes the state account's role, which offline must not.
        "cross-stack-reference-input-prod-network": {
          backend: "s3", workspace: "${terraform.workspace}",
          config: { bucket: "b", key: "dbstack/prod/network.tfstate", region: "eu-west-1", assume_role: { role_arn: "arn:aws:iam::444444444444:role/state", external_id: "x1" } },
        },
        "cross-stack-reference-input-prod-database": { backend: "s3", config: { bucket: "b", key: "dbstack/prod/database.tfstate", region: "eu-west-1" }, workspace: "${terraform.workspace}" },
      },
    },
  };

  it("are read from cdktf's remote state data sources", () => {
    expect(upstreamStacks(stack)).toEqual(["prod-database", "prod-network"]);
    expect(upstreamStacks({})).toEqual([]);
  });

  it("are read offline from the stand-in state files given for them, and only those, with no role to assume", () => {
    const offline = offlineStack(stack, new Map([["prod-network", "/tmp/network.tfstate"]])) as typeof stack;
    expect(offline.data.terraform_remote_state["cross-stack-reference-input-prod-network"]).toEqual({ backend: "local", config: { path: "/tmp/network.tfstate" } });
    expect(offline.data.terraform_remote_state["cross-stack-reference-input-prod-database"]!.backend).toBe("s3");
    expect(stack.data.terraform_remote_state["cross-stack-reference-input-prod-network"]!.backend).toBe("s3");
  });
});
