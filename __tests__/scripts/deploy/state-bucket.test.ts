/**
 * The state bucket: its settings read from the synthesized backend blocks, the plan from what the bucket
 * has to what it must have, and `npm run bootstrap-state` as a process against moto_server's S3 and STS
 * (settings read back over the wire; a second run changes nothing). Then Terraform itself writes state
 * through the synthesized central-bucket backend (assume_role) and a downstream stack reads it back
 * through the synthesized terraform_remote_state block, so the assume_role block is one Terraform 1.11 takes
 * in both places. (moto does not keep accounts apart for S3, so the role's own boundary is not shown here.)
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DeleteBucketPolicyCommand, GetBucketEncryptionCommand, GetBucketLifecycleConfigurationCommand, GetBucketPolicyCommand, GetBucketVersioningCommand,
  GetPublicAccessBlockCommand, HeadObjectCommand, PutBucketLifecycleConfigurationCommand, PutBucketPolicyCommand, PutObjectCommand, S3Client,
} from "@aws-sdk/client-s3";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { NONCURRENT_RULE_ID, TLS_ONLY_SID, grantProblems, planStateBucket, stateBucketSettings, type StateBucketState } from "../../../scripts/lib/deploy/state-bucket.ts";
import { environments } from "../../../stacks/environments.ts";
import { synthEnvironment, thrownMessage } from "../../helpers.ts";
import { motoAvailable, startMoto } from "../../support/moto.ts";

type Json = Record<string, unknown>;
const shipped = Object.fromEntries(environments.map((e) => [e.name, synthEnvironment(e)]));
const parsedStacks = (env: string) => Object.fromEntries(Object.entries(shipped[env]!.stacks).map(([name, stack]) => [name, stack.parsed as unknown as Json]));
const KMS_KEY = "arn:aws:kms:eu-west-1:444444444444:key/0b2d6a1e-1111-4c1d-9a4e-123456789abc";

describe("state bucket settings from the synthesized backend", () => {
  it("are the bucket of the environment's own account for dev, and the central bucket through the role for prod", () => {
    expect(stateBucketSettings(parsedStacks("dev"), "dev")).toEqual({ bucket: "orders-terraform-state-111111111111", region: "eu-west-1", keyPrefix: "dbstack", environment: "dev" });
    expect(stateBucketSettings(parsedStacks("prod"), "prod")).toEqual({
      bucket: "orders-terraform-state", region: "eu-west-1", keyPrefix: "dbstack", environment: "prod",
      assumeRole: { roleArn: "arn:aws:iam::444444444444:role/orders-terraform-state", sessionName: "dbstack-prod" },
    });
  });

  it("refuse stacks of one environment that disagree, a local backend, and an environment with no stacks", () => {
    const stacks = parsedStacks("dev");
    const moved = structuredClone(stacks["dev-proxy"]!) as { terraform: { backend: { s3: Json } } };
    moved.terraform.backend.s3.bucket = "elsewhere";
    expect(thrownMessage(() => stateBucketSettings({ ...stacks, "dev-proxy": moved as unknown as Json }, "dev"))).toMatch(/^dev-proxy and dev-clients name different state backends/);
    expect(thrownMessage(() => stateBucketSettings({ "t-network": { terraform: { backend: { local: { path: "x" } } } } }, "t")))
      .toBe("t-network keeps its state in a local backend, not S3: there is no state bucket to bootstrap");
    expect(thrownMessage(() => stateBucketSettings({}, "qa"))).toBe('no stacks of environment "qa" in the synth');
  });
});

describe("the state bucket plan", () => {
  const settings = { bucket: "shop-state", region: "eu-west-1", keyPrefix: "dbstack", environment: "test", kmsKeyArn: KMS_KEY };
  const right = planStateBucket(settings, { exists: false }).length;

  it("creates and configures a missing bucket in order, the bucket first", () => {
    expect(planStateBucket(settings, { exists: false }).map((c) => c.description)).toEqual([
      "create bucket shop-state in eu-west-1",
      "turn on versioning (now never enabled)",
      `encrypt by default with SSE-KMS ${KMS_KEY}, bucket key on (now none)`,
      "block public access (BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets off now)",
      "deny requests without TLS in the bucket policy",
      "expire state versions 90 days after they are replaced",
    ]);
    expect(right).toBe(6);
  });

  it("keeps statements and lifecycle rules it does not own, and refuses a bucket in another region", () => {
    const changes = planStateBucket({ bucket: "shop-state", region: "eu-west-1", keyPrefix: "dbstack", environment: "test" }, {
      exists: true, region: "eu-west-1", versioning: "Enabled", encryption: { algorithm: "AES256" },
      publicAccessBlock: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true },
      policy: { Statement: [{ Sid: "ReadForAudit", Effect: "Allow", Principal: { AWS: "arn:aws:iam::555555555555:root" }, Action: "s3:GetObject", Resource: "arn:aws:s3:::shop-state/*" }] },
      lifecycleRules: [{ ID: "logs", Status: "Enabled", Filter: { Prefix: "logs/" }, Expiration: { Days: 7 } }],
    });
    expect(changes.map((c) => c.description)).toEqual([
      "deny requests without TLS in the bucket policy (keeping its 1 other statement)",
      "expire state versions 90 days after they are replaced (keeping 1 other lifecycle rule)",
    ]);
    const policy = JSON.parse((changes[0]!.command.input as { Policy: string }).Policy) as { Statement: Json[] };
    expect(policy.Statement.map((s) => s.Sid)).toEqual(["ReadForAudit", TLS_ONLY_SID]);
    expect(policy.Statement[1]).toEqual({
      Sid: TLS_ONLY_SID, Effect: "Deny", Principal: "*", Action: "s3:*", Resource: ["arn:aws:s3:::shop-state", "arn:aws:s3:::shop-state/*"],
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
    expect(thrownMessage(() => planStateBucket(settings, { exists: true, region: "us-east-1" })))
      .toBe("bucket shop-state is in us-east-1, but the backend says eu-west-1: bucket names are global, so choose another name or fix the region");
  });

  it("grants deploying roles of other accounts exactly this environment's keys, and keeps a grant it is not asked about", () => {
    const right = { exists: true, region: "eu-west-1", versioning: "Enabled", encryption: { algorithm: "AES256" },
      publicAccessBlock: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true },
      lifecycleRules: [{ ID: NONCURRENT_RULE_ID, Status: "Enabled", Filter: { Prefix: "" }, NoncurrentVersionExpiration: { NoncurrentDays: 90 } }] } as const;
    const plain = { bucket: "shop-state", region: "eu-west-1", keyPrefix: "teams/shop", environment: "eu-west" };
    const roles = ["arn:aws:iam::333333333333:role/deploy", "arn:aws:iam::222222222222:role/deploy"];
    const [grant] = planStateBucket(plain, right, roles);
    expect(grant!.description).toBe("deny requests without TLS; grant arn:aws:iam::333333333333:role/deploy, arn:aws:iam::222222222222:role/deploy the keys under teams/shop/eu-west/ in the bucket policy");
    const policy = JSON.parse((grant!.command.input as { Policy: string }).Policy) as { Statement: Json[] };
    expect(policy.Statement.slice(1)).toEqual([
      { Sid: "DbstackStateAccessEuWest", Effect: "Allow", Principal: { AWS: [roles[1], roles[0]] }, Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], Resource: "arn:aws:s3:::shop-state/teams/shop/eu-west/*" },
      { Sid: "DbstackStateAccessEuWestList", Effect: "Allow", Principal: { AWS: [roles[1], roles[0]] }, Action: "s3:ListBucket", Resource: "arn:aws:s3:::shop-state", Condition: { StringLike: { "s3:prefix": ["teams/shop/eu-west/*"] } } },
    ]);
    const granted = { ...right, policy: policy as StateBucketState["policy"] };
    expect(planStateBucket(plain, granted, [...roles].reverse())).toEqual([]);
    expect(planStateBucket(plain, granted)).toEqual([]);
    expect(planStateBucket(plain, granted, [roles[0]!])[0]!.description).toBe("grant arn:aws:iam::333333333333:role/deploy the keys under teams/shop/eu-west/ in the bucket policy");
    expect(grantProblems(plain, ["arn:aws:iam::333333333333:user/ci", "arn:aws-cn:iam::333333333333:role/deploy", roles[0]!])).toEqual([
      "--grant arn:aws:iam::333333333333:user/ci: must be an IAM role ARN, arn:aws:iam::<12-digit account>:role/<name>",
      "--grant arn:aws-cn:iam::333333333333:role/deploy: must be in the aws partition of the bucket's region eu-west-1",
    ]);
  });

  it("switches a bucket from SSE-S3 to the backend's key, and writes ARNs of the bucket's partition", () => {
    const current = { exists: true, region: "cn-north-1", versioning: "Enabled", encryption: { algorithm: "AES256" } } as const;
    const changes = planStateBucket({ bucket: "shop-state", region: "cn-north-1", keyPrefix: "dbstack", environment: "test", kmsKeyArn: "arn:aws-cn:kms:cn-north-1:444444444444:key/0b2d6a1e-1111-4c1d-9a4e-123456789abc" }, current);
    expect(changes[0]!.description).toBe("encrypt by default with SSE-KMS arn:aws-cn:kms:cn-north-1:444444444444:key/0b2d6a1e-1111-4c1d-9a4e-123456789abc, bucket key on (now AES256)");
    expect(JSON.stringify(changes.find((c) => c.description.startsWith("deny"))!.command.input)).toContain("arn:aws-cn:s3:::shop-state/*");
  });
});

const missing = !motoAvailable();
if (missing) console.warn("\n!!! SKIPPED: npm run bootstrap-state against S3 and STS on the wire — moto_server is not installed (pip install 'moto[server]')\n");
const terraformMissing = spawnSync("terraform", ["version"], { stdio: "ignore" }).status !== 0;
if (!missing && terraformMissing) console.warn("\n!!! SKIPPED: Terraform writing and reading state through the synthesized S3 blocks — terraform is not on PATH\n");

describe.skipIf(missing)("npm run bootstrap-state against moto_server's S3 and STS", () => {
  let moto: Awaited<ReturnType<typeof startMoto>>;
  const outdir = mkdtempSync(join(tmpdir(), "dbstack-state-"));
  const credentials = { AWS_ACCESS_KEY_ID: "AKIAEXAMPLEEXAMPLE00", AWS_SECRET_ACCESS_KEY: "example-secret-not-real", AWS_REGION: "eu-west-1" };
  const env = () => ({ ...process.env, ...credentials, AWS_ENDPOINT_URL: moto.endpoint, AWS_EC2_METADATA_DISABLED: "true", CDKTF_OUTDIR: outdir });
  const bootstrap = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", "scripts/bootstrap-state.ts", ...args], { encoding: "utf8", env: env() });
  /** A client as the caller (dev's layout) or as the state account's role (prod's), as the script reaches each bucket. */
  const client = async (roleArn?: string) => {
    const base = { region: "eu-west-1", endpoint: moto.endpoint, forcePathStyle: true };
    const keys = { accessKeyId: credentials.AWS_ACCESS_KEY_ID, secretAccessKey: credentials.AWS_SECRET_ACCESS_KEY };
    if (!roleArn) return new S3Client({ ...base, credentials: keys });
    const sts = new STSClient({ region: "eu-west-1", endpoint: moto.endpoint, credentials: keys });
    const { Credentials: c } = await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: "test-read-back" }));
    sts.destroy();
    return new S3Client({ ...base, credentials: { accessKeyId: c!.AccessKeyId!, secretAccessKey: c!.SecretAccessKey!, sessionToken: c!.SessionToken } });
  };
  const PROD_ROLE = "arn:aws:iam::444444444444:role/orders-terraform-state";

  beforeAll(async () => {
    moto = await startMoto();
    // The shipped synth, with prod's backend also naming a KMS key (SSE-KMS), as main.ts writes it.
    const stacks: Record<string, { dependencies: string[] }> = {};
    for (const name of ["dev", "prod"]) {
      for (const [stack, { parsed }] of Object.entries(shipped[name]!.stacks)) {
        const json = structuredClone(parsed) as unknown as { terraform: { backend: { s3: Json } } };
        if (name === "prod") json.terraform.backend.s3.kms_key_id = KMS_KEY;
        mkdirSync(join(outdir, "stacks", stack), { recursive: true });
        writeFileSync(join(outdir, "stacks", stack, "cdk.tf.json"), JSON.stringify(json));
        stacks[stack] = { dependencies: [] };
      }
    }
    writeFileSync(join(outdir, "manifest.json"), JSON.stringify({ stacks }));
  }, 60_000);
  afterAll(async () => {
    await moto?.stop();
  });

  it("dry run: says what it would do and creates nothing", async () => {
    const result = bootstrap("dev", "--dry-run");
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain("state bucket orders-terraform-state-111111111111 (eu-west-1): dry run, would\n  - create bucket orders-terraform-state-111111111111 in eu-west-1\n");
    const second = bootstrap("dev", "--dry-run");
    expect(second.stdout).toContain("would\n  - create bucket");
  });

  it("creates dev's bucket in the caller's account with SSE-S3, read back over the wire; the second run changes nothing", async () => {
    const first = bootstrap("dev");
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout.split("\n").filter((line) => line.startsWith("  - "))).toHaveLength(6);
    const s3 = await client();
    const Bucket = "orders-terraform-state-111111111111";
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket }))).Status).toBe("Enabled");
    expect((await s3.send(new GetBucketEncryptionCommand({ Bucket }))).ServerSideEncryptionConfiguration!.Rules![0]!.ApplyServerSideEncryptionByDefault).toEqual({ SSEAlgorithm: "AES256" });
    expect((await s3.send(new GetPublicAccessBlockCommand({ Bucket }))).PublicAccessBlockConfiguration)
      .toEqual({ BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true });
    const policy = JSON.parse((await s3.send(new GetBucketPolicyCommand({ Bucket }))).Policy!) as { Statement: Json[] };
    expect(policy.Statement).toEqual([expect.objectContaining({ Sid: TLS_ONLY_SID, Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } })]);
    expect((await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket }))).Rules).toEqual([
      expect.objectContaining({ ID: NONCURRENT_RULE_ID, Status: "Enabled", NoncurrentVersionExpiration: expect.objectContaining({ NoncurrentDays: 90 }) }),
    ]);

    const second = bootstrap("dev", "--output", "json");
    expect(second.status, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toEqual({ bucket: Bucket, region: "eu-west-1", dryRun: false, changes: [], changed: false });
    expect(bootstrap("dev").stdout).toBe(`state bucket ${Bucket} (eu-west-1): up to date, nothing changed\n`);
    s3.destroy();
  });

  it("repairs what someone changed by hand, keeping their own policy statement and lifecycle rule", async () => {
    const s3 = await client();
    const Bucket = "orders-terraform-state-111111111111";
    await s3.send(new PutBucketPolicyCommand({ Bucket, Policy: JSON.stringify({ Version: "2012-10-17", Statement: [
      { Sid: "ReadForAudit", Effect: "Allow", Principal: { AWS: "arn:aws:iam::555555555555:root" }, Action: "s3:GetObject", Resource: `arn:aws:s3:::${Bucket}/*` },
    ] }) }));
    await s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket, LifecycleConfiguration: { Rules: [
      { ID: NONCURRENT_RULE_ID, Status: "Disabled", Filter: { Prefix: "" }, NoncurrentVersionExpiration: { NoncurrentDays: 90 } },
      { ID: "logs", Status: "Enabled", Filter: { Prefix: "logs/" }, Expiration: { Days: 7 } },
    ] } }));
    const result = bootstrap("dev");
    expect(result.stdout).toBe([
      `state bucket ${Bucket} (eu-west-1):`,
      "  - deny requests without TLS in the bucket policy (keeping its 1 other statement)",
      "  - expire state versions 90 days after they are replaced (keeping 1 other lifecycle rule)", "",
    ].join("\n"));
    const policy = JSON.parse((await s3.send(new GetBucketPolicyCommand({ Bucket }))).Policy!) as { Statement: Json[] };
    expect(policy.Statement.map((s) => s.Sid)).toEqual(["ReadForAudit", TLS_ONLY_SID]);
    expect((await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket }))).Rules!.map((r) => [r.ID, r.Status])).toEqual([["logs", "Enabled"], [NONCURRENT_RULE_ID, "Enabled"]]);
    expect(bootstrap("dev").stdout).toContain("up to date, nothing changed");
    s3.destroy();
  });

  it("creates prod's central bucket as the state account's role, encrypted with the backend's key; the second run changes nothing", async () => {
    const first = bootstrap("prod");
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toContain(`state bucket orders-terraform-state (eu-west-1, as ${PROD_ROLE}):\n  - create bucket orders-terraform-state in eu-west-1\n`);
    const s3 = await client(PROD_ROLE);
    const rule = (await s3.send(new GetBucketEncryptionCommand({ Bucket: "orders-terraform-state" }))).ServerSideEncryptionConfiguration!.Rules![0]!;
    expect(rule).toMatchObject({ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: KMS_KEY }, BucketKeyEnabled: true });
    expect(bootstrap("prod").stdout).toBe(`state bucket orders-terraform-state (eu-west-1, as ${PROD_ROLE}): up to date, nothing changed\n`);
    s3.destroy();
  });

  it("grants a deploying role of another account prod's keys in the bucket policy, read back; the same grant again, or none, changes nothing", async () => {
    const deployer = "arn:aws:iam::333333333333:role/orders-prod-ci-apply";
    const granted = bootstrap("prod", "--grant", deployer);
    expect(granted.status, granted.stderr).toBe(0);
    expect(granted.stdout).toContain(`  - grant ${deployer} the keys under dbstack/prod/ in the bucket policy\n`);
    const s3 = await client(PROD_ROLE);
    const policy = JSON.parse((await s3.send(new GetBucketPolicyCommand({ Bucket: "orders-terraform-state" }))).Policy!) as { Statement: Json[] };
    expect(policy.Statement.map((s) => s.Sid)).toEqual([TLS_ONLY_SID, "DbstackStateAccessProd", "DbstackStateAccessProdList"]);
    expect(policy.Statement[1]).toMatchObject({ Principal: { AWS: [deployer] }, Resource: "arn:aws:s3:::orders-terraform-state/dbstack/prod/*" });
    expect(bootstrap("prod", "--grant", deployer).stdout).toContain("up to date, nothing changed");
    expect(bootstrap("prod").stdout).toContain("up to date, nothing changed");
    const bad = bootstrap("prod", "--grant", "arn:aws:iam::333333333333:user/ci");
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("--grant arn:aws:iam::333333333333:user/ci: must be an IAM role ARN");
    s3.destroy();
  });

  it("refuses an environment the synth does not have, and a missing synth, with exit 2", () => {
    expect(bootstrap("qa").status).toBe(2);
    const noSynth = spawnSync(process.execPath, ["--import", "tsx", "scripts/bootstrap-state.ts", "dev", "--outdir", join(outdir, "nowhere")], { encoding: "utf8", env: env() });
    expect(noSynth.status).toBe(2);
    expect(noSynth.stderr).toContain(`cannot read ${join(outdir, "nowhere", "manifest.json")}: run npm run synth first`);
    expect(bootstrap("--dry-run").stderr).toContain("name the environment, e.g. npm run bootstrap-state -- staging");
  });

  it.skipIf(terraformMissing)("lets Terraform write prod's state through the synthesized backend (assume_role) and a downstream stack read it through the synthesized remote state", async () => {
    // Only what points Terraform at moto is added; bucket, key, region, encryption and assume_role are the synth's.
    const emulator = { endpoints: { s3: moto.endpoint, sts: moto.endpoint }, use_path_style: true, skip_credentials_validation: true, skip_requesting_account_id: true, skip_metadata_api_check: true, skip_region_validation: true };
    const prod = shipped.prod!.stacks;
    const backend: Json = { ...(prod["prod-network"]!.parsed.terraform.backend as { s3: Json }).s3, ...emulator };
    expect(backend.assume_role).toEqual({ role_arn: PROD_ROLE, session_name: "dbstack-prod" });
    const remote = prod["prod-database"]!.parsed.data!.terraform_remote_state!["cross-stack-reference-input-prod-network"]! as { config: Json };
    // moto serves plain HTTP, which the bootstrap's TLS-only policy refuses to everyone, the state role
    // included, as AWS would; with that shown, the statement goes for this test only.
    const s3 = await client(PROD_ROLE);
    const refused = await s3.send(new PutObjectCommand({ Bucket: "orders-terraform-state", Key: "dbstack/prod/probe", Body: "x" })).then(() => undefined, (error: { $metadata?: { httpStatusCode?: number } }) => error.$metadata?.httpStatusCode);
    expect(refused).toBe(403);
    await s3.send(new DeleteBucketPolicyCommand({ Bucket: "orders-terraform-state" }));
    const work = mkdtempSync(join(tmpdir(), "dbstack-tf-state-"));
    const cliConfig = join(work, "terraform.rc");
    writeFileSync(cliConfig, "");
    const run = (dir: string, ...args: string[]) => execFileSync("terraform", [`-chdir=${dir}`, ...args], {
      encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...env(), TF_IN_AUTOMATION: "1", CHECKPOINT_DISABLE: "1", TF_CLI_CONFIG_FILE: cliConfig },
    });
    const writer = join(work, "writer");
    mkdirSync(writer);
    writeFileSync(join(writer, "main.tf.json"), JSON.stringify({ terraform: { backend: { s3: backend } }, output: { vpc_id: { value: "vpc-0123456789abcdef0" } } }));
    run(writer, "init", "-input=false", "-no-color");
    run(writer, "apply", "-auto-approve", "-input=false", "-no-color");
    const reader = join(work, "reader");
    mkdirSync(reader);
    writeFileSync(join(reader, "main.tf.json"), JSON.stringify({
      data: { terraform_remote_state: { network: { ...remote, config: { ...remote.config, ...emulator } } } },
      output: { read: { value: "${data.terraform_remote_state.network.outputs.vpc_id}" } },
    }));
    run(reader, "init", "-input=false", "-no-color");
    run(reader, "apply", "-auto-approve", "-input=false", "-no-color");
    expect(JSON.parse(run(reader, "output", "-json")).read.value).toBe("vpc-0123456789abcdef0");
    expect((await s3.send(new HeadObjectCommand({ Bucket: "orders-terraform-state", Key: "dbstack/prod/network.tfstate" }))).ContentLength).toBeGreaterThan(0);
    s3.destroy();
  }, 120_000);
});
