/**
 * Bootstraps the application database after `cdktf deploy`: the database, group roles, one login user
 * per configured user, a schema per user, default privileges, and each user's secret. Replaces seed 000's
 * local-exec + SSM RunCommand + psql heredoc. Idempotent: a second run changes nothing and says so.
 *
 *   cdktf output <env> --outputs-file outputs.json
 *   node --import tsx scripts/bootstrap-database.ts --outputs outputs.json --stack <env> [--dry-run]
 */
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { STSClient } from "@aws-sdk/client-sts";
import { bootstrapUsersFromOutputs, runBootstrap, type BootstrapRequest } from "./lib/bootstrap.ts";
import { EXIT, EXIT_CODE_HELP, ScriptError, parseFlags, runScript } from "./lib/cli.ts";
import { assumeRole, iamAuthToken } from "./lib/iam-token.ts";
import { readOutputs, requireString } from "./lib/stack-outputs.ts";
import { isProxyEndpoint, tlsSettings, type CaSet, type TlsMode } from "./lib/tls.ts";

const HELP = `usage: bootstrap-database --outputs <file> --stack <env> [options]

Creates or completes the application database, its roles, users and schemas, and writes each user's
Secrets Manager secret (username, password, host, port, dbname, engine). Run after every deploy that adds
users; run with --rotate to give every password user a new password.

  --outputs <file>        cdktf output --outputs-file (or terraform output -json) of the stack
  --stack <env>           stack (environment) name in that file
  --host <host>           connect here instead of the proxy endpoint (e.g. a tunnel); secrets keep the proxy
  --port <port>           port to connect to (default: the database port)
  --region <region>       AWS region (default: AWS_REGION, or the region of the master secret)
  --master-auth <how>     password (read the master secret) or iam (token) (default: the stack's master_auth)
  --assume-role <arn>     sign IAM tokens with this role (cross-account)
  --tls <mode>            verify-full (default) or require (encrypt only, for tunnels)
  --ca-file <file>        verify against this CA bundle instead of the bundled AWS CAs
  --wait-seconds <n>      wait up to n seconds for the database (default 600)
  --rotate                new passwords for every password user
  --dry-run               print the SQL (passwords redacted) and the secrets to write; change nothing
  --output <format>       text (default) or json
  -h, --help

${EXIT_CODE_HELP}`;

async function main(): Promise<number> {
  const values = parseFlags({
    outputs: { type: "string" }, stack: { type: "string" }, host: { type: "string" }, port: { type: "string" },
    region: { type: "string" }, "master-auth": { type: "string" }, "assume-role": { type: "string" },
    tls: { type: "string", default: "verify-full" }, "ca-file": { type: "string" }, "wait-seconds": { type: "string", default: "600" },
    rotate: { type: "boolean", default: false }, "dry-run": { type: "boolean", default: false },
    output: { type: "string", default: "text" },
  }, HELP);
  if (!values) return EXIT.ok;
  if (!values.outputs || !values.stack) throw new ScriptError(EXIT.usage, "--outputs and --stack are required (see --help)");
  if (!["verify-full", "require"].includes(values.tls)) throw new ScriptError(EXIT.usage, `--tls must be verify-full or require, not ${values.tls}`);
  if (!["text", "json"].includes(values.output)) throw new ScriptError(EXIT.usage, `--output must be text or json, not ${values.output}`);
  const waitSeconds = Number(values["wait-seconds"]);
  if (!Number.isInteger(waitSeconds) || waitSeconds < 0) throw new ScriptError(EXIT.usage, `--wait-seconds must be a whole number, not ${values["wait-seconds"]}`);

  const outputs = readOutputs(values.outputs, values.stack);
  const proxyHost = requireString(outputs, "proxy_endpoint");
  const host = values.host ?? proxyHost;
  const port = Number(values.port ?? requireString(outputs, "database_port"));
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ScriptError(EXIT.usage, `port must be 1..65535, not ${values.port}`);
  const masterSecretArn = requireString(outputs, "master_secret_arn");
  const region = values.region ?? process.env.AWS_REGION ?? masterSecretArn.split(":")[3]!;
  const masterAuth = values["master-auth"] ?? (typeof outputs.master_auth === "string" ? outputs.master_auth : "password");
  if (!["password", "iam"].includes(masterAuth)) throw new ScriptError(EXIT.usage, `--master-auth must be password or iam, not ${masterAuth}`);

  const caSet: CaSet = isProxyEndpoint(host) ? "proxy" : "rds";
  const request: BootstrapRequest = {
    dialect: requireString(outputs, "database_engine_family") === "POSTGRESQL" ? "postgresql" : "mysql",
    host, port,
    database: requireString(outputs, "database_name"),
    engine: requireString(outputs, "database_engine"),
    secretHost: proxyHost,
    users: bootstrapUsersFromOutputs(outputs),
    master: masterAuth === "password"
      ? { secretArn: masterSecretArn }
      : await tokenMaster(requireString(outputs, "master_username"), proxyHost, port, region, values["assume-role"]),
    tls: tlsSettings(host, { mode: values.tls as TlsMode, caSet, ...(values["ca-file"] ? { caFile: values["ca-file"] } : {}) }),
    rotate: values.rotate,
    dryRun: values["dry-run"],
    waitTimeoutMs: waitSeconds * 1000,
  };
  const json = values.output === "json";
  const log = json ? (line: string) => console.error(line) : (line: string) => console.log(line);
  const result = await runBootstrap(request, { secrets: new SecretsManagerClient({ region }), log });
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

async function tokenMaster(user: string, host: string, port: number, region: string, roleArn: string | undefined) {
  const credentials = roleArn ? await assumeRole(new STSClient({ region }), roleArn, "dbstack-bootstrap") : undefined;
  return { user, token: () => iamAuthToken({ host, port, user, region }, credentials) };
}

process.exitCode = await runScript(main);
