/**
 * verify-full means the certificate must name the host, on MySQL too: mysql2 checks only the chain unless
 * the shared settings (scripts/lib/connection/tls.ts) ask it to. A real MariaDB whose certificate names another host
 * (writer.dbstack.test, not localhost) is refused by the bootstrap core and the migrations, which the
 * bootstrap CLI, migrate.ts and the setup function reach it through; `require` still only encrypts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runBootstrap, type BootstrapRequest } from "../../../scripts/lib/database/bootstrap.ts";
import { ScriptError } from "../../../scripts/lib/cli.ts";
import { migrate } from "../../../scripts/lib/database/migrations.ts";
import { tlsSettings, type TlsOptions } from "../../../scripts/lib/connection/tls.ts";
import { makeCertificates } from "../../support/certificates.ts";
import { fakeSecrets } from "../../support/fake-secrets.ts";
import { mariadbAvailable, startMariadb, type ServerInfo } from "../../support/servers.ts";

const MASTER_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-master-AbCdEf";
const arn = (user: string) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/test/database/${user}-AbCdEf`;
/** The only name in the server's certificate; the tests connect to localhost. */
const CERTIFICATE_NAME = "writer.dbstack.test";
const HOST_NAME_MISMATCH = new RegExp(`Hostname/IP does not match certificate's altnames: Host: localhost\\. is not in the cert's altnames: DNS:${CERTIFICATE_NAME.replace(/\./g, "\\.")}`);

describe("the shared TLS settings", () => {
  it("ask both drivers to check the host name in verify-full mode (mysql2 needs verifyIdentity; pg ignores it)", () => {
    expect(tlsSettings("shop.proxy-abc.eu-west-1.rds.amazonaws.com", { mode: "verify-full", caSet: "proxy" }))
      .toMatchObject({ rejectUnauthorized: true, servername: "shop.proxy-abc.eu-west-1.rds.amazonaws.com", verifyIdentity: true });
  });

  it("only encrypt in require mode, for tunnels where no name can match", () => {
    expect(tlsSettings("localhost", { mode: "require", caSet: "rds" })).toEqual({ rejectUnauthorized: false });
  });
});

const missing = mariadbAvailable() === undefined;
if (missing) console.warn("\n!!! SKIPPED: host-name verification against a real MySQL-compatible server — MariaDB is not installed (.ci/run installs mariadb-server)\n");

describe.skipIf(missing)("a MariaDB whose certificate names another host", () => {
  let server: ServerInfo;
  let stop: () => Promise<void>;
  const secrets = fakeSecrets();

  beforeAll(async () => {
    const started = await startMariadb(makeCertificates([`DNS:${CERTIFICATE_NAME}`]));
    server = started.info;
    stop = started.stop;
    secrets.store.set(MASTER_ARN, JSON.stringify({ username: server.masterUser, password: server.masterPassword }));
  }, 120_000);
  afterAll(async () => {
    await stop?.();
  });

  const verifyFull = (): TlsOptions => ({ mode: "verify-full", caSet: "rds", caFile: server.caFile });
  const bootstrap = (tls: TlsOptions, log: string[] = []) => {
    const request: BootstrapRequest = {
      dialect: "mysql", host: server.host, port: server.port, database: "shop", engine: "mysql", secretHost: server.host, secretPort: server.port,
      users: [{ name: "migrator", privileges: "owner", login: "password", secretArn: arn("migrator") }],
      master: { secretArn: MASTER_ARN }, tls: tlsSettings(server.host, tls), dryRun: false, waitTimeoutMs: 10_000,
    };
    return runBootstrap(request, { secrets: secrets.client, log: (line) => log.push(line) });
  };

  it("is refused in verify-full mode by the bootstrap core, at once, before any statement (exit 3)", async () => {
    const log: string[] = [];
    const puts = secrets.puts();
    const error = await bootstrap(verifyFull(), log).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ScriptError);
    expect((error as ScriptError).exitCode).toBe(3);
    expect((error as Error).message).toMatch(new RegExp(`^cannot open a TLS connection to localhost:${server.port}: ${HOST_NAME_MISMATCH.source}`));
    expect(log.filter((line) => /attempt \d/.test(line))).toEqual([]);
    expect(secrets.puts()).toBe(puts);
  }, 60_000);

  it("is accepted in require mode, which only encrypts, as documented for tunnels", async () => {
    await bootstrap({ mode: "require", caSet: "rds" });
    expect(JSON.parse(secrets.store.get(arn("migrator"))!)).toMatchObject({ username: "migrator", host: "localhost", port: server.port });
  }, 60_000);

  it("is refused in verify-full mode by the migrations (exit 3), without retrying", async () => {
    const log: string[] = [];
    const password = JSON.parse(secrets.store.get(arn("migrator"))!).password as string;
    const error = await migrate({
      engineFamily: "MYSQL", host: server.host, port: server.port, database: "shop", user: "migrator", auth: { type: "password", password }, tls: verifyFull(),
    }, { waitTimeoutMs: 10_000, log: (line) => log.push(line) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ScriptError);
    expect((error as ScriptError).exitCode).toBe(3);
    expect((error as Error).message).toMatch(new RegExp(`^cannot connect as migrator: ${HOST_NAME_MISMATCH.source}`));
    expect(log.filter((line) => /attempt \d/.test(line))).toEqual([]);
  }, 60_000);
});
