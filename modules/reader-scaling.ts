/**
 * Aurora readers: how many Terraform creates, each one's settings, and Aurora Auto Scaling of the replica
 * count (Application Auto Scaling, scalable dimension `rds:cluster:ReadReplicaCount`, a target tracking
 * policy on the readers' average CPU or connections).
 *
 * The two traps of terraform-aws-modules rds-aurora are handled here and in `npm run destroy`: Terraform
 * itself creates `min` readers (rds-aurora#355, #297: a policy alone creates none until load rises), and
 * the replicas Auto Scaling adds ("application-autoscaling-<uuid>", same class as the writer, promotion tier
 * 15) are not in Terraform's state, so destroy removes them before the cluster (terraform-provider-aws#19536).
 */
import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import { AppautoscalingPolicy } from "@cdktf/provider-aws/lib/appautoscaling-policy/index.js";
import { AppautoscalingTarget } from "@cdktf/provider-aws/lib/appautoscaling-target/index.js";
import { maxConnections } from "./budget.ts";
import { AURORA_INSTANCE_CLASSES, type DatabaseEngine } from "./database-engines.ts";
import { Problems, isRecord } from "./validation.ts";

// ---------------------------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------------------------

/** AWS: an Aurora cluster has one writer and up to 15 Aurora Replicas (Amazon Aurora User Guide, Aurora Replicas). */
export const MAX_AURORA_REPLICAS = 15;

/** One reader Terraform creates; what is left out follows the writer. */
export interface ReaderInstanceInput {
  /** @default the cluster's instanceClass */
  readonly instanceClass?: string;
  /** Failover priority, 0 (first) .. 15 (last). @default the reader's position (1, 2, …), at most 15 */
  readonly promotionTier?: number;
  /** One of the environment's availabilityZones. @default the zones in turn, writer first */
  readonly availabilityZone?: string;
}

/** The metric Aurora Auto Scaling keeps near its target. */
export const READER_METRICS = {
  /** Average CPU utilisation of the readers, in percent. */
  cpu: "RDSReaderAverageCPUUtilization",
  /** Average number of connections per reader. */
  connections: "RDSReaderAverageDatabaseConnections",
} as const;
export type ReaderMetric = keyof typeof READER_METRICS;

export interface ReaderScalingInput {
  /** Readers Terraform creates and Auto Scaling never goes below: 1..15. */
  readonly min: number;
  /** Readers Auto Scaling may add up to (Terraform's included): min..15. */
  readonly max: number;
  /** cpu: percent, more than 0 and at most 100; connections: a whole number, at most what one reader's max_connections allows. */
  readonly target: { readonly metric: ReaderMetric; readonly value: number };
  /** Seconds after a scale-in before the next one, 0..86400. @default 300 */
  readonly scaleInCooldownSeconds?: number;
  /** Seconds after a scale-out before the next one, 0..86400. @default 300 */
  readonly scaleOutCooldownSeconds?: number;
  /** Settings of the `min` readers Terraform creates, first to last; at most `min` entries. @default all like the writer */
  readonly instances?: readonly ReaderInstanceInput[];
}

/**
 * Aurora readers besides the writer: a count, one settings entry per reader, or a scaling range whose
 * `min` readers Terraform creates and Aurora Auto Scaling adds to.
 */
export type ReadersInput = number | readonly ReaderInstanceInput[] | ReaderScalingInput;

export interface ReaderScalingSettings {
  readonly min: number;
  readonly max: number;
  readonly metric: ReaderMetric;
  readonly targetValue: number;
  readonly scaleInCooldownSeconds: number;
  readonly scaleOutCooldownSeconds: number;
}

const DEFAULT_COOLDOWN_SECONDS = 300;
const MAX_COOLDOWN_SECONDS = 86400;

const isScaling = (readers: ReadersInput | undefined): readers is ReaderScalingInput => isRecord(readers);

/** How many readers Terraform creates. */
export function readerCount(readers: ReadersInput | undefined): number {
  if (readers === undefined) return 0;
  if (typeof readers === "number") return readers;
  if (Array.isArray(readers)) return readers.length;
  return isScaling(readers) ? readers.min : 0;
}

