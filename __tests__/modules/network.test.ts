import { describe, expect, it } from "vitest";
import { Testing } from "cdktf";
import { DataAwsSsmParameter } from "@cdktf/provider-aws/lib/data-aws-ssm-parameter/index.js";
import { DbSubnetGroup } from "@cdktf/provider-aws/lib/db-subnet-group/index.js";
import { NatGateway } from "@cdktf/provider-aws/lib/nat-gateway/index.js";
import { Subnet } from "@cdktf/provider-aws/lib/subnet/index.js";
import { Vpc } from "@cdktf/provider-aws/lib/vpc/index.js";
import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint/index.js";
import { Network, type NetworkProps, type NetworkSettings } from "../../modules/network.ts";
import { thrownMessage, type SynthesizedStack } from "../helpers.ts";

const zones = ["eu-west-1a", "eu-west-1b"];
const createSettings = (egress: Extract<NetworkSettings, { mode: "create" }>["egress"]): NetworkSettings => ({
  mode: "create",
  vpcCidr: "10.0.0.0/16",
  applicationSubnetCidrs: ["10.0.0.0/20", "10.0.16.0/20"],
  databaseSubnetCidrs: ["10.0.128.0/24", "10.0.129.0/24"],
  egress,
});

function synthNetwork(settings: NetworkSettings, extra: Partial<NetworkProps> = {}) {
  const json = Testing.synthScope((scope) => {
    new Network(scope, "network", { settings, namePrefix: "shop-test", region: "eu-west-1", availabilityZones: zones, databasePort: 5432, ...extra });
  });
  return { json, parsed: JSON.parse(json) as SynthesizedStack };
}

const rules = (parsed: SynthesizedStack, type: "ingress" | "egress") =>
  Object.values(parsed.resource[`aws_vpc_security_group_${type}_rule`] ?? {});

