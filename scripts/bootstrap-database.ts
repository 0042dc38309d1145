/**
 * Bootstraps the application database after `cdktf deploy`: the database, group roles, one login user
 * per configured user, a schema per owner user, default privileges, and each user's secret. Replaces seed
 * 000's local-exec + SSM RunCommand + psql heredoc. Idempotent: a second run changes nothing and says so.
 *
 *   cdktf output '<env>-*' --outputs-file outputs.json
 *   node --import tsx scripts/bootstrap-database.ts --outputs outputs.json --stack <env> [--dry-run]
 */
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { STSClient } from "@aws-sdk/client-sts";
import { requestProblems, runBootstrap, type BootstrapRequest, type MasterLogin } from "./lib/database/bootstrap.ts";
import { bootstrapTargetFromOutputs, type BootstrapTarget } from "./lib/deploy/bootstrap-outputs.ts";
import { EXIT, EXIT_CODE_HELP, ScriptError, parseFlags, runScript } from "./lib/cli.ts";
import { assumeRole, iamAuthToken, type AssumedCredentials } from "./lib/connection/iam-token.ts";
import { formatProblems, type InputProblem } from "./lib/database/input-problems.ts";
import { readOutputs } from "./lib/deploy/stack-outputs.ts";
import { SECRETS_MANAGER_TIMEOUTS } from "./lib/database/secret-versions.ts";
import { isProxyEndpoint, tlsSettings, type CaSet, type TlsMode } from "./lib/connection/tls.ts";

const HELP = `usage: bootstrap-database --outputs <file> --stack <env> [options]

Creates or completes the application database, its roles, users and schemas, and writes each user's
Secrets Manager secret (username, password, host, port, dbname, engine). Run after every deploy that adds
users; a rerun also finishes an interrupted run and repairs a password the database no longer shares with
its secret.

  --outputs <file>        cdktf output '<env>-*' --outputs-file (npm run output -- <env>), or terraform
                          output -json of the environment's stacks (repeat for several files)
  --stack <env>           environment name: its <env>-<layer> stacks are read and merged
  --host <host>           connect here instead of the proxy endpoint (e.g. a tunnel); secrets keep the proxy
  --port <port>           port to connect to (default: the database port); secrets keep the database port
  --region <region>       AWS region (default: AWS_REGION, or the region of the master secret)
  --master-auth <how>     password (read the master secret) or iam (token) (default: the stack's master_auth)
  --assume-role <arn>     sign IAM tokens with this role (cross-account)
  --tls <mode>            verify-full (default) or require (encrypt only, for tunnels)
  --ca-file <file>        verify against this CA bundle instead of the bundled AWS CAs
  --wait-seconds <n>      wait up to n seconds for the database (default 600)
  --rotate                new passwords for every password user
  --rotate-user <name>    a new password for this user (repeat for more)
  --removed-user <name>   a user the configuration no longer has (repeat for more): its login is disabled,
                          its groups and privileges revoked, its sessions ended (PostgreSQL); the user and
                          what it owns are kept. The outputs only list today's users, so say which went
  --dry-run               print the SQL (passwords redacted) and the secrets to write; change nothing
  --output <format>       text (default) or json
  -h, --help

${EXIT_CODE_HELP}`;

/** Request fields as the outputs and flags they come from, so an input error names what to fix. */
const FIELD_SOURCES: readonly [string, string][] = [
  ["users.", "database_users."], ["database", "database_name"], ["master.user", "master_username"], ["rotateUsers", "--rotate-user"],
  ["removedUsers.", "--removed-user "],
];

function named(problems: readonly InputProblem[]): InputProblem[] {
  return problems.map((p) => {
    const source = FIELD_SOURCES.find(([field]) => p.path === field || (field.endsWith(".") && p.path.startsWith(field)));
    return source ? { ...p, path: source[1] + p.path.slice(source[0].length) } : p;
  });
}

