/**
 * The setup function Terraform invokes at deploy time, inside the VPC (`aws_lambda_invocation`, CRUD
 * lifecycle), and `npm run setup` invokes by hand: creates or completes the application
 * database, roles and users over the writer endpoint with the RDS-managed master secret, writes each
 * user's secret, then checks SELECT 1 through the proxy. Its event holds no secret (scripts/lib/setup/event.ts).
 * Bundled with esbuild as CommonJS and deployed as an asset; the work is in scripts/lib/setup/run-setup.ts.
 */
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { iamAuthToken } from "../lib/connection/iam-token.ts";
import { SECRETS_MANAGER_TIMEOUTS } from "../lib/database/secret-versions.ts";
import { runSetup, SetupError, type LambdaContext, type SetupDeps, type SetupSummary } from "../lib/setup/run-setup.ts";

/** The handler with real clients from the function's environment; tests may replace the TLS settings or the check. */
export function createHandler(overrides: Partial<Pick<SetupDeps, "tls" | "proxyCheck" | "token" | "sleep" | "now">> = {}) {
  return async (event: unknown, context: LambdaContext): Promise<SetupSummary> => {
    // Region and endpoint come from the environment Lambda sets (AWS_REGION); credentials from the role.
    // Every Secrets Manager call is bounded: an endpoint that does not answer must fail a step, not hang until Lambda's limit.
    const secrets = new SecretsManagerClient({ requestHandler: SECRETS_MANAGER_TIMEOUTS, maxAttempts: 3 });
    const log = (line: string) => console.log(line);
    try {
      return await runSetup(event, context, {
        secrets, log, region: process.env.AWS_REGION,
        token: (host, port, user, region) => iamAuthToken({ host, port, user, region }),
        ...overrides,
      });
    } catch (error) {
      // runSetup throws SetupError only; anything else is named, never printed, in case it carries a value.
      const safe = error instanceof SetupError ? error : new Error(`setup failed: unexpected ${(error as Error)?.name ?? typeof error}`);
      log(safe.message);
      throw safe;
    } finally {
      secrets.destroy();
    }
  };
}

export const handler = createHandler();
