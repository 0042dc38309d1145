/**
 * Stand-in upstream states for offline plans of layered stacks. A downstream stack reads its upstream's
 * outputs through `terraform_remote_state`, which has nothing to read without AWS; this builds, from the
 * upstream's own offline plan, a local state file holding its outputs: planned values where the plan
 * knows them, and where it does not (ids, ARNs, endpoints AWS assigns) placeholders of the shape that
 * resource type and attribute really have, so `split`, `element` or `cidrsubnet` applied downstream
 * behave as on real values.
 */
import { createHash } from "node:crypto";

type Json = Record<string, unknown>;

/** Where a placeholder lives: what it is, and what the plan already knows of its resource. */
export interface PlaceholderContext {
  readonly region: string;
  readonly account: string;
  /** The resource's planned attributes that are known (e.g. its name). */
  readonly known: Readonly<Record<string, unknown>>;
  /** Seed for the random-looking parts, so a placeholder is stable across runs. */
  readonly seed: string;
}

const partitionOf = (region: string) => (region.startsWith("cn-") ? "aws-cn" : region.startsWith("us-gov-") ? "aws-us-gov" : "aws");
const dnsSuffixOf = (region: string) => (region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com");

function digest(seed: string): string {
  return createHash("sha256").update(seed).digest("hex");
}
const hex = (seed: string, length: number) => digest(seed).slice(0, length);
const upper = (seed: string, length: number) => BigInt(`0x${digest(seed)}`).toString(36).toUpperCase().slice(0, length).padEnd(length, "Q");
const lower = (seed: string, length: number) => upper(seed, length).toLowerCase();
const uuid = (seed: string) => { const h = hex(seed, 32); return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`; };
/** Secrets Manager appends "-" and six random characters to a secret's name in its ARN. */
const secretSuffix = (seed: string) => `-${upper(seed, 3)}${lower(`${seed}/s`, 3)}`;

const ID_PREFIXES: Readonly<Record<string, string>> = {
  aws_vpc: "vpc", aws_subnet: "subnet", aws_security_group: "sg", aws_route_table: "rtb", aws_internet_gateway: "igw",
  aws_nat_gateway: "nat", aws_eip: "eipalloc", aws_vpc_endpoint: "vpce", aws_security_group_rule: "sgrule",
  aws_vpc_security_group_ingress_rule: "sgr", aws_vpc_security_group_egress_rule: "sgr", aws_network_interface: "eni",
};

/** A value of the shape AWS gives `attribute` of a `type` resource, e.g. "sg-0a1b…" or an ARN. */
export function placeholder(type: string, attribute: string, context: PlaceholderContext): string {
  const { region, account, known, seed } = context;
  const p = partitionOf(region);
  const name = (known.name ?? known.identifier ?? known.cluster_identifier ?? known.function_name ?? known.family ?? lower(seed, 10)) as string;
  // RDS host names: "<name>.<kind><random>.<region>.rds.<suffix>", e.g. "orders.cluster-c9akciq32abc.eu-west-1.rds.amazonaws.com".
  const rdsHost = (host: string, kind = "") => `${host}.${kind}${lower(`${seed}/host`, 12)}.${region}.rds.${dnsSuffixOf(region)}`;
  const key = `${type}.${attribute}`;
  switch (key) {
    case "aws_kms_key.arn": return `arn:${p}:kms:${region}:${account}:key/${uuid(seed)}`;
    case "aws_kms_key.id": case "aws_kms_key.key_id": return uuid(seed);
    case "aws_secretsmanager_secret.arn": case "aws_secretsmanager_secret.id": return `arn:${p}:secretsmanager:${region}:${account}:secret:${name}${secretSuffix(seed)}`;
    case "aws_rds_cluster.master_user_secret.secret_arn": return `arn:${p}:secretsmanager:${region}:${account}:secret:rds!cluster-${uuid(seed)}${secretSuffix(seed)}`;
    case "aws_db_instance.master_user_secret.secret_arn": return `arn:${p}:secretsmanager:${region}:${account}:secret:rds!db-${uuid(seed)}${secretSuffix(seed)}`;
    case "aws_rds_cluster.master_user_secret.kms_key_id": case "aws_db_instance.master_user_secret.kms_key_id": return `arn:${p}:kms:${region}:${account}:key/${uuid(`${seed}/key`)}`;
    case "aws_rds_cluster.arn": return `arn:${p}:rds:${region}:${account}:cluster:${name}`;
    case "aws_rds_cluster.endpoint": return rdsHost(name, "cluster-");
    case "aws_rds_cluster.reader_endpoint": return rdsHost(name, "cluster-ro-");
    case "aws_rds_cluster.cluster_resource_id": return `cluster-${upper(seed, 26)}`;
    case "aws_db_instance.arn": return `arn:${p}:rds:${region}:${account}:db:${name}`;
    case "aws_db_instance.address": return rdsHost(name);
    case "aws_db_instance.endpoint": return `${rdsHost(name)}:${known.port ?? 5432}`;
    case "aws_db_instance.resource_id": return `db-${upper(seed, 26)}`;
    case "aws_db_proxy.arn": return `arn:${p}:rds:${region}:${account}:db-proxy:prx-${hex(seed, 17)}`;
    case "aws_db_proxy.endpoint": return rdsHost(name, "proxy-");
    case "aws_db_proxy_endpoint.endpoint": return rdsHost(`${known.db_proxy_endpoint_name ?? name}.endpoint`, "proxy-");
    case "aws_db_proxy_endpoint.arn": return `arn:${p}:rds:${region}:${account}:db-proxy-endpoint:prx-endpoint-${hex(seed, 17)}`;
    case "aws_iam_role.arn": return `arn:${p}:iam::${account}:role/${name}`;
    case "aws_iam_role.unique_id": return `AROA${upper(seed, 17)}`;
    case "aws_cloudwatch_log_group.arn": return `arn:${p}:logs:${region}:${account}:log-group:${name}`;
    case "aws_lambda_function.arn": return `arn:${p}:lambda:${region}:${account}:function:${name}`;
    case "aws_lambda_function.invoke_arn": return `arn:${p}:apigateway:${region}:lambda:path/2015-03-31/functions/arn:${p}:lambda:${region}:${account}:function:${name}/invocations`;
    case "aws_ssm_parameter.arn": return `arn:${p}:ssm:${region}:${account}:parameter${String(name).startsWith("/") ? "" : "/"}${name}`;
    case "aws_s3_bucket.arn": return `arn:${p}:s3:::${known.bucket ?? name}`;
    case "aws_codebuild_project.arn": return `arn:${p}:codebuild:${region}:${account}:project/${name}`;
    case "aws_ecs_task_definition.arn": return `arn:${p}:ecs:${region}:${account}:task-definition/${name}:1`;
    case "aws_vpc.cidr_block": return "10.0.0.0/16";
    case "aws_subnet.cidr_block": return "10.0.0.0/24";
  }
  if (attribute === "id" && ID_PREFIXES[type]) return `${ID_PREFIXES[type]}-0${hex(seed, 16)}`;
  if (attribute === "arn" || attribute.endsWith("_arn")) {
    const service = type.replace(/^aws_/, "").split("_")[0]!;
    return `arn:${p}:${service}:${region}:${account}:${type.replace(/^aws_/, "").replace(/_/g, "-")}/${name}`;
  }
  if (attribute === "id") return typeof known.name === "string" ? known.name : `${type.replace(/^aws_/, "").replace(/_/g, "-")}-${hex(seed, 17)}`;
  if (/endpoint|address|dns_name/.test(attribute)) return rdsHost(name);
  return `offline-placeholder-${hex(seed, 12)}`;
}

export interface ResourceChange {
  readonly address: string;
  readonly type: string;
  /** "module.<name>" for a resource of a child module. */
  readonly module_address?: string;
  /** "managed" for resources, "data" for data sources. */
  readonly mode?: string;
  readonly change: { readonly actions?: readonly string[]; readonly after?: unknown; readonly after_unknown?: unknown };
}

/** The parts of `terraform show -json <plan>` this reads. */
export interface PlanJson {
  readonly resource_changes?: readonly ResourceChange[];
  readonly output_changes?: Readonly<Record<string, { readonly after?: unknown; readonly after_unknown?: unknown; readonly after_sensitive?: unknown }>>;
}

/** `type.name.attr[0].sub` → the resource address and the attribute path (indexes dropped from the key). */
const REFERENCE = /^\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z0-9_]+(?:\[\d+\]|\.[a-z0-9_]+)*)\}$/;

function step(value: unknown, segment: string): unknown {
  if (value === null || value === undefined || value === true || value === false) return value === true ? true : undefined;
  if (Array.isArray(value)) return value[Number(segment)];
  return typeof value === "object" ? (value as Json)[segment] : undefined;
}

/** The value a single reference resolves to: as planned when known, else a placeholder of its shape. */
function resolveReference(match: RegExpExecArray, plan: PlanJson, region: string, account: string): unknown {
  const [, type, name, attributePath] = match as unknown as [string, string, string, string];
  const address = `${type}.${name}`;
  const change = plan.resource_changes?.find((r) => r.address === address)?.change;
  const segments = attributePath.split(/\.|\[|\]/).filter(Boolean);
  let after: unknown = change?.after;
  let unknown: unknown = change?.after_unknown;
  for (const segment of segments) {
    after = step(after, segment);
    unknown = unknown === true ? true : step(unknown, segment);
  }
  if (unknown !== true && after !== undefined && after !== null) return after;
  const known = (change?.after && typeof change.after === "object" ? change.after : {}) as Json;
  const attribute = segments.filter((s) => !/^\d+$/.test(s)).join(".");
  return placeholder(type, attribute, { region, account, known, seed: `${address}.${attributePath}` });
}

/** Replaces every single-reference string in a synthesized output value; other expressions get a generic placeholder. */
function substitute(value: unknown, plan: PlanJson, region: string, account: string, seed: string): unknown {
  if (typeof value === "string") {
    const reference = REFERENCE.exec(value);
    if (reference) return resolveReference(reference, plan, region, account);
    return value.includes("${") ? `offline-placeholder-${hex(seed, 12)}` : value;
  }
  if (Array.isArray(value)) return value.map((v, i) => substitute(v, plan, region, account, `${seed}[${i}]`));
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, plan, region, account, `${seed}.${k}`)]));
  return value;
}

/** The type constraint Terraform's state records for a JSON value. */
export function ctyType(value: unknown): unknown {
  if (typeof value === "string") return "string";
  if (typeof value === "number") return "number";
  if (typeof value === "boolean") return "bool";
  if (Array.isArray(value)) return ["tuple", value.map(ctyType)];
  if (value && typeof value === "object") return ["object", Object.fromEntries(Object.entries(value).map(([k, v]) => [k, ctyType(v)]))];
  return "dynamic";
}

const isWhollyKnown = (unknown: unknown): boolean =>
  unknown === undefined || unknown === false || (Array.isArray(unknown) ? unknown.every(isWhollyKnown) : typeof unknown === "object" && unknown !== null ? Object.values(unknown).every(isWhollyKnown) : unknown !== true);

/** The outputs a stack would have after a real apply: planned where known, placeholders elsewhere. */
export function standInOutputs(stack: Json, plan: PlanJson): Record<string, unknown> {
  const provider = ((stack.provider as Json | undefined)?.aws as Json[] | undefined)?.[0] ?? {};
  const region = String(provider.region ?? "us-east-1");
  const account = String((provider.allowed_account_ids as string[] | undefined)?.[0] ?? "123456789012");
  const outputs = (stack.output ?? {}) as Record<string, { value: unknown }>;
  return Object.fromEntries(Object.entries(outputs).map(([name, output]) => {
    const change = plan.output_changes?.[name];
    const value = change && isWhollyKnown(change.after_unknown) && change.after !== undefined && change.after !== null
      ? change.after
      : substitute(output.value, plan, region, account, name);
    return [name, value];
  }));
}

/** A Terraform state (format 4) holding only outputs: all `terraform_remote_state` reads. */
export function standInState(stackName: string, outputs: Readonly<Record<string, unknown>>): Json {
  return {
    version: 4,
    terraform_version: "1.5.0",
    serial: 1,
    lineage: uuid(`lineage/${stackName}`),
    outputs: Object.fromEntries(Object.entries(outputs).map(([name, value]) => [name, { value, type: ctyType(value), sensitive: name.startsWith("cross-stack-output-") }])),
    resources: [],
    check_results: null,
  };
}

/** The stacks a synthesized stack reads through cdktf's cross-stack `terraform_remote_state` data sources. */
export function upstreamStacks(stack: Json): string[] {
  const remote = ((stack.data as Json | undefined)?.terraform_remote_state ?? {}) as Json;
  return Object.keys(remote).filter((n) => n.startsWith("cross-stack-reference-input-")).map((n) => n.slice("cross-stack-reference-input-".length)).sort();
}
