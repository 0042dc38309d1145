/**
 * Runs the project's migrations (scripts/migrations) through the proxy: waits for the database first, so
 * a deploy that races the database does not fail (seed 004). Used by the CodeBuild migration project,
 * which sets DB_HOST, DB_PORT, DB_NAME, DB_USER, DB_ENGINE_FAMILY, DB_REGION, DB_AUTH and, for password
 * users, DB_PASSWORD.
 */
import { EXIT, EXIT_CODE_HELP, ScriptError, parseFlags, runScript } from "./lib/cli.ts";
import { migrate, targetFromEnvironment } from "./lib/database/migrations.ts";
import { isProxyEndpoint, type TlsMode } from "./lib/connection/tls.ts";

const HELP = `usage: migrate [--wait-seconds 300] [--tls verify-full|require] [--ca-file <file>] [--directory <dir>]

Connection settings come from DB_HOST, DB_PORT, DB_NAME, DB_USER, DB_ENGINE_FAMILY, DB_AUTH (iam|password),
DB_REGION (iam) and DB_PASSWORD (password).

${EXIT_CODE_HELP}`;

async function main(): Promise<number> {
  const values = parseFlags({
    "wait-seconds": { type: "string", default: "300" }, tls: { type: "string", default: "verify-full" }, "ca-file": { type: "string" },
    directory: { type: "string" },
  }, HELP);
  if (!values) return EXIT.ok;
  if (!["verify-full", "require"].includes(values.tls)) throw new ScriptError(EXIT.usage, `--tls must be verify-full or require, not ${values.tls}`);
  const waitSeconds = Number(values["wait-seconds"]);
  if (!Number.isInteger(waitSeconds) || waitSeconds < 0) throw new ScriptError(EXIT.usage, `--wait-seconds must be a whole number, not ${values["wait-seconds"]}`);
  const host = process.env.DB_HOST ?? "";
  const target = targetFromEnvironment(process.env, {
    mode: values.tls as TlsMode, caSet: isProxyEndpoint(host) ? "proxy" : "rds", ...(values["ca-file"] ? { caFile: values["ca-file"] } : {}),
  });
  await migrate(target, { waitTimeoutMs: waitSeconds * 1000, log: (line) => console.log(line), ...(values.directory ? { directory: values.directory } : {}) });
  return EXIT.ok;
}

process.exitCode = await runScript(main);
