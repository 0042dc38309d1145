import { Construct } from "constructs";
import { DataAwsSsmParameter } from "@cdktf/provider-aws/lib/data-aws-ssm-parameter/index.js";
import { DbSubnetGroup } from "@cdktf/provider-aws/lib/db-subnet-group/index.js";
import { Eip } from "@cdktf/provider-aws/lib/eip/index.js";
import { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway/index.js";
import { NatGateway } from "@cdktf/provider-aws/lib/nat-gateway/index.js";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table/index.js";
import { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association/index.js";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group/index.js";
import { Subnet } from "@cdktf/provider-aws/lib/subnet/index.js";
import { Vpc } from "@cdktf/provider-aws/lib/vpc/index.js";
import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint/index.js";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule/index.js";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule/index.js";
import { blockContains, blocksOverlap, parseCidr, type Ipv4Block } from "./cidr.ts";
import { Problems } from "./validation.ts";

// ---------------------------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------------------------

/**
 * How workloads in the private application subnets reach AWS APIs (Secrets Manager above all: ECS pulls
 * the database secret through it, and the proxy reads its credentials from it).
 * - `none`: dbstack creates no path; the VPC must already have one (transit gateway, shared endpoints).
 * - `nat`: NAT gateways in public subnets, one for the VPC or one per AZ (survives an AZ outage).
 * - `endpoints`: interface endpoints for secretsmanager, ssm, logs, ecr.api, ecr.dkr and sts, plus the S3
 *   gateway endpoint (ECR image layers come from S3); no internet path at all.
 */
export type PrivateEgress =
  | { readonly type: "none" }
  | { readonly type: "nat"; readonly gateways: "single" | "per-az"; readonly publicSubnetCidrs: readonly string[] }
  | { readonly type: "endpoints" };

interface SecurityGroupLayout {
  /**
   * `separate` gives the proxy and the database a group each (recommended). `shared` puts both in one
   * group with a self rule on the database port — without that rule the proxy's target is unavailable.
   * @default "separate"
   */
  readonly proxyAndDatabaseGroups?: "separate" | "shared";
}

/** A new VPC laid out by dbstack. Each subnet list has one CIDR per availability zone, in the same order. */
export interface CreateNetworkSettings extends SecurityGroupLayout {
  readonly mode: "create";
  /** The VPC's IPv4 range, /16 to /24. */
  readonly vpcCidr: string;
  /** Private subnets for clients (ECS tasks, Lambda, CodeBuild) and interface endpoints. */
  readonly applicationSubnetCidrs: readonly string[];
  /** Private subnets for the database and the proxy; no route leaves the VPC except for HTTPS via NAT. */
  readonly databaseSubnetCidrs: readonly string[];
  readonly egress: PrivateEgress;
}

/** An id given directly, or the name of an SSM parameter that holds it (read at plan time). */
export type IdSource = string | { readonly ssmParameter: string };

/** An existing VPC and subnets; dbstack adds only the subnet group and the security groups. */
export interface AdoptNetworkSettings extends SecurityGroupLayout {
  readonly mode: "adopt";
  readonly vpcId: IdSource;
  readonly applicationSubnetIds: readonly IdSource[];
  /** At least two, in different availability zones (RDS and RDS Proxy both require it). */
  readonly databaseSubnetIds: readonly IdSource[];
}

export type NetworkSettings = CreateNetworkSettings | AdoptNetworkSettings;

export const INTERFACE_ENDPOINT_SERVICES = ["secretsmanager", "ssm", "logs", "ecr.api", "ecr.dkr", "sts"] as const;

const VPC_ID = /^vpc-[0-9a-f]{8}(?:[0-9a-f]{9})?$/;
const SUBNET_ID = /^subnet-[0-9a-f]{8}(?:[0-9a-f]{9})?$/;
const SSM_PARAMETER_NAME = /^(?:\/[a-zA-Z0-9_.-]+)+$|^[a-zA-Z0-9_.-]+$/;

/** Problems with network settings for the given availability zones, paths relative to the settings. */
export function validateNetworkSettings(settings: NetworkSettings, availabilityZones: readonly string[], problems: Problems): void {
  if (settings.proxyAndDatabaseGroups !== undefined) problems.oneOf("proxyAndDatabaseGroups", settings.proxyAndDatabaseGroups, ["separate", "shared"]);
  if (settings.mode === "create") validateCreate(settings, availabilityZones.length, problems);
  else if (settings.mode === "adopt") validateAdopt(settings, problems);
  else problems.oneOf("mode", (settings as { mode?: unknown }).mode, ["create", "adopt"]);
}

function validateCreate(settings: CreateNetworkSettings, zoneCount: number, problems: Problems): void {
  const vpc = parseCidr(settings.vpcCidr);
  const vpcOk = problems.check(vpc !== undefined && vpc.prefix >= 16 && vpc.prefix <= 24, "vpcCidr", settings.vpcCidr,
    'must be an IPv4 CIDR from /16 to /24 with no host bits set, e.g. "10.20.0.0/16"');
  const planned: { path: string; block: Ipv4Block }[] = [];
  const checkList = (path: string, cidrs: readonly string[] | undefined) => {
    if (!problems.check(Array.isArray(cidrs) && cidrs.length === zoneCount, path, cidrs,
      `must list exactly one CIDR per availability zone (${zoneCount})`)) return;
    cidrs!.forEach((cidr, i) => {
      const block = parseCidr(cidr);
      const at = `${path}[${i}]`;
      if (!problems.check(block !== undefined && block.prefix <= 28, at, cidr, "must be an IPv4 CIDR of /28 or larger with no host bits set")) return;
      if (vpcOk && !problems.check(blockContains(vpc!, block!), at, cidr, `must lie inside the VPC range ${settings.vpcCidr}`)) return;
      const clash = planned.find((p) => blocksOverlap(p.block, block!));
      if (problems.check(clash === undefined, at, cidr, `must not overlap ${clash?.path}`)) planned.push({ path: at, block: block! });
    });
  };
  checkList("applicationSubnetCidrs", settings.applicationSubnetCidrs);
  checkList("databaseSubnetCidrs", settings.databaseSubnetCidrs);

  const egress = settings.egress;
  if (!problems.oneOf("egress.type", egress?.type, ["none", "nat", "endpoints"])) return;
  if (egress.type === "nat") {
    problems.oneOf("egress.gateways", egress.gateways, ["single", "per-az"]);
    checkList("egress.publicSubnetCidrs", egress.publicSubnetCidrs);
  }
}

function validateAdopt(settings: AdoptNetworkSettings, problems: Problems): void {
  const checkId = (path: string, source: IdSource, pattern: RegExp, example: string) => {
    if (typeof source === "object" && source !== null && "ssmParameter" in source) {
      problems.matches(`${path}.ssmParameter`, source.ssmParameter, SSM_PARAMETER_NAME,
        'must be an SSM parameter name such as "/network/prod/vpc-id"');
    } else {
      problems.matches(path, source, pattern, `must be an id like "${example}" or { ssmParameter: "<name>" }`);
    }
  };
  checkId("vpcId", settings.vpcId, VPC_ID, "vpc-0abc1234def567890");
  for (const [path, ids, minimum] of [["applicationSubnetIds", settings.applicationSubnetIds, 1], ["databaseSubnetIds", settings.databaseSubnetIds, 2]] as const) {
    if (!problems.check(Array.isArray(ids) && ids.length >= minimum, path, ids,
      `must list at least ${minimum} subnet${minimum > 1 ? "s in different availability zones" : ""}`)) continue;
    ids.forEach((id, i) => checkId(`${path}[${i}]`, id, SUBNET_ID, "subnet-0abc1234def567890"));
    // The same subnet twice counts once: a database list of one subnet repeated spans a single zone.
    const keys = ids.map((id) => typeof id === "object" && id !== null ? `ssm:${id.ssmParameter}` : String(id));
    keys.forEach((key, i) => {
      const first = keys.indexOf(key);
      problems.check(first === i, `${path}[${i}]`, ids[i], `repeats ${path}[${first}]: list each subnet once`);
    });
    if (minimum > 1) {
      problems.check(new Set(keys).size >= minimum, path, ids,
        `must list at least ${minimum} different subnets in different availability zones (a DB subnet group and RDS Proxy need two zones)`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Construct
// ---------------------------------------------------------------------------------------------------------

export interface NetworkProps {
  readonly settings: NetworkSettings;
  /** Prefix of every Name tag and AWS name, e.g. "orders-prod". */
  readonly namePrefix: string;
  readonly region: string;
  /** Availability zone names; subnet CIDR lists follow this order. Ignored in adopt mode. */
  readonly availabilityZones: readonly string[];
  /** The database's port: the only port the security-group chain opens. */
  readonly databasePort: number;
  /**
   * Let the database-clients group reach the database directly too, for `direct-iam` users.
   * @default false
   */
  readonly directDatabaseAccess?: boolean;
  /**
   * A group for the setup function: it reaches the database directly (the first setup cannot rely on a
   * proxy whose user secrets are still empty), the proxy (to check the path once the users exist), and
   * AWS APIs on 443 (Secrets Manager, STS).
   * @default false
   */
  readonly setupAccess?: boolean;
}

/**
 * The VPC side of the data path: subnets, the DB subnet group, and the security-group chain
 * clients -> proxy -> database, each hop on the database port only, each rule referencing a group.
 *
 * The proxy and the database never share a group: a shared group without a self rule makes the proxy
 * target unavailable. The database group has no egress rule at all; the proxy group may reach the database
 * and, on 443 only, Secrets Manager (through the endpoints when they exist).
 */
export class Network extends Construct {
  readonly vpcId: string;
  readonly applicationSubnetIds: string[];
  readonly databaseSubnetIds: string[];
  readonly dbSubnetGroupName: string;
  /** Attach to anything that talks to the database (seed 002's "database access" group). */
  readonly clientsSecurityGroupId: string;
  readonly proxySecurityGroupId: string;
  readonly databaseSecurityGroupId: string;
  /** The interface endpoints' group, when egress is `endpoints`. */
  readonly endpointsSecurityGroupId?: string;
  /** The setup function's group, with `setupAccess`. */
  readonly setupSecurityGroupId?: string;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const problems = new Problems();
    validateNetworkSettings(props.settings, props.availabilityZones, problems);
    problems.integer("databasePort", props.databasePort, 1150, 65535);
    problems.throwIfAny(`Network ${id}`);

    const name = (part: string) => `${props.namePrefix}-${part}`;
    let routeTablesForS3: string[] = [];
    if (props.settings.mode === "create") {
      const layout = this.createVpc(props.settings, props, name);
      this.vpcId = layout.vpcId;
      this.applicationSubnetIds = layout.applicationSubnetIds;
      this.databaseSubnetIds = layout.databaseSubnetIds;
      routeTablesForS3 = layout.privateRouteTableIds;
    } else {
      const settings = props.settings;
      const resolve = (source: IdSource, key: string) =>
        typeof source === "string" ? source : new DataAwsSsmParameter(this, key, { name: source.ssmParameter }).value;
      this.vpcId = resolve(settings.vpcId, "vpc-id");
      this.applicationSubnetIds = settings.applicationSubnetIds.map((s, i) => resolve(s, `application-subnet-id-${i}`));
      this.databaseSubnetIds = settings.databaseSubnetIds.map((s, i) => resolve(s, `database-subnet-id-${i}`));
    }

    this.dbSubnetGroupName = new DbSubnetGroup(this, "db-subnet-group", {
      name: name("database"),
      description: `Database subnets of ${props.namePrefix}`,
      subnetIds: this.databaseSubnetIds,
    }).name;

    const group = (key: string, description: string) =>
      new SecurityGroup(this, key, { name: name(key), description, vpcId: this.vpcId, tags: { Name: name(key) } }).id;
    this.clientsSecurityGroupId = group("database-clients", "Attach to workloads that may connect to the database proxy");
    const shared = props.settings.proxyAndDatabaseGroups === "shared";
    if (shared) {
      this.databaseSecurityGroupId = group("database", "RDS Proxy and database (shared): clients in, self rule between them");
      this.proxySecurityGroupId = this.databaseSecurityGroupId;
    } else {
      this.proxySecurityGroupId = group("proxy", "RDS Proxy: accepts database clients, connects to the database");
      this.databaseSecurityGroupId = group("database", "Database: accepts connections from the RDS Proxy only");
    }

    const port = props.databasePort;
    this.allow("clients-to-proxy", this.clientsSecurityGroupId, this.proxySecurityGroupId, port, "Database clients to RDS Proxy");
    // With one shared group this is the self rule the proxy needs to reach its target.
    this.allow("proxy-to-database", this.proxySecurityGroupId, this.databaseSecurityGroupId, port,
      shared ? "Self rule: RDS Proxy to database in the shared group" : "RDS Proxy to database");
    if (props.directDatabaseAccess) {
      this.allow("clients-to-database", this.clientsSecurityGroupId, this.databaseSecurityGroupId, port, "Database clients straight to the database (direct IAM users)");
    }

    if (props.setupAccess) {
      this.setupSecurityGroupId = group("database-setup", "Setup function: the database directly, the proxy, and AWS APIs");
      this.allow("setup-to-database", this.setupSecurityGroupId, this.databaseSecurityGroupId, port, "Setup function straight to the database (first setup, before the proxy has user credentials)");
      if (!shared) this.allow("setup-to-proxy", this.setupSecurityGroupId, this.proxySecurityGroupId, port, "Setup function to RDS Proxy (checks the clients' path)");
    }

    if (props.settings.mode === "create" && props.settings.egress.type === "endpoints") {
      this.endpointsSecurityGroupId = group("endpoints", "Interface endpoints: HTTPS from database clients and the proxy");
      this.allow("clients-to-endpoints", this.clientsSecurityGroupId, this.endpointsSecurityGroupId, 443, "Database clients to AWS APIs (Secrets Manager, SSM, logs, ECR, STS)");
      this.allow("proxy-to-endpoints", this.proxySecurityGroupId, this.endpointsSecurityGroupId, 443, "RDS Proxy to Secrets Manager");
      if (this.setupSecurityGroupId) this.allow("setup-to-endpoints", this.setupSecurityGroupId, this.endpointsSecurityGroupId, 443, "Setup function to Secrets Manager and STS");
      this.createEndpoints(props, routeTablesForS3, name);
    } else {
      this.httpsOut("proxy-to-aws-apis", this.proxySecurityGroupId, "RDS Proxy to Secrets Manager over HTTPS");
      if (this.setupSecurityGroupId) this.httpsOut("setup-to-aws-apis", this.setupSecurityGroupId, "Setup function to Secrets Manager and STS over HTTPS");
    }
  }

  /** HTTPS to AWS APIs through the NAT gateway (or a path the network already has): port 443 only. */
  private httpsOut(key: string, group: string, description: string): void {
    new VpcSecurityGroupEgressRule(this, key, { securityGroupId: group, description, ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0" });
  }

  /** One hop of the chain: egress from `source`, ingress to `target`, both on `port`, group to group. */
  private allow(key: string, source: string, target: string, port: number, description: string): void {
    new VpcSecurityGroupEgressRule(this, `${key}-egress`, {
      securityGroupId: source, referencedSecurityGroupId: target, ipProtocol: "tcp", fromPort: port, toPort: port, description,
    });
    new VpcSecurityGroupIngressRule(this, `${key}-ingress`, {
      securityGroupId: target, referencedSecurityGroupId: source, ipProtocol: "tcp", fromPort: port, toPort: port, description,
    });
  }

  private createVpc(settings: CreateNetworkSettings, props: NetworkProps, name: (part: string) => string) {
    const vpc = new Vpc(this, "vpc", {
      cidrBlock: settings.vpcCidr,
      enableDnsSupport: true,
      enableDnsHostnames: true,
      tags: { Name: name("vpc") },
    });
    const zones = props.availabilityZones;
    const subnets = (tier: string, cidrs: readonly string[], isPublic = false) =>
      cidrs.map((cidr, i) => new Subnet(this, `${tier}-subnet-${i}`, {
        vpcId: vpc.id,
        cidrBlock: cidr,
        availabilityZone: zones[i],
        mapPublicIpOnLaunch: false,
        tags: { Name: name(`${tier}-${zones[i]}`), Tier: tier, ...(isPublic ? {} : { Private: "true" }) },
      }));
    const application = subnets("application", settings.applicationSubnetCidrs);
    const database = subnets("database", settings.databaseSubnetCidrs);

    // NAT: one route table per gateway so a per-AZ layout keeps each zone's traffic in its zone.
    let natGatewayIds: string[] = [];
    if (settings.egress.type === "nat") {
      const igw = new InternetGateway(this, "internet-gateway", { vpcId: vpc.id, tags: { Name: name("igw") } });
      const publicSubnets = subnets("public", settings.egress.publicSubnetCidrs, true);
      const publicRoutes = new RouteTable(this, "public-routes", {
        vpcId: vpc.id,
        route: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }],
        tags: { Name: name("public") },
      });
      publicSubnets.forEach((s, i) => new RouteTableAssociation(this, `public-routes-${i}`, { subnetId: s.id, routeTableId: publicRoutes.id }));
      const gatewayCount = settings.egress.gateways === "per-az" ? zones.length : 1;
      natGatewayIds = Array.from({ length: gatewayCount }, (_, i) => {
        const eip = new Eip(this, `nat-eip-${i}`, { domain: "vpc", tags: { Name: name(`nat-${zones[i]}`) } });
        return new NatGateway(this, `nat-gateway-${i}`, {
          allocationId: eip.id, subnetId: publicSubnets[i]!.id, tags: { Name: name(`nat-${zones[i]}`) }, dependsOn: [igw],
        }).id;
      });
    }

    const routeTableCount = Math.max(1, natGatewayIds.length);
    const privateRouteTableIds: string[] = [];
    for (const [tier, tierSubnets] of [["application", application], ["database", database]] as const) {
      const tables = Array.from({ length: routeTableCount }, (_, i) => new RouteTable(this, `${tier}-routes-${i}`, {
        vpcId: vpc.id,
        route: natGatewayIds.length > 0 ? [{ cidrBlock: "0.0.0.0/0", natGatewayId: natGatewayIds[i] }] : [],
        tags: { Name: name(routeTableCount === 1 ? tier : `${tier}-${zones[i]}`) },
      }));
      tierSubnets.forEach((s, i) => new RouteTableAssociation(this, `${tier}-routes-${i}-association`, {
        subnetId: s.id, routeTableId: tables[i % tables.length]!.id,
      }));
      privateRouteTableIds.push(...tables.map((t) => t.id));
    }

    return {
      vpcId: vpc.id,
      applicationSubnetIds: application.map((s) => s.id),
      databaseSubnetIds: database.map((s) => s.id),
      privateRouteTableIds,
    };
  }

  private createEndpoints(props: NetworkProps, routeTableIds: string[], name: (part: string) => string): void {
    for (const service of INTERFACE_ENDPOINT_SERVICES) {
      new VpcEndpoint(this, `endpoint-${service.replace(".", "-")}`, {
        vpcId: this.vpcId,
        serviceName: `com.amazonaws.${props.region}.${service}`,
        vpcEndpointType: "Interface",
        privateDnsEnabled: true,
        subnetIds: this.applicationSubnetIds,
        securityGroupIds: [this.endpointsSecurityGroupId!],
        tags: { Name: name(`endpoint-${service}`) },
      });
    }
    new VpcEndpoint(this, "endpoint-s3", {
      vpcId: this.vpcId,
      serviceName: `com.amazonaws.${props.region}.s3`,
      vpcEndpointType: "Gateway",
      routeTableIds,
      tags: { Name: name("endpoint-s3") },
    });
  }
}