/** Each Terraform-created reader's own settings (index 0 is the first reader), where given. */
export function readerInstances(readers: ReadersInput | undefined): readonly ReaderInstanceInput[] {
  if (Array.isArray(readers)) return readers;
  return isScaling(readers) ? readers.instances ?? [] : [];
}

/** The scaling settings with defaults; undefined for a count or a list (or a range too broken to use, which validation reports). */
export function resolveReaderScaling(readers: ReadersInput | undefined): ReaderScalingSettings | undefined {
  if (!isScaling(readers) || !isRecord(readers.target)) return undefined;
  return {
    min: readers.min, max: readers.max, metric: readers.target.metric, targetValue: readers.target.value,
    scaleInCooldownSeconds: readers.scaleInCooldownSeconds ?? DEFAULT_COOLDOWN_SECONDS,
    scaleOutCooldownSeconds: readers.scaleOutCooldownSeconds ?? DEFAULT_COOLDOWN_SECONDS,
  };
}

/** What the readers are checked against: the cluster's engine and capacity. */
export interface ReaderContext {
  readonly engine: DatabaseEngine;
  /** The cluster's instance class when it is a valid provisioned one. */
  readonly instanceClass?: string;
  /** Serverless v2: instances scale their capacity, Aurora Auto Scaling of replicas is not offered here. */
  readonly serverless: boolean;
  /** database.maxConnections, which replaces the class's default. */
  readonly maxConnectionsOverride?: number;
}

