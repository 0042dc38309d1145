/** The JSON every database user's secret holds, and the passwords the bootstrap script generates. */
import { randomBytes } from "node:crypto";

export interface UserSecret {
  readonly username: string;
  /** Absent for users that log in with IAM only. */
  readonly password?: string;
  readonly host: string;
  readonly port: number;
  readonly dbname: string;
  readonly engine: string;
}

/** RDS refuses "/", "@", '"' and spaces in passwords; this alphabet avoids every character that needs quoting anywhere. */
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** A 40-character password from a 62-symbol alphabet (~238 bits), without modulo bias. */
export function generatePassword(length = 40): string {
  let password = "";
  while (password.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && password.length < length) password += ALPHABET[byte % 62];
    }
  }
  return password;
}

// RFC 3454 tables SASLprep maps: C.1.2 (non-ASCII spaces, to a space) and B.1 (to nothing).
const SASLPREP_MAPPED = /[\u00A0\u1680\u2000-\u200B\u202F\u205F\u3000\u00AD\u034F\u1806\u180B-\u180D\u200C\u200D\u2060\uFE00-\uFE0F\uFEFF]/u;

/**
 * Why a stored password cannot be kept, or undefined. Drivers must all send the same bytes for it: libpq
 * and PostgreSQL apply SASLprep (and fall back to the raw password when a character is prohibited),
 * node-postgres applies only SASLprep's mappings, so a password those mappings or NFKC change logs in
 * with one driver and not another. NUL ends a password in the wire protocols.
 */
export function passwordProblem(password: string): string | undefined {
  if (password.includes("\0")) return "it contains a NUL character, which ends a password on the wire";
  if (SASLPREP_MAPPED.test(password) || password.normalize("NFKC") !== password) {
    return "SASLprep normalisation changes it (non-ASCII spaces, invisible characters or compatibility forms), so drivers that normalise and drivers that do not would send different passwords";
  }
  return undefined;
}

/** Why a stored value cannot be read as a user secret at all, or undefined when it can (or there is none). */
export function unreadableSecretProblem(value: string | undefined): string | undefined {
  if (!value) return undefined;
  try {
    const parsed = JSON.parse(value) as unknown;
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? undefined : "is JSON but not an object";
  } catch {
    return "is not JSON";
  }
}

/** Parses a stored secret value; undefined when there is none or it is not a user secret. */
export function parseUserSecret(value: string | undefined): Partial<UserSecret> | undefined {
  if (!value) return undefined;
  try {
    const parsed = JSON.parse(value) as Record<string, unknown>;
    return typeof parsed === "object" && parsed !== null ? (parsed as Partial<UserSecret>) : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the stored secret already says exactly this (so nothing needs writing). */
export function secretMatches(stored: Partial<UserSecret> | undefined, wanted: UserSecret): boolean {
  if (!stored) return false;
  const keys: (keyof UserSecret)[] = ["username", "password", "host", "port", "dbname", "engine"];
  return keys.every((key) => stored[key] === wanted[key]);
}
