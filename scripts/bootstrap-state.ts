/**
 * Creates (or checks) the S3 bucket an environment's Terraform state lives in: the step before the first
 * deploy, since the bucket cannot be kept in the state it holds.
 *
 *   npm run synth
 *   npm run bootstrap-state -- <env> [--dry-run] [--output json] [--outdir cdktf.out]
 *
 * The settings are read from the synthesized S3 backend block of the environment's stacks (the block
 * Terraform reads); with the central-bucket layout the role named there is assumed first, as Terraform
 * assumes it. The work is in scripts/lib/deploy/state-bucket.ts.
 */
import { S3Client } from "@aws-sdk/client-s3";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { EXIT, EXIT_CODE_HELP, ScriptError, parseFlags, runScript } from "./lib/cli.ts";
import { applyStateBucket, grantProblems, planStateBucket, readStateBucket, stateBucketSettings, type StateBucketSettings } from "./lib/deploy/state-bucket.ts";
import { readEnvironmentStacks } from "./lib/terraform/synth-output.ts";

const HELP = `usage: npm run bootstrap-state -- <env> [--grant <role-arn>]... [--dry-run] [--output json] [--outdir <dir>]

Creates or checks the state bucket named in <env>'s synthesized S3 backend: versioning, default
encryption (SSE-KMS with the backend's key, or SSE-S3), all four public access blocks, a policy that
denies requests without TLS, and a rule expiring state versions 90 days after they are replaced.
Run it after \`npm run synth\` and before the first \`npm run deploy\`, with credentials for the account
the bucket belongs in (or that may assume the backend's role). A bucket that is already right is left alone.

  --grant <arn>   a deploying role of another account that reaches this bucket directly (no role to
                  assume): the bucket policy lets exactly the roles given read and write <env>'s keys;
                  without --grant, a grant made before is left as it is
  --dry-run       print what would change, change nothing (reads the bucket if it exists)
  --output json   machine-readable result
  --outdir <dir>  the synth output (default cdktf.out, or $CDKTF_OUTDIR)

${EXIT_CODE_HELP}`;

function readSettings(outdir: string, environment: string): StateBucketSettings {
  try {
    return stateBucketSettings(readEnvironmentStacks(outdir, environment), environment);
  } catch (error) {
    throw new ScriptError(EXIT.usage, (error as Error).message);
  }
}

/** An S3 client for the bucket: as the backend's role where it names one, as the caller otherwise. */
async function bucketClient(settings: StateBucketSettings): Promise<S3Client> {
  // S3-compatible endpoints (moto, LocalStack) serve buckets by path, not by host name.
  const forcePathStyle = Boolean(process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL);
  if (!settings.assumeRole) return new S3Client({ region: settings.region, forcePathStyle });
  const sts = new STSClient({ region: settings.region });
  try {
    const { roleArn, externalId, sessionName } = settings.assumeRole;
    const { Credentials: c } = await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: sessionName ?? "dbstack-bootstrap-state", ...(externalId ? { ExternalId: externalId } : {}) }));
    if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error("AssumeRole returned no credentials");
    return new S3Client({ region: settings.region, forcePathStyle, credentials: { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken } });
  } catch (error) {
    throw new ScriptError(EXIT.aws, `cannot assume ${settings.assumeRole.roleArn}: ${(error as Error).message}`);
  } finally {
    sts.destroy();
  }
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const environment = argv[0] && !argv[0].startsWith("-") ? argv[0] : undefined;
  process.argv.splice(2, environment ? 1 : 0);
  const flags = parseFlags({ "dry-run": { type: "boolean", default: false }, output: { type: "string", default: "text" }, outdir: { type: "string" }, grant: { type: "string", multiple: true } }, HELP);
  if (!flags) return EXIT.ok;
  if (!environment) throw new ScriptError(EXIT.usage, `name the environment, e.g. npm run bootstrap-state -- staging\n\n${HELP}`);
  if (flags.output !== "text" && flags.output !== "json") throw new ScriptError(EXIT.usage, `--output must be text or json, not ${flags.output}`);
  const settings = readSettings(flags.outdir ?? process.env.CDKTF_OUTDIR ?? "cdktf.out", environment);
  const grants = flags.grant;
  const badGrants = grants ? grantProblems(settings, grants) : [];
  if (badGrants.length > 0) throw new ScriptError(EXIT.usage, badGrants.join("\n"));
  const where = `state bucket ${settings.bucket} (${settings.region}${settings.assumeRole ? `, as ${settings.assumeRole.roleArn}` : ""})`;
  const s3 = await bucketClient(settings);
  try {
    let changes;
    try {
      changes = planStateBucket(settings, await readStateBucket(s3, settings.bucket), grants);
    } catch (error) {
      throw new ScriptError(EXIT.aws, `${where}: ${(error as Error).message}`);
    }
    const planned = changes.map((change) => change.description);
    if (flags["dry-run"] || changes.length === 0) {
      console.log(flags.output === "json"
        ? JSON.stringify({ bucket: settings.bucket, region: settings.region, dryRun: flags["dry-run"], changes: planned, changed: false }, null, 2)
        : changes.length === 0 ? `${where}: up to date, nothing changed` : [`${where}: dry run, would`, ...planned.map((line) => `  - ${line}`)].join("\n"));
      return EXIT.ok;
    }
    let done: string[];
    try {
      done = await applyStateBucket(s3, changes);
    } catch (error) {
      throw new ScriptError(EXIT.aws, `${where}: ${(error as Error).message} (the changes before it were made; run again to finish)`);
    }
    console.log(flags.output === "json"
      ? JSON.stringify({ bucket: settings.bucket, region: settings.region, dryRun: false, changes: done, changed: true }, null, 2)
      : [`${where}:`, ...done.map((line) => `  - ${line}`)].join("\n"));
    return EXIT.ok;
  } finally {
    s3.destroy();
  }
}

process.exitCode = await runScript(main);