/** Problems with `database.readers` of an Aurora cluster, at `readers`. */
export function validateReaders(readers: unknown, context: ReaderContext, problems: Problems): void {
  if (readers === undefined) return;
  if (typeof readers === "number") {
    problems.integer("readers", readers, 0, MAX_AURORA_REPLICAS);
    return;
  }
  if (Array.isArray(readers)) {
    problems.check(readers.length <= MAX_AURORA_REPLICAS, "readers", `${readers.length} readers`,
      `must list at most ${MAX_AURORA_REPLICAS} readers: an Aurora cluster has at most ${MAX_AURORA_REPLICAS} Aurora Replicas`);
    readers.forEach((reader, i) => validateReaderInstance(reader, context, problems.at(`readers[${i}]`)));
    return;
  }
  if (!problems.check(isRecord(readers), "readers", readers, "must be a count (0..15), a list of { instanceClass?, promotionTier?, availabilityZone? }, or { min, max, target }")) return;
  const at = problems.at("readers");
  if (!at.check(!context.serverless, "", "(scaling)", "Aurora Auto Scaling of readers applies to provisioned instance classes here; Serverless v2 readers scale their own capacity (serverless.maxCapacity)")) return;
  const s = readers as Partial<ReaderScalingInput>;
  // At least one: the proxy's read-only endpoint exists from the first deploy and needs a reader behind it.
  const minOk = at.integer("min", s.min, 1, MAX_AURORA_REPLICAS);
  const maxOk = at.integer("max", s.max, 1, MAX_AURORA_REPLICAS);
  if (minOk && maxOk) at.check(s.min! <= s.max!, "min", s.min, `must not exceed max (${s.max})`);
  const target = s.target;
  if (at.check(isRecord(target), "target", target, 'must be { metric: "cpu" | "connections", value }') && at.oneOf("target.metric", target!.metric, Object.keys(READER_METRICS))) {
    const value = target!.value;
    if (target!.metric === "cpu") {
      at.check(typeof value === "number" && value > 0 && value <= 100, "target.value", value, "must be a CPU percentage: more than 0, at most 100");
    } else {
      const limit = context.instanceClass === undefined ? undefined : maxConnections(context.engine, context.instanceClass, undefined, context.maxConnectionsOverride);
      at.check(typeof value === "number" && Number.isInteger(value) && value >= 1 && (limit === undefined || value <= limit.value), "target.value", value,
        `must be a whole number of connections per reader, at least 1${limit ? ` and at most one reader's max_connections (${limit.value}: ${limit.source})` : ""}`);
    }
  }
  if (s.scaleInCooldownSeconds !== undefined) at.integer("scaleInCooldownSeconds", s.scaleInCooldownSeconds, 0, MAX_COOLDOWN_SECONDS);
  if (s.scaleOutCooldownSeconds !== undefined) at.integer("scaleOutCooldownSeconds", s.scaleOutCooldownSeconds, 0, MAX_COOLDOWN_SECONDS);
  if (s.instances !== undefined && at.check(Array.isArray(s.instances), "instances", s.instances, "must be a list of { instanceClass?, promotionTier?, availabilityZone? }")) {
    if (minOk) at.check(s.instances.length <= s.min!, "instances", `${s.instances.length} entries`, `must have at most min (${s.min}) entries: they set up the readers Terraform creates`);
    s.instances.forEach((reader, i) => validateReaderInstance(reader, context, at.at(`instances[${i}]`)));
  }
}

function validateReaderInstance(reader: unknown, context: ReaderContext, problems: Problems): void {
  if (!problems.check(isRecord(reader), "", reader, "must be { instanceClass?, promotionTier?, availabilityZone? }")) return;
  const r = reader as ReaderInstanceInput;
  if (r.instanceClass !== undefined) {
    if (problems.check(!context.serverless, "instanceClass", r.instanceClass, "must not be set with serverless: every Serverless v2 instance is db.serverless")) {
      problems.check(r.instanceClass in AURORA_INSTANCE_CLASSES, "instanceClass", r.instanceClass,
        `must be an Aurora instance class (${Object.keys(AURORA_INSTANCE_CLASSES).slice(0, 6).join(", ")}, …)`);
    }
  }
  if (r.promotionTier !== undefined) problems.integer("promotionTier", r.promotionTier, 0, 15);
  if (r.availabilityZone !== undefined) problems.check(typeof r.availabilityZone === "string", "availabilityZone", r.availabilityZone, "must be a zone name");
}

/** Per-reader zones against the environment's zones (only those have database subnets), at `readers`. */
export function validateReaderZones(readers: ReadersInput | undefined, zones: readonly string[], problems: Problems): void {
  const path = Array.isArray(readers) ? (i: number) => `readers[${i}]` : (i: number) => `readers.instances[${i}]`;
  readerInstances(readers).forEach((reader, i) => {
    if (isRecord(reader) && typeof reader.availabilityZone === "string") {
      problems.check(zones.includes(reader.availabilityZone), `${path(i)}.availabilityZone`, reader.availabilityZone,
        `must be one of the environment's availabilityZones (${zones.join(", ")}): only those have database subnets`);
    }
  });
}

// ---------------------------------------------------------------------------------------------------------
// Construct
// ---------------------------------------------------------------------------------------------------------

export interface ReaderScalingProps {
  /** The cluster identifier; the scalable target's resource id is "cluster:<identifier>". */
  readonly clusterIdentifier: string;
  readonly settings: ReaderScalingSettings;
  /** The cluster and the readers Terraform creates: the target is registered once they exist. */
  readonly dependsOn: readonly ITerraformDependable[];
}

/**
 * Aurora Auto Scaling of the cluster's readers: a scalable target on the replica count (`min`..`max`) and
 * a target tracking policy on the readers' average CPU or connections, with cool-downs.
 */
export class ReaderScaling extends Construct {
  readonly policyName: string;

  constructor(scope: Construct, id: string, props: ReaderScalingProps) {
    super(scope, id);
    const s = props.settings;
    const target = new AppautoscalingTarget(this, "target", {
      serviceNamespace: "rds",
      scalableDimension: "rds:cluster:ReadReplicaCount",
      resourceId: `cluster:${props.clusterIdentifier}`,
      minCapacity: s.min,
      maxCapacity: s.max,
      dependsOn: [...props.dependsOn],
    });
    this.policyName = `${props.clusterIdentifier}-readers-${s.metric}`;
    new AppautoscalingPolicy(this, "policy", {
      name: this.policyName,
      policyType: "TargetTrackingScaling",
      serviceNamespace: target.serviceNamespace,
      scalableDimension: target.scalableDimension,
      resourceId: target.resourceId,
      targetTrackingScalingPolicyConfiguration: {
        predefinedMetricSpecification: { predefinedMetricType: READER_METRICS[s.metric] },
        targetValue: s.targetValue,
        scaleInCooldown: s.scaleInCooldownSeconds,
        scaleOutCooldown: s.scaleOutCooldownSeconds,
      },
    });
  }
}
