/**
 * Example Lambda client (seeds 001 and 003): connects through RDS Proxy with a fresh IAM token over TLS
 * and runs SELECT 1. Its environment holds no secret: DB_HOST (the proxy), DB_PORT, DB_USER, DB_NAME,
 * DB_ENGINE_FAMILY and DB_REGION. Bundled with esbuild at synth and deployed as an asset.
 */
import { Signer } from "@aws-sdk/rds-signer";
import mysql from "mysql2/promise";
import pg from "pg";
import { cleartextPasswordPlugin } from "../lib/connection/mysql-cleartext.ts";
import { tlsSettings } from "../lib/connection/tls.ts";

export interface CheckSettings {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly database: string;
  readonly engineFamily: "POSTGRESQL" | "MYSQL";
  readonly region: string;
}

export type TokenSource = (settings: CheckSettings) => Promise<string>;
export type Query = (settings: CheckSettings, password: string) => Promise<number>;

export function settingsFromEnvironment(env: NodeJS.ProcessEnv): CheckSettings {
  const required = (name: string) => {
    const value = env[name];
    if (!value) throw new Error(`environment variable ${name} is not set`);
    return value;
  };
  const family = required("DB_ENGINE_FAMILY");
  if (family !== "POSTGRESQL" && family !== "MYSQL") throw new Error(`DB_ENGINE_FAMILY must be POSTGRESQL or MYSQL, not ${family}`);
  return {
    host: required("DB_HOST"), port: Number(required("DB_PORT")), user: required("DB_USER"), database: required("DB_NAME"),
    engineFamily: family, region: required("DB_REGION"),
  };
}

/** A 15-minute token signed with the function's role; the proxy endpoint is the hostname it is signed for. */
export const iamToken: TokenSource = (s) => new Signer({ hostname: s.host, port: s.port, username: s.user, region: s.region }).getAuthToken();

/** SELECT 1 over TLS verified, host name included, against the Amazon root CAs (RDS Proxy certificates come from ACM). */
export const selectOne: Query = async (s, password) => {
  const ssl = tlsSettings(s.host, { mode: "verify-full", caSet: "proxy" });
  if (s.engineFamily === "POSTGRESQL") {
    const client = new pg.Client({ host: s.host, port: s.port, user: s.user, database: s.database, password, ssl });
    await client.connect();
    try {
      return Number((await client.query<{ ok: number }>("SELECT 1 AS ok")).rows[0]!.ok);
    } finally {
      await client.end();
    }
  }
  const connection = await mysql.createConnection({
    host: s.host, port: s.port, user: s.user, database: s.database, password,
    ssl: ssl as mysql.SslOptions,
    authPlugins: cleartextPasswordPlugin(password),
  });
  try {
    const [rows] = await connection.query("SELECT 1 AS ok");
    return Number((rows as { ok: number }[])[0]!.ok);
  } finally {
    await connection.end();
  }
};

export function createHandler(tokenSource: TokenSource = iamToken, query: Query = selectOne) {
  return async (): Promise<{ ok: boolean; engineFamily: string }> => {
    const settings = settingsFromEnvironment(process.env);
    const result = await query(settings, await tokenSource(settings));
    return { ok: result === 1, engineFamily: settings.engineFamily };
  };
}

export const handler = createHandler();
