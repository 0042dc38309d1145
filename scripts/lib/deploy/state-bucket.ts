/**
 * The S3 bucket an environment's Terraform state lives in, made the way the README says it must be:
 * versioned, encrypted by default (SSE-KMS with the backend's key, or SSE-S3), public access blocked
 * (all four settings), TLS-only (a bucket policy that denies `aws:SecureTransport` false), and a lifecycle
 * rule that expires old state versions. The bucket cannot live in the Terraform state it holds, so this
 * runs before the first deploy, with the SDK (`npm run bootstrap-state -- <env>`).
 *
 * Settings come from the synthesized backend block, the one Terraform itself reads, so the bucket made
 * here is the bucket every stack writes to. The work is read → plan (pure) → apply; the plan of a bucket
 * that is already right is empty, so a second run changes nothing. Statements and lifecycle rules that
 * dbstack does not own (other Sids and IDs) are kept: several environments, or other tools, may share
 * the bucket.
 */
import {
  CreateBucketCommand, GetBucketEncryptionCommand, GetBucketLifecycleConfigurationCommand, GetBucketLocationCommand,
  GetBucketPolicyCommand, GetBucketVersioningCommand, GetPublicAccessBlockCommand, HeadBucketCommand, PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand, PutBucketPolicyCommand, PutBucketVersioningCommand, PutPublicAccessBlockCommand,
  type LifecycleRule, type S3Client,
} from "@aws-sdk/client-s3";

type Json = Record<string, unknown>;

/** Where the state bucket is and how a run reaches it: the S3 backend block's settings. */
export interface StateBucketSettings {
  readonly bucket: string;
  readonly region: string;
  /** The environment's keys are "<keyPrefix>/<environment>/<layer>.tfstate". */
  readonly keyPrefix: string;
  readonly environment: string;
  /** The key state objects are encrypted with; absent means SSE-S3. */
  readonly kmsKeyArn?: string;
  /** The central-bucket layout: the role in the state account that every run assumes. */
  readonly assumeRole?: { readonly roleArn: string; readonly externalId?: string; readonly sessionName?: string };
}

/** dbstack's own statement and rule, found again by Sid and ID on the next run. */
export const TLS_ONLY_SID = "DbstackDenyInsecureTransport";
export const NONCURRENT_RULE_ID = "dbstack-expire-noncurrent-state";
/** Old state versions are the undo of a bad apply: kept 90 days after they are replaced, then expired. */
export const NONCURRENT_VERSION_DAYS = 90;
const PUBLIC_ACCESS_BLOCK = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true } as const;

/**
 * The backend settings of one environment from its synthesized stacks (stack name -> cdk.tf.json).
 * Every stack must name the same bucket, region, key and role: one environment, one bucket.
 */
export function stateBucketSettings(stacks: Readonly<Record<string, Json>>, environment: string): StateBucketSettings {
  const names = Object.keys(stacks).sort();
  if (names.length === 0) throw new Error(`no stacks of environment "${environment}" in the synth`);
  const found = names.map((name) => {
    const backend = ((stacks[name]!.terraform as Json | undefined)?.backend ?? {}) as Json;
    const s3 = backend.s3 as Json | undefined;
    if (!s3) throw new Error(`${name} keeps its state in a ${Object.keys(backend)[0] ?? "local"} backend, not S3: there is no state bucket to bootstrap`);
    const role = s3.assume_role as Json | undefined;
    const key = String(s3.key);
    const settings: StateBucketSettings = {
      bucket: String(s3.bucket),
      region: String(s3.region),
      keyPrefix: key.slice(0, Math.max(0, key.lastIndexOf(`/${environment}/`))),
      environment,
      ...(typeof s3.kms_key_id === "string" ? { kmsKeyArn: s3.kms_key_id } : {}),
      ...(role ? { assumeRole: {
        roleArn: String(role.role_arn),
        ...(typeof role.external_id === "string" ? { externalId: role.external_id } : {}),
        ...(typeof role.session_name === "string" ? { sessionName: role.session_name } : {}),
      } } : {}),
    };
    return [name, settings] as const;
  });
  const [first, settings] = found[0]!;
  for (const [name, other] of found.slice(1)) {
    if (JSON.stringify(other) !== JSON.stringify(settings)) throw new Error(`${name} and ${first} name different state backends (${JSON.stringify(other)} and ${JSON.stringify(settings)}): synthesize again`);
  }
  return settings;
}