async function main(): Promise<number> {
  const values = parseFlags({
    outputs: { type: "string", multiple: true, default: [] }, stack: { type: "string" }, host: { type: "string" }, port: { type: "string" },
    region: { type: "string" }, "master-auth": { type: "string" }, "assume-role": { type: "string" },
    tls: { type: "string", default: "verify-full" }, "ca-file": { type: "string" }, "wait-seconds": { type: "string", default: "600" },
    rotate: { type: "boolean", default: false }, "rotate-user": { type: "string", multiple: true, default: [] },
    "removed-user": { type: "string", multiple: true, default: [] },
    "dry-run": { type: "boolean", default: false }, output: { type: "string", default: "text" },
  }, HELP);
  if (!values) return EXIT.ok;
  if (values.outputs.length === 0 || !values.stack) throw new ScriptError(EXIT.usage, "--outputs and --stack are required (see --help)");
  if (!["verify-full", "require"].includes(values.tls)) throw new ScriptError(EXIT.usage, `--tls must be verify-full or require, not ${values.tls}`);
  if (!["text", "json"].includes(values.output)) throw new ScriptError(EXIT.usage, `--output must be text or json, not ${values.output}`);
  const waitSeconds = Number(values["wait-seconds"]);
  if (!Number.isInteger(waitSeconds) || waitSeconds < 0) throw new ScriptError(EXIT.usage, `--wait-seconds must be a whole number, not ${values["wait-seconds"]}`);
  if (values.rotate && values["rotate-user"].length > 0) throw new ScriptError(EXIT.usage, "--rotate already rotates every password user; drop --rotate-user or --rotate");
  const masterAuthFlag = values["master-auth"];
  if (masterAuthFlag !== undefined && !["password", "iam"].includes(masterAuthFlag)) throw new ScriptError(EXIT.usage, `--master-auth must be password or iam, not ${masterAuthFlag}`);

  // Everything below until runBootstrap is local: input errors exit 2 before any network call.
  const { target, problems } = bootstrapTargetFromOutputs(readOutputs(values.outputs, values.stack));
  if (!target) throw new ScriptError(EXIT.usage, formatProblems(`stack outputs of ${values.stack}`, problems));
  const host = values.host ?? target.proxyEndpoint;
  const port = values.port === undefined ? target.port : Number(values.port);
  if (!(Number.isInteger(port) && port >= 1 && port <= 65535)) throw new ScriptError(EXIT.usage, `--port must be 1..65535, not ${values.port}`);
  const region = values.region ?? process.env.AWS_REGION ?? target.masterSecretArn.split(":")[3]!;
  const masterAuth = masterAuthFlag ?? target.masterAuth;
  const caSet: CaSet = isProxyEndpoint(host) ? "proxy" : "rds";
  const request: BootstrapRequest = {
    dialect: target.family === "POSTGRESQL" ? "postgresql" : "mysql",
    host, port,
    database: target.database,
    engine: target.engine,
    // What clients use, whatever path this run takes (a tunnel's host and port never reach a secret).
    secretHost: target.proxyEndpoint,
    secretPort: target.port,
    users: target.users,
    master: masterAuth === "password"
      ? { secretArn: target.masterSecretArn, user: target.masterUser }
      : tokenMaster(target, region, values["assume-role"]),
    tls: tlsSettings(host, { mode: values.tls as TlsMode, caSet, ...(values["ca-file"] ? { caFile: values["ca-file"] } : {}) }),
    rotate: values.rotate,
    rotateUsers: values["rotate-user"],
    ...(values["removed-user"].length > 0 ? { removedUsers: [...new Set(values["removed-user"])] } : {}),
    dryRun: values["dry-run"],
    waitTimeoutMs: waitSeconds * 1000,
  };
  const invalid = named(requestProblems(request));
  if (invalid.length > 0) throw new ScriptError(EXIT.usage, formatProblems("invalid input", invalid));

  const json = values.output === "json";
  const log = json ? (line: string) => console.error(line) : (line: string) => console.log(line);
  const result = await runBootstrap(request, { secrets: new SecretsManagerClient({ region, requestHandler: SECRETS_MANAGER_TIMEOUTS }), log });
  if (json) {
    console.log(JSON.stringify(result, null, 2));
  } else if (result.dryRun) {
    console.log(`dry run: ${result.statements.length} statement(s) and ${result.secretsWritten.length} secret(s) would change`);
    for (const statement of result.statements) console.log(`  ${statement};`);
    for (const user of result.secretsWritten) console.log(`  secret of ${user}`);
  } else {
    console.log(result.changes === 0 ? "nothing to do: the database and secrets already match" : `done: ${result.statements.length} statement(s) applied, ${result.secretsWritten.length} secret(s) written`);
  }
  return EXIT.ok;
}

/** Tokens for the master through the proxy; the role (if any) is assumed on first use, after the input is checked. */
function tokenMaster(target: BootstrapTarget, region: string, roleArn: string | undefined): MasterLogin {
  let credentials: Promise<AssumedCredentials | undefined> | undefined;
  const user = target.masterUser;
  return {
    user,
    token: async () => {
      credentials ??= roleArn ? assumeRole(new STSClient({ region }), roleArn, "dbstack-bootstrap") : Promise.resolve(undefined);
      return iamAuthToken({ host: target.proxyEndpoint, port: target.port, user, region }, await credentials);
    },
  };
}

process.exitCode = await runScript(main);