describe("Network in create mode", () => {
  it("creates a VPC with DNS support and hostnames, and one subnet per zone and tier", () => {
    const { json, parsed } = synthNetwork(createSettings({ type: "none" }));
    expect(json).toHaveResourceWithProperties(Vpc, { cidr_block: "10.0.0.0/16", enable_dns_support: true, enable_dns_hostnames: true });
    expect(json).toHaveResourceWithProperties(Subnet, { cidr_block: "10.0.128.0/24", availability_zone: "eu-west-1a", map_public_ip_on_launch: false });
    expect(json).toHaveResourceWithProperties(Subnet, { cidr_block: "10.0.16.0/20", availability_zone: "eu-west-1b" });
    expect(Object.keys(parsed.resource.aws_subnet!)).toHaveLength(4);
    expect(json).toHaveResourceWithProperties(DbSubnetGroup, { name: "shop-test-database" });
    expect(parsed.resource.aws_nat_gateway).toBeUndefined();
    expect(parsed.resource.aws_vpc_endpoint).toBeUndefined();
  });

  it("chains clients -> proxy -> database group to group, on the database port only", () => {
    const { parsed } = synthNetwork(createSettings({ type: "none" }));
    const ingress = rules(parsed, "ingress");
    expect(ingress).toHaveLength(2);
    for (const rule of ingress) {
      expect(rule).toMatchObject({ ip_protocol: "tcp", from_port: 5432, to_port: 5432 });
      expect(rule.referenced_security_group_id).toMatch(/aws_security_group\./);
      expect(rule.cidr_ipv4).toBeUndefined();
      expect(String(rule.description)).not.toBe("");
    }
    const target = (rule: Record<string, unknown>) => rule.security_group_id;
    const [toDatabase, toProxy] = ingress.map((r) => String(target(r))).sort();
    expect(toDatabase).toMatch(/^\$\{aws_security_group\.network_database_[0-9A-F]+\.id\}$/);
    expect(toProxy).toMatch(/^\$\{aws_security_group\.network_proxy_[0-9A-F]+\.id\}$/);
    const sourceOf = (r: Record<string, unknown>) => String(r.referenced_security_group_id);
    expect(sourceOf(ingress.find((r) => String(target(r)) === toDatabase)!)).toMatch(/network_proxy_/);
    expect(sourceOf(ingress.find((r) => String(target(r)) === toProxy)!)).toMatch(/network_database-clients_/);
  });

  it("gives the database group no egress and the proxy only the database port and HTTPS", () => {
    const { parsed } = synthNetwork(createSettings({ type: "none" }));
    const egress = rules(parsed, "egress");
    expect(egress.filter((r) => String(r.security_group_id).includes("network_database_"))).toEqual([]);
    const proxyEgress = egress.filter((r) => String(r.security_group_id).includes("network_proxy_"));
    expect(proxyEgress.map((r) => r.from_port).sort()).toEqual([443, 5432]);
    expect(egress.every((r) => r.ip_protocol === "tcp")).toBe(true);
  });

  it("never opens ingress to the internet", () => {
    for (const egress of [{ type: "none" }, { type: "endpoints" }, { type: "nat", gateways: "per-az", publicSubnetCidrs: ["10.0.250.0/24", "10.0.251.0/24"] }] as const) {
      const { parsed } = synthNetwork(createSettings(egress));
      expect(rules(parsed, "ingress").some((r) => r.cidr_ipv4 === "0.0.0.0/0")).toBe(false);
    }
  });

  it("puts a NAT gateway in one public subnet, routing both private tiers through it", () => {
    const { json, parsed } = synthNetwork(createSettings({ type: "nat", gateways: "single", publicSubnetCidrs: ["10.0.250.0/24", "10.0.251.0/24"] }));
    expect(Object.keys(parsed.resource.aws_nat_gateway!)).toHaveLength(1);
    expect(json).toHaveResource(NatGateway);
    expect(String(Object.values(parsed.resource.aws_nat_gateway!)[0]!.subnet_id)).toMatch(/aws_subnet\.network_public-subnet-0_/);
    const natRoutes = Object.values(parsed.resource.aws_route_table!).filter((t) => (t.route as { nat_gateway_id?: string }[]).some((r) => r.nat_gateway_id));
    expect(natRoutes).toHaveLength(2);
  });

  it("keeps each zone's traffic on its own NAT gateway per AZ", () => {
    const { parsed } = synthNetwork(createSettings({ type: "nat", gateways: "per-az", publicSubnetCidrs: ["10.0.250.0/24", "10.0.251.0/24"] }));
    expect(Object.keys(parsed.resource.aws_nat_gateway!)).toHaveLength(2);
    expect(Object.keys(parsed.resource.aws_eip!)).toHaveLength(2);
    const associations = Object.values(parsed.resource.aws_route_table_association!)
      .filter((a) => String(a.subnet_id).includes("application-subnet"));
    expect(new Set(associations.map((a) => a.route_table_id)).size).toBe(2);
  });

  it("creates interface endpoints for the AWS APIs clients need, plus the S3 gateway", () => {
    const { json, parsed } = synthNetwork(createSettings({ type: "endpoints" }));
    const services = Object.values(parsed.resource.aws_vpc_endpoint!).map((e) => e.service_name).sort();
    expect(services).toEqual(["ecr.api", "ecr.dkr", "logs", "s3", "secretsmanager", "ssm", "sts"].map((s) => `com.amazonaws.eu-west-1.${s}`));
    expect(json).toHaveResourceWithProperties(VpcEndpoint, { service_name: "com.amazonaws.eu-west-1.secretsmanager", private_dns_enabled: true, vpc_endpoint_type: "Interface" });
    expect(json).toHaveResourceWithProperties(VpcEndpoint, { service_name: "com.amazonaws.eu-west-1.s3", vpc_endpoint_type: "Gateway" });
    const https = rules(parsed, "ingress").filter((r) => r.from_port === 443);
    expect(https).toHaveLength(2);
    expect(rules(parsed, "egress").some((r) => r.cidr_ipv4 === "0.0.0.0/0")).toBe(false);
  });
});

describe("Network in adopt mode", () => {
  it("uses given ids without creating a VPC", () => {
    const { json, parsed } = synthNetwork({
      mode: "adopt", vpcId: "vpc-0123456789abcdef0",
      applicationSubnetIds: ["subnet-0123456789abcdef1"], databaseSubnetIds: ["subnet-0123456789abcdef3", "subnet-0123456789abcdef4"],
    });
    expect(parsed.resource.aws_vpc).toBeUndefined();
    expect(parsed.data).toBeUndefined();
    expect(json).toHaveResourceWithProperties(DbSubnetGroup, { subnet_ids: ["subnet-0123456789abcdef3", "subnet-0123456789abcdef4"] });
  });

  it("reads ids from SSM parameters when named so (seed 003)", () => {
    const { json } = synthNetwork({
      mode: "adopt", vpcId: { ssmParameter: "/network/vpc-id" },
      applicationSubnetIds: [{ ssmParameter: "/network/app-a" }],
      databaseSubnetIds: [{ ssmParameter: "/network/db-a" }, { ssmParameter: "/network/db-b" }],
    });
    expect(json).toHaveDataSourceWithProperties(DataAwsSsmParameter, { name: "/network/vpc-id" });
    expect(json).toHaveDataSourceWithProperties(DataAwsSsmParameter, { name: "/network/db-b" });
  });
});

describe("Network validation", () => {
  it("fails when settings are invalid, naming each problem", () => {
    const message = thrownMessage(() => synthNetwork(createSettings({ type: "none" }), { databasePort: 22 }));
    expect(message).toContain("Network network: 1 problem");
    expect(message).toContain("databasePort: 22 — must be a whole number from 1150 to 65535");
  });
});