/** What the bucket has now; `undefined` fields are settings it lacks. */
export interface StateBucketState {
  readonly exists: boolean;
  readonly region?: string;
  readonly versioning?: string;
  readonly encryption?: { readonly algorithm: string; readonly kmsKeyId?: string; readonly bucketKey?: boolean };
  readonly publicAccessBlock?: Readonly<Record<string, boolean | undefined>>;
  readonly policy?: { readonly Version?: string; readonly Statement: readonly Json[] };
  readonly lifecycleRules?: readonly LifecycleRule[];
}

/** One change to make, as the S3 call that makes it. */
export interface StateBucketChange {
  readonly description: string;
  readonly command: CreateBucketCommand | PutBucketVersioningCommand | PutBucketEncryptionCommand | PutPublicAccessBlockCommand | PutBucketPolicyCommand | PutBucketLifecycleConfigurationCommand;
}

/** The partition of a region, for the bucket's ARN in its policy. */
function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

function tlsOnlyStatement(settings: StateBucketSettings): Json {
  const arn = `arn:${partitionOf(settings.region)}:s3:::${settings.bucket}`;
  return {
    Sid: TLS_ONLY_SID,
    Effect: "Deny",
    Principal: "*",
    Action: "s3:*",
    Resource: [arn, `${arn}/*`],
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  };
}

/** The Sid of the statements granting other accounts' roles this environment's keys: letters and digits only. */
export function accessSid(environment: string): string {
  return `DbstackStateAccess${environment.split(/[^A-Za-z0-9]+/).map((part) => part.charAt(0).toUpperCase() + part.slice(1)).join("")}`;
}

/**
 * The optional grant for a central bucket that deploying roles of other accounts reach directly (no role
 * to assume): read and write of this environment's keys (state and lock files), list under its prefix.
 */
function accessStatements(settings: StateBucketSettings, roleArns: readonly string[]): Json[] {
  const arn = `arn:${partitionOf(settings.region)}:s3:::${settings.bucket}`;
  const prefix = `${settings.keyPrefix}/${settings.environment}/`;
  const sid = accessSid(settings.environment);
  return [
    { Sid: sid, Effect: "Allow", Principal: { AWS: [...roleArns].sort() }, Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], Resource: `${arn}/${prefix}*` },
    { Sid: `${sid}List`, Effect: "Allow", Principal: { AWS: [...roleArns].sort() }, Action: "s3:ListBucket", Resource: arn, Condition: { StringLike: { "s3:prefix": [`${prefix}*`] } } },
  ];
}

const IAM_ROLE_ARN = /^arn:(aws|aws-cn|aws-us-gov):iam::\d{12}:role\/(?:[\x21-\x7e]{1,510}\/)?[\w+=,.@-]{1,64}$/;

/** Problems with roles to grant: each an IAM role ARN of the bucket's partition. */
export function grantProblems(settings: StateBucketSettings, roleArns: readonly string[]): string[] {
  const partition = partitionOf(settings.region);
  return roleArns.flatMap((arn) => {
    if (!IAM_ROLE_ARN.test(arn)) return [`--grant ${arn}: must be an IAM role ARN, arn:${partition}:iam::<12-digit account>:role/<name>`];
    if (arn.split(":")[1] !== partition) return [`--grant ${arn}: must be in the ${partition} partition of the bucket's region ${settings.region}`];
    return [];
  });
}

const noncurrentRule: LifecycleRule = {
  ID: NONCURRENT_RULE_ID,
  Status: "Enabled",
  Filter: { Prefix: "" },
  NoncurrentVersionExpiration: { NoncurrentDays: NONCURRENT_VERSION_DAYS },
};

/** Canonical JSON (sorted keys, one-element arrays as their element) so AWS's rewrites of a policy compare equal. */
function canonical(value: unknown): string {
  const normal = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.length === 1 ? normal(v[0]) : v.map(normal);
    if (v && typeof v === "object") return Object.fromEntries(Object.keys(v).sort().map((k) => [k, normal((v as Json)[k])]));
    return v;
  };
  return JSON.stringify(normal(value));
}

