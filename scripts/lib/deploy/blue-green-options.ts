/**
 * The command line of npm run blue-green: flags, help, and which database the environment's outputs name
 * (the flags of one kind of database are refused on the other).
 */
import { parseArgs } from "node:util";
import { EXIT, EXIT_CODE_HELP, ScriptError } from "../cli.ts";
import type { DatabaseType } from "./blue-green-database.ts";
import { RECOVERY_WINDOW_DAYS } from "./blue-green-master-password.ts";
import { requireString, type Outputs } from "./stack-outputs.ts";

export const RELEASE_FLAG = "--release-managed-master-password";

export const HELP = `usage: npm run blue-green -- <env> --to <version> [options]
       npm run blue-green -- <env> --hand-back-only [options]

Upgrades the database of <env> (an Aurora cluster or an RDS instance) through an RDS blue/green
deployment: creates it with the target version, waits for the green side, switches over, waits for the
switchover, and prints the config change to commit. An Aurora cluster's old (blue) cluster is kept,
renamed by RDS, until you delete the deployment. An RDS instance's old blue instance is deleted by the
run (after the deployment, with a final snapshot), because Terraform tracks aws_db_instance by its
resource id and adopts the green instance only once the old one is gone; --keep-old-instance skips that.

RDS blue/green deployments do not support master passwords that RDS manages in Secrets Manager, and
dbstack databases always have one. ${RELEASE_FLAG} hands it off for the run: a new
password (Secrets Manager GetRandomPassword) is stored first in secret <identifier>-blue-green-master (same KMS key),
RDS management is turned off with that password (RDS deletes its secret), and after the switchover
management is turned back on for the green database (RDS creates a new secret) and the run's secret is
scheduled for deletion (${RECOVERY_WINDOW_DAYS} days; an old blue cluster still knows that password). While the password is
handed off, nothing that reads RDS's master secret works (the setup function, the proxy's master login).
A rerun after a stop reuses the stored password and continues the run's own deployment while it is still
PROVISIONING, AVAILABLE or SWITCHOVER_IN_PROGRESS; --hand-back-only gives management back after a failed
or rolled-back deployment (delete the deployment first unless you will retry its switchover).

  <env>                                   environment name, e.g. staging
  --to <version>                          target engine version, e.g. 16.10 or 17.6
  ${RELEASE_FLAG}       hand the RDS-managed master password off for the run and back
                                          after it
  --hand-back-only                        only give the master password back to RDS (after a stopped run)
  --target-cluster-parameter-group <name> Aurora: green cluster's parameter group (required for a major
                                          upgrade: one of the target family)
  --target-instance-parameter-group <name> Aurora: green instances' parameter group (a major upgrade with
                                          custom instance parameters)
  --target-parameter-group <name>         RDS instance: green instance's DB parameter group (required for a
                                          major upgrade: one of the target family)
  --keep-old-instance                     RDS instance: do not delete the old blue instance (you must delete
                                          it before the next plan; the output prints how)
  --outputs <file>                        outputs of \`npm run output -- <env>\` (default <env>-outputs.json)
  --region <region>                       AWS region (default AWS_REGION)
  --timeout-minutes <n>                   give up waiting for each phase after n minutes (default 240)
  --poll-seconds <n>                      seconds between status reads (default 30)
  --switchover-timeout-seconds <n>        RDS rolls the switchover back after this, 30 to 3600 (default 300, RDS's)
  --dry-run                               check the database and print every call it would make
  --output <format>                       text (default) or json
  -h, --help

${EXIT_CODE_HELP}`;

export interface CommonOptions {
  readonly environment: string;
  readonly outputs: readonly string[];
  /** Whether --outputs was given: the printed recovery command repeats it. */
  readonly outputsGiven: boolean;
  readonly region?: string;
  readonly timeoutMinutes: number;
  readonly pollSeconds: number;
  readonly dryRun: boolean;
  readonly output: "text" | "json";
}

