/**
 * What a database stores for a password, computed on the client, so that the password itself is never
 * part of a SQL statement: a server logs a failing statement with its text (PostgreSQL's
 * log_min_error_statement, MariaDB's SQL error log), and may log every statement (log_statement, the
 * general log, the binary log), and RDS exports those logs to CloudWatch.
 *
 * Each function hashes the password's UTF-8 bytes exactly as given: callers keep only passwords that
 * every driver sends as those bytes (see `passwordProblem` in user-secret.ts).
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";

/** PostgreSQL's defaults (scram_iterations, SCRAM_DEFAULT_SALT_LEN). */
const SCRAM_ITERATIONS = 4096;
const SCRAM_SALT_BYTES = 16;

/**
 * A SCRAM-SHA-256 verifier in PostgreSQL's text form (RFC 5803), which CREATE/ALTER ROLE … PASSWORD
 * stores as it is. It lets the server check a login, not recover the password.
 */
export function scramSha256Verifier(password: string, salt: Buffer = randomBytes(SCRAM_SALT_BYTES), iterations = SCRAM_ITERATIONS): string {
  const salted = pbkdf2Sync(Buffer.from(password, "utf8"), salt, iterations, 32, "sha256");
  const clientKey = createHmac("sha256", salted).update("Client Key").digest();
  const storedKey = createHash("sha256").update(clientKey).digest();
  const serverKey = createHmac("sha256", salted).update("Server Key").digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}

export type MysqlPasswordPlugin = "mysql_native_password" | "caching_sha2_password";

/** mysql_native_password's authentication string: "*" and SHA1(SHA1(password)) in upper-case hex. */
export function mysqlNativeHash(password: string): string {
  const stage1 = createHash("sha1").update(Buffer.from(password, "utf8")).digest();
  return `*${createHash("sha1").update(stage1).digest("hex").toUpperCase()}`;
}

// caching_sha2_password stores "$A$" + rounds/1000 as 3 hex digits + "$" + a 20-byte salt + the 43-character
// SHA-256 crypt digest (Drepper's "SHA-crypt", which MySQL implements with a 20-byte salt).
const CACHING_SHA2_ROUNDS = 5000;
const CACHING_SHA2_SALT_BYTES = 20;
const CRYPT_ALPHABET = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/** The order SHA-256 crypt encodes its 32 digest bytes in, three at a time. */
const CRYPT_BYTE_ORDER = [[0, 10, 20], [21, 1, 11], [12, 22, 2], [3, 13, 23], [24, 4, 14], [15, 25, 5], [6, 16, 26], [27, 7, 17], [18, 28, 8], [9, 19, 29]] as const;

const sha256 = (...parts: Buffer[]) => createHash("sha256").update(Buffer.concat(parts)).digest();

/** `source` repeated to exactly `length` bytes. */
function repeatTo(source: Buffer, length: number): Buffer {
  return Buffer.concat(Array.from({ length: Math.ceil(length / source.length) || 0 }, () => source)).subarray(0, length);
}

/** SHA-256 crypt (https://www.akkadia.org/drepper/SHA-crypt.txt): the digest part of "$5$…$<digest>". */
export function sha256Crypt(password: Buffer, salt: Buffer, rounds: number): string {
  const alternate = sha256(password, salt, password);
  const bits: Buffer[] = [];
  for (let n = password.length; n > 0; n >>= 1) bits.push(n & 1 ? alternate : password);
  let digest = sha256(password, salt, repeatTo(alternate, password.length), ...bits);
  const p = repeatTo(sha256(...Array.from({ length: password.length }, () => password)), password.length);
  const s = repeatTo(sha256(...Array.from({ length: 16 + digest[0]! }, () => salt)), salt.length);
  for (let round = 0; round < rounds; round++) {
    digest = sha256(round % 2 ? p : digest, round % 3 ? s : Buffer.alloc(0), round % 7 ? p : Buffer.alloc(0), round % 2 ? digest : p);
  }
  const encode = (value: number, characters: number) =>
    Array.from({ length: characters }, (_, i) => CRYPT_ALPHABET[(value >> (6 * i)) & 0x3f]).join("");
  return CRYPT_BYTE_ORDER.map(([a, b, c]) => encode((digest[a]! << 16) | (digest[b]! << 8) | digest[c]!, 4)).join("")
    + encode((digest[31]! << 8) | digest[30]!, 3);
}

/** caching_sha2_password's authentication string; the salt uses letters and digits only, so it needs no escaping. */
export function cachingSha2Hash(password: string, salt: string = randomSalt(CACHING_SHA2_SALT_BYTES)): string {
  const rounds = (CACHING_SHA2_ROUNDS / 1000).toString(16).padStart(3, "0").toUpperCase();
  return `$A$${rounds}$${salt}${sha256Crypt(Buffer.from(password, "utf8"), Buffer.from(salt, "latin1"), CACHING_SHA2_ROUNDS)}`;
}

function randomSalt(length: number): string {
  const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  return [...randomBytes(length)].map((byte) => letters[byte % letters.length]).join("");
}

export function mysqlPasswordHash(plugin: MysqlPasswordPlugin, password: string): string {
  return plugin === "mysql_native_password" ? mysqlNativeHash(password) : cachingSha2Hash(password);
}

/**
 * Whether a MySQL account's stored authentication string (as read from mysql.user, in hex so that binary
 * salt bytes survive) is `password`'s; undefined for a plugin whose hash cannot be recomputed here.
 */
export function mysqlHashMatches(plugin: string, authenticationStringHex: string, password: string): boolean | undefined {
  const stored = Buffer.from(authenticationStringHex, "hex").toString("latin1");
  if (plugin === "mysql_native_password") return stored.toUpperCase() === mysqlNativeHash(password);
  if (plugin === "caching_sha2_password") {
    const match = /^\$A\$([0-9A-F]{3})\$([\s\S]{20})([./0-9A-Za-z]{43})$/.exec(stored);
    if (!match) return false;
    const rounds = Number.parseInt(match[1]!, 16) * 1000;
    return sha256Crypt(Buffer.from(password, "utf8"), Buffer.from(match[2]!, "latin1"), rounds) === match[3];
  }
  return undefined;
}
