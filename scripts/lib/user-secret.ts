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