/**
 * The changes that take the bucket from `current` to what `settings` asks for, in the order they must
 * run (the bucket first). Empty when the bucket is already right. Throws when the bucket exists in
 * another region than the backend names, which no change here can fix. `grants` (IAM role ARNs of other
 * accounts) become the environment's access statements, exactly those roles; without it, access
 * statements already there are kept as they are.
 */
export function planStateBucket(settings: StateBucketSettings, current: StateBucketState, grants?: readonly string[]): StateBucketChange[] {
  const { bucket, region } = settings;
  if (current.exists && current.region !== undefined && current.region !== region) {
    throw new Error(`bucket ${bucket} is in ${current.region}, but the backend says ${region}: bucket names are global, so choose another name or fix the region`);
  }
  const changes: StateBucketChange[] = [];
  if (!current.exists) {
    changes.push({
      description: `create bucket ${bucket} in ${region}`,
      // us-east-1 is the one region CreateBucket refuses as a LocationConstraint.
      command: new CreateBucketCommand({ Bucket: bucket, ...(region === "us-east-1" ? {} : { CreateBucketConfiguration: { LocationConstraint: region as never } }) }),
    });
  }
  if (current.versioning !== "Enabled") {
    changes.push({ description: `turn on versioning (now ${current.versioning ?? "never enabled"})`, command: new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }) });
  }
  const wanted = settings.kmsKeyArn ? { algorithm: "aws:kms", kmsKeyId: settings.kmsKeyArn, bucketKey: true } : { algorithm: "AES256" };
  const encryptionOk = current.encryption?.algorithm === wanted.algorithm
    && (wanted.algorithm === "AES256" || (current.encryption.kmsKeyId === wanted.kmsKeyId && current.encryption.bucketKey === true));
  if (!encryptionOk) {
    const now = current.encryption ? `${current.encryption.algorithm}${current.encryption.kmsKeyId ? ` ${current.encryption.kmsKeyId}` : ""}` : "none";
    changes.push({
      description: settings.kmsKeyArn ? `encrypt by default with SSE-KMS ${settings.kmsKeyArn}, bucket key on (now ${now})` : `encrypt by default with SSE-S3 (now ${now})`,
      command: new PutBucketEncryptionCommand({
        Bucket: bucket,
        ServerSideEncryptionConfiguration: { Rules: [settings.kmsKeyArn
          ? { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: settings.kmsKeyArn }, BucketKeyEnabled: true }
          : { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }] },
      }),
    });
  }
  const blockOff = Object.keys(PUBLIC_ACCESS_BLOCK).filter((key) => current.publicAccessBlock?.[key] !== true);
  if (blockOff.length > 0) {
    changes.push({ description: `block public access (${blockOff.join(", ")} off now)`, command: new PutPublicAccessBlockCommand({ Bucket: bucket, PublicAccessBlockConfiguration: { ...PUBLIC_ACCESS_BLOCK } }) });
  }
  const statements = current.policy?.Statement ?? [];
  const wantedOwn = [tlsOnlyStatement(settings)];
  const ownSids = new Set([TLS_ONLY_SID]);
  if (grants && grants.length > 0) {
    const access = accessStatements(settings, grants);
    wantedOwn.push(...access);
    for (const statement of access) ownSids.add(String(statement.Sid));
  }
  const has = (wanted: Json) => statements.some((s) => s.Sid === wanted.Sid && canonical(s) === canonical(wanted));
  const missing = wantedOwn.filter((wanted) => !has(wanted));
  if (missing.length > 0) {
    const kept = statements.filter((s) => !ownSids.has(String(s.Sid)));
    const what = [
      ...(missing.some((s) => s.Sid === TLS_ONLY_SID) ? ["deny requests without TLS"] : []),
      ...(missing.some((s) => s.Sid !== TLS_ONLY_SID) ? [`grant ${grants!.join(", ")} the keys under ${settings.keyPrefix}/${settings.environment}/`] : []),
    ];
    changes.push({
      description: `${what.join("; ")} in the bucket policy${kept.length ? ` (keeping its ${kept.length} other statement${kept.length === 1 ? "" : "s"})` : ""}`,
      command: new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify({ Version: "2012-10-17", Statement: [...kept, ...wantedOwn] }) }),
    });
  }
  const rules = current.lifecycleRules ?? [];
  const rule = rules.find((r) => r.ID === NONCURRENT_RULE_ID);
  const ruleOk = rule?.Status === "Enabled" && rule.NoncurrentVersionExpiration?.NoncurrentDays === NONCURRENT_VERSION_DAYS
    && (rule.Filter?.Prefix ?? rule.Prefix ?? "") === "" && rule.Filter?.And === undefined && rule.Filter?.Tag === undefined;
  if (!ruleOk) {
    const kept = rules.filter((r) => r.ID !== NONCURRENT_RULE_ID);
    changes.push({
      description: `expire state versions ${NONCURRENT_VERSION_DAYS} days after they are replaced${kept.length ? ` (keeping ${kept.length} other lifecycle rule${kept.length === 1 ? "" : "s"})` : ""}`,
      command: new PutBucketLifecycleConfigurationCommand({ Bucket: bucket, LifecycleConfiguration: { Rules: [...kept, noncurrentRule] } }),
    });
  }
  return changes;
}

