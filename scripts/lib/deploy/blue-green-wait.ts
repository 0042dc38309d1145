/**
 * What every step of a blue/green run shares: AWS calls whose failures become exit 5 (scrubbed of the
 * password), and waits on an injectable clock (the tests' clock never sleeps).
 */
import { EXIT, ScriptError } from "../cli.ts";

export interface WaitClock {
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
}

export const realClock: WaitClock = { sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)), now: () => Date.now() };

export interface WaitSettings {
  readonly timeoutMs: number;
  readonly pollMs: number;
  readonly clock: WaitClock;
  readonly print: (line: string) => void;
}

/**
 * Runs one AWS call and turns its failure into a ScriptError (exit 5). `secret`, when given, is removed from
 * the message in every form a request parameter can come back in (as sent, and URL-encoded as the RDS query
 * protocol sends it): an SDK or service error may echo request parameters. The SDK error itself is dropped,
 * so nothing holding the request travels further.
 */
export async function awsCall<T>(operation: string, call: () => Promise<T>, secret?: string): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ScriptError) throw error;
    let message = `${operation} failed: ${(error as Error)?.name ?? "Error"}: ${(error as Error)?.message ?? String(error)}`;
    if (secret) for (const form of new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)])) message = message.split(form).join("[redacted]");
    throw new ScriptError(EXIT.aws, message);
  }
}
