/**
 * A node-postgres pool for applications and scripts behind RDS Proxy: verified TLS with the right CA set,
 * the password as a function (a fresh IAM token for every new connection), TCP keepalive, and an idle
 * timeout below the proxy's, so the pool closes idle connections before the proxy does.
 */
import pg from "pg";
import { iamAuthToken, type AssumedCredentials } from "./iam-token.ts";
import { tlsSettings, type TlsOptions } from "./tls.ts";

export type PoolAuth =
  | { readonly type: "password"; readonly password: string }
  | { readonly type: "iam"; readonly region: string; readonly credentials?: AssumedCredentials; readonly signer?: (host: string, port: number, user: string) => Promise<string> };

export interface PoolOptions {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly database: string;
  readonly auth: PoolAuth;
  readonly tls: TlsOptions;
  /** Connections this process may hold: part of the environment's connection budget, so the caller says it. */
  readonly poolSize: number;
  /** Close a connection idle this long; must stay below the proxy's idle client timeout. */
  readonly idleTimeoutMs: number;
  /** The proxy's idle_client_timeout (seconds), to check `idleTimeoutMs` against. @default 1800 */
  readonly proxyIdleClientTimeoutSeconds?: number;
  /** @default 10000 */
  readonly connectionTimeoutMs?: number;
  /**
   * Called when an idle pooled connection breaks (failover, the proxy's idle timeout, a restart); the
   * pool drops it and opens a new one when needed. Without a handler such an error would crash the
   * process. @default a one-line warning with the error code (never the connection settings)
   */
  readonly onIdleError?: (error: Error) => void;
}

export function poolConfig(options: PoolOptions): pg.PoolConfig {
  if (!Number.isInteger(options.poolSize) || options.poolSize < 1) throw new Error(`poolSize must be a whole number of at least 1, not ${options.poolSize}`);
  const proxyTimeoutMs = (options.proxyIdleClientTimeoutSeconds ?? 1800) * 1000;
  if (!(options.idleTimeoutMs > 0 && options.idleTimeoutMs < proxyTimeoutMs)) {
    throw new Error(`idleTimeoutMs must be above 0 and below the proxy's idle client timeout (${proxyTimeoutMs} ms), not ${options.idleTimeoutMs}`);
  }
  const auth = options.auth;
  const password = auth.type === "password"
    ? auth.password
    : () => (auth.signer ?? ((host, port, user) => iamAuthToken({ host, port, user, region: auth.region }, auth.credentials)))(options.host, options.port, options.user);
  return {
    host: options.host,
    port: options.port,
    user: options.user,
    database: options.database,
    password,
    ssl: tlsSettings(options.host, options.tls),
    max: options.poolSize,
    idleTimeoutMillis: options.idleTimeoutMs,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 10_000,
    keepAlive: true,
  };
}

export function createPool(options: PoolOptions): pg.Pool {
  const pool = new pg.Pool(poolConfig(options));
  pool.on("error", options.onIdleError ?? ((error: Error & { code?: string }) => {
    console.warn(`database connection closed while idle (${error.code ?? error.name}); the pool will reconnect`);
  }));
  return pool;
}