/** The names S3 answers with when a bucket has no such configuration yet. */
const NOT_CONFIGURED = new Set([
  "NoSuchBucketPolicy", "ServerSideEncryptionConfigurationNotFoundError", "NoSuchPublicAccessBlockConfiguration", "NoSuchLifecycleConfiguration",
]);

async function unlessNotConfigured<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (error) {
    if (NOT_CONFIGURED.has((error as Error).name)) return undefined;
    throw error;
  }
}

/** Reads what the bucket has now. A bucket these credentials cannot see (403) is an error, not "missing". */
export async function readStateBucket(s3: S3Client, bucket: string): Promise<StateBucketState> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 404 || (error as Error).name === "NotFound" || (error as Error).name === "NoSuchBucket") return { exists: false };
    if (status === 403) throw new Error(`bucket ${bucket} exists but these credentials may not read it: another account owns the name, or the role lacks s3:ListBucket`);
    throw error;
  }
  const [location, versioning, encryption, publicAccess, policy, lifecycle] = await Promise.all([
    s3.send(new GetBucketLocationCommand({ Bucket: bucket })),
    s3.send(new GetBucketVersioningCommand({ Bucket: bucket })),
    unlessNotConfigured(s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }))),
    unlessNotConfigured(s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }))),
    unlessNotConfigured(s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))),
    unlessNotConfigured(s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }))),
  ]);
  const rule = encryption?.ServerSideEncryptionConfiguration?.Rules?.[0];
  const byDefault = rule?.ApplyServerSideEncryptionByDefault;
  return {
    exists: true,
    // GetBucketLocation answers us-east-1 with an empty constraint (and very old buckets in eu-west-1 with "EU").
    region: !location.LocationConstraint ? "us-east-1" : location.LocationConstraint === "EU" ? "eu-west-1" : location.LocationConstraint,
    ...(versioning.Status ? { versioning: versioning.Status } : {}),
    ...(byDefault?.SSEAlgorithm ? { encryption: {
      algorithm: byDefault.SSEAlgorithm,
      ...(byDefault.KMSMasterKeyID ? { kmsKeyId: byDefault.KMSMasterKeyID } : {}),
      ...(rule?.BucketKeyEnabled !== undefined ? { bucketKey: rule.BucketKeyEnabled } : {}),
    } } : {}),
    ...(publicAccess?.PublicAccessBlockConfiguration ? { publicAccessBlock: { ...publicAccess.PublicAccessBlockConfiguration } } : {}),
    ...(policy?.Policy ? { policy: JSON.parse(policy.Policy) as StateBucketState["policy"] } : {}),
    ...(lifecycle?.Rules ? { lifecycleRules: lifecycle.Rules } : {}),
  };
}

/** Makes the changes one by one, in order; returns what was done. */
export async function applyStateBucket(s3: S3Client, changes: readonly StateBucketChange[]): Promise<string[]> {
  const done: string[] = [];
  for (const change of changes) {
    await s3.send(change.command as never);
    done.push(change.description);
  }
  return done;
}
