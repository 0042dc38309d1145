/**
 * Prints an RDS IAM authentication token (valid 15 minutes) to use as the password, e.g.
 *   PGPASSWORD="$(node --import tsx scripts/db-token.ts --host <proxy endpoint> --user app)" psql "host=... sslmode=verify-full"
 * The token is a credential: it goes to stdout only, never to logs.
 */
import { STSClient } from "@aws-sdk/client-sts";
import { EXIT, EXIT_CODE_HELP, ScriptError, parseFlags, runScript } from "./lib/cli.ts";
import { assumeRole, iamAuthToken } from "./lib/connection/iam-token.ts";

const HELP = `usage: db-token --host <endpoint> --user <db user> [--port 5432] [--region <region>] [--assume-role <arn>]

Signs a token for <host> (the proxy endpoint when connecting through the proxy) with the current AWS
credentials, or with a role assumed first (--assume-role, e.g. in another account).

${EXIT_CODE_HELP}`;

async function main(): Promise<number> {
  const values = parseFlags({
    host: { type: "string" }, user: { type: "string" }, port: { type: "string", default: "5432" }, region: { type: "string" },
    "assume-role": { type: "string" }, "session-name": { type: "string", default: "dbstack-db-token" },
  }, HELP);
  if (!values) return EXIT.ok;
  if (!values.host || !values.user) throw new ScriptError(EXIT.usage, "--host and --user are required (see --help)");
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ScriptError(EXIT.usage, `--port must be 1..65535, not ${values.port}`);
  const region = values.region ?? process.env.AWS_REGION ?? /\.([a-z]{2}(?:-gov)?-[a-z]+-\d)\.rds\.amazonaws\.com/.exec(values.host)?.[1];
  if (!region) throw new ScriptError(EXIT.usage, "--region is required (it could not be read from the host)");
  const credentials = values["assume-role"] ? await assumeRole(new STSClient({ region }), values["assume-role"], values["session-name"]) : undefined;
  try {
    console.log(await iamAuthToken({ host: values.host, port, user: values.user, region }, credentials));
  } catch (error) {
    throw new ScriptError(EXIT.aws, `cannot sign a token: ${(error as Error).name}: ${(error as Error).message}`);
  }
  return EXIT.ok;
}

process.exitCode = await runScript(main);