export interface BlueGreenOptions extends CommonOptions {
  readonly mode: "upgrade";
  readonly to: string;
  readonly releaseManagedMasterPassword: boolean;
  /** Aurora only. */
  readonly targetClusterParameterGroup?: string;
  /** Aurora only: the green cluster's instances. */
  readonly targetInstanceParameterGroup?: string;
  /** RDS instance only: the green instance's DB parameter group. */
  readonly targetParameterGroup?: string;
  /** RDS instance only: skip deleting the old blue instance. */
  readonly keepOldInstance: boolean;
  readonly switchoverTimeoutSeconds: number;
}

export interface HandBackOptions extends CommonOptions {
  readonly mode: "hand-back-only";
}

const ENVIRONMENT_NAME = /^[a-z][a-z0-9-]{1,30}$/;
const VERSION = /^[0-9][0-9A-Za-z._-]{0,40}$/;

const parseBlueGreenFlags = (argv: readonly string[]) => parseArgs({
  args: [...argv], strict: true, allowPositionals: true,
  options: {
    to: { type: "string" }, "target-cluster-parameter-group": { type: "string" }, "target-instance-parameter-group": { type: "string" },
    "target-parameter-group": { type: "string" }, "keep-old-instance": { type: "boolean", default: false },
    "release-managed-master-password": { type: "boolean", default: false }, "hand-back-only": { type: "boolean", default: false },
    outputs: { type: "string", multiple: true, default: [] }, region: { type: "string" },
    "timeout-minutes": { type: "string", default: "240" }, "poll-seconds": { type: "string", default: "30" },
    "switchover-timeout-seconds": { type: "string", default: "300" },
    "dry-run": { type: "boolean", default: false }, output: { type: "string", default: "text" }, help: { type: "boolean", short: "h", default: false },
  },
});

function wholeNumber(flag: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new ScriptError(EXIT.usage, `--${flag} must be a whole number from ${min} to ${max}, not ${JSON.stringify(value)}`);
  return n;
}

/** An AWS Region's name: eu-west-1, us-gov-west-1, cn-north-1, eusc-de-east-1. */
const REGION = /^[a-z]{2,4}(-[a-z]+)+-\d{1,2}$/;

/** A region from --region or AWS_REGION, refused (exit 2) unless it has a Region's shape: it is printed in commands to paste. */
export function checkRegion(region: string, source: string): string {
  if (!REGION.test(region)) throw new ScriptError(EXIT.usage, `${source} must be an AWS Region such as eu-west-1, not ${JSON.stringify(region)}`);
  return region;
}

