/**
 * The rotation function Secrets Manager invokes for each application user's secret, once per step of its
 * protocol ({ SecretId, ClientRequestToken, Step }), on a schedule (aws_secretsmanager_secret_rotation)
 * or when `npm run rotate` calls RotateSecret. A sibling of the setup function: the same database core,
 * another contract and another permission set. Its environment says where the database is (no secret);
 * the work is in scripts/lib/setup/rotation.ts.
 */
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { iamAuthToken } from "../lib/connection/iam-token.ts";
import { tlsSettings } from "../lib/connection/tls.ts";
import { SECRETS_MANAGER_TIMEOUTS } from "../lib/database/secret-versions.ts";
import type { LambdaContext } from "../lib/setup/run-setup.ts";
import { RotationError, rotateSecret, rotationTargetFromEnvironment, type RotationDeps, type RotationOutcome } from "../lib/setup/rotation.ts";

/** Kept back from the invocation's remaining time for the report. */
const TIME_MARGIN_MS = 10_000;

/** The handler with real clients; tests may replace the TLS settings, the proxy check or the token source. */
export function createHandler(overrides: Partial<Pick<RotationDeps, "tls" | "proxyCheck" | "token" | "sleep" | "now" | "proxyCheckMs">> = {}) {
  return async (event: unknown, context: LambdaContext): Promise<RotationOutcome> => {
    const secrets = new SecretsManagerClient({ requestHandler: SECRETS_MANAGER_TIMEOUTS, maxAttempts: 3 });
    const log = (line: string) => console.log(line);
    try {
      const target = rotationTargetFromEnvironment(process.env);
      const outcome = await rotateSecret(event, target, {
        secrets, log,
        tls: (host, caSet) => tlsSettings(host, { mode: "verify-full", caSet }),
        token: (host, port, user, region) => iamAuthToken({ host, port, user, region }),
        deadline: Date.now() + context.getRemainingTimeInMillis() - TIME_MARGIN_MS,
        ...overrides,
      });
      log(`${outcome.step} for ${outcome.user}: ${outcome.result}`);
      return outcome;
    } catch (error) {
      // Only RotationError messages are known to be safe to print; anything else is named, never echoed.
      const safe = error instanceof RotationError ? error : new Error(`rotation failed: unexpected ${(error as Error)?.name ?? typeof error}`);
      log(safe.message);
      throw safe;
    } finally {
      secrets.destroy();
    }
  };
}

export const handler = createHandler();