/** An RDS DB identifier (cluster or instance): 1 to 63 letters, digits or hyphens, first a letter, no "--", no hyphen at the end. */
const DB_IDENTIFIER = /^[A-Za-z](?!.*--)(?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** A word for a command line to paste: as it is when it has only safe characters, else in single quotes. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The command line as options, or "help"; a usage error (exit 2) otherwise. */
export function parseBlueGreenArgs(argv: readonly string[]): BlueGreenOptions | HandBackOptions | "help" {
  let parsed: ReturnType<typeof parseBlueGreenFlags>;
  try {
    parsed = parseBlueGreenFlags(argv);
  } catch (error) {
    throw new ScriptError(EXIT.usage, `${(error as Error).message}\n\n${HELP}`);
  }
  const { values, positionals } = parsed;
  if (values.help) return "help";
  if (positionals.length !== 1 || !ENVIRONMENT_NAME.test(positionals[0]!)) {
    throw new ScriptError(EXIT.usage, `name one environment, e.g. npm run blue-green -- staging --to 16.10 (got ${positionals.map((p) => JSON.stringify(p)).join(" ") || "none"})`);
  }
  if (values.output !== "text" && values.output !== "json") throw new ScriptError(EXIT.usage, `--output must be text or json, not ${values.output}`);
  const environment = positionals[0]!;
  const common: CommonOptions = {
    environment,
    outputs: values.outputs.length > 0 ? values.outputs : [`${environment}-outputs.json`],
    outputsGiven: values.outputs.length > 0,
    ...(values.region !== undefined ? { region: checkRegion(values.region, "--region") } : {}),
    timeoutMinutes: wholeNumber("timeout-minutes", values["timeout-minutes"], 1, 24 * 60),
    pollSeconds: wholeNumber("poll-seconds", values["poll-seconds"], 1, 3600),
    dryRun: values["dry-run"],
    output: values.output,
  };
  if (values["hand-back-only"]) {
    const upgradeOnly = ["to", "target-cluster-parameter-group", "target-instance-parameter-group", "target-parameter-group"].filter((flag) => values[flag as keyof typeof values] !== undefined);
    if (values["release-managed-master-password"]) upgradeOnly.push("release-managed-master-password");
    if (values["keep-old-instance"]) upgradeOnly.push("keep-old-instance");
    if (upgradeOnly.length > 0) throw new ScriptError(EXIT.usage, `--hand-back-only runs no deployment: drop ${upgradeOnly.map((f) => `--${f}`).join(", ")}`);
    return { ...common, mode: "hand-back-only" };
  }
  if (!values.to || !VERSION.test(values.to)) throw new ScriptError(EXIT.usage, `--to must be an engine version, e.g. 16.10 (got ${JSON.stringify(values.to ?? "")})`);
  return {
    ...common,
    mode: "upgrade",
    to: values.to,
    releaseManagedMasterPassword: values["release-managed-master-password"],
    ...(values["target-cluster-parameter-group"] ? { targetClusterParameterGroup: values["target-cluster-parameter-group"] } : {}),
    ...(values["target-instance-parameter-group"] ? { targetInstanceParameterGroup: values["target-instance-parameter-group"] } : {}),
    ...(values["target-parameter-group"] ? { targetParameterGroup: values["target-parameter-group"] } : {}),
    keepOldInstance: values["keep-old-instance"],
    // RDS accepts 30..3600 seconds for SwitchoverTimeout (API reference, SwitchoverBlueGreenDeployment).
    switchoverTimeoutSeconds: wholeNumber("switchover-timeout-seconds", values["switchover-timeout-seconds"], 30, 3600),
  };
}

/** The database the outputs name: an Aurora cluster (engine aurora-*) or an RDS instance (postgres, mysql). */
export function databaseFromOutputs(outputs: Outputs): { type: DatabaseType; identifier: string; engine: string } {
  const engine = requireString(outputs, "database_engine");
  const identifier = requireString(outputs, "database_identifier");
  if (!DB_IDENTIFIER.test(identifier)) {
    throw new ScriptError(EXIT.usage, `the outputs' database_identifier ${JSON.stringify(identifier)} is not an RDS DB identifier (1 to 63 letters, digits or hyphens, first a letter)`);
  }
  if (engine.startsWith("aurora-")) return { type: "cluster", identifier, engine };
  if (engine === "postgres" || engine === "mysql") return { type: "instance", identifier, engine };
  throw new ScriptError(EXIT.usage, `the database of this environment is ${engine}, which this script does not upgrade (Aurora, RDS for PostgreSQL or RDS for MySQL)`);
}

/** Flags that belong to the other kind of database, refused by name. */
export function checkFlagsFor(type: DatabaseType, options: BlueGreenOptions | HandBackOptions): void {
  if (options.mode !== "upgrade") return;
  const wrong = type === "cluster"
    ? [options.targetParameterGroup && "--target-parameter-group (an RDS instance's; for Aurora use --target-cluster-parameter-group and --target-instance-parameter-group)",
      options.keepOldInstance && "--keep-old-instance (RDS instances only: an Aurora run never deletes the old cluster)"]
    : [options.targetClusterParameterGroup && "--target-cluster-parameter-group (Aurora only; for an RDS instance use --target-parameter-group)",
      options.targetInstanceParameterGroup && "--target-instance-parameter-group (Aurora only; for an RDS instance use --target-parameter-group)"];
  const given = wrong.filter((w): w is string => typeof w === "string");
  if (given.length > 0) throw new ScriptError(EXIT.usage, `the database of ${options.environment} is ${type === "cluster" ? "an Aurora cluster" : "an RDS instance"}: drop ${given.join(", ")}`);
}

/** The command that gives the master password back, with the flags this run was given. */
export function handBackCommand(options: CommonOptions): string {
  return [`npm run blue-green -- ${options.environment} --hand-back-only`, ...(options.outputsGiven ? options.outputs.map((f) => `--outputs ${shellWord(f)}`) : []),
    ...(options.region ? [`--region ${options.region}`] : [])].join(" ");
}

