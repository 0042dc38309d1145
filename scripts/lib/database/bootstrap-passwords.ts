/**
 * Which password each user ends up with, as a pure function of its secret's versions, whether it exists
 * in the database, and whether a rotation was asked for. The secret's AWSCURRENT is the truth clients
 * and the proxy read: the database is made to match it, and a password only changes through AWSPENDING.
 */
import type { Login } from "./bootstrap-plan.ts";
import type { SecretVersion, SecretVersions } from "./secret-versions.ts";
import { passwordProblem } from "./user-secret.ts";

export type PasswordDecision =
  /** Logs in with IAM: no password anywhere. */
  | { readonly kind: "none" }
  /** The user exists and its secret holds a usable password: nothing to do if the database agrees. */
  | { readonly kind: "keep"; readonly password: string }
  /** The database must get the password AWSCURRENT already holds (the user is missing, or its password drifted). */
  | { readonly kind: "set"; readonly password: string }
  /**
   * A password AWSCURRENT does not hold yet: stored as AWSPENDING first, then set in the database, then
   * made current. `pending` is an unfinished earlier change being completed; `notice` says why, when the
   * operator did not ask for it.
   */
  | { readonly kind: "replace"; readonly password: string; readonly pending?: SecretVersion; readonly notice?: string };

export interface PasswordFacts {
  readonly login: Login;
  readonly userExists: boolean;
  readonly versions: SecretVersions;
  readonly rotate: boolean;
}

/** An AWSPENDING version left by a run that stopped between storing a new password and making it current. */
export function unfinishedPending(versions: SecretVersions): SecretVersion | undefined {
  const pending = versions.pending;
  if (!pending || pending.versionId === versions.current?.versionId) return undefined;
  const password = pending.value?.password;
  return typeof password === "string" && password !== "" && passwordProblem(password) === undefined ? pending : undefined;
}

export function decidePassword(facts: PasswordFacts, generate: () => string): PasswordDecision {
  if (facts.login === "iam") return { kind: "none" };
  if (facts.rotate) return { kind: "replace", password: generate() };
  const pending = unfinishedPending(facts.versions);
  if (pending) return { kind: "replace", password: pending.value!.password!, pending, notice: "finishing a password change a previous run left in AWSPENDING" };
  const current = facts.versions.current?.value?.password;
  if (typeof current !== "string" || current === "") {
    // No current version is a secret Terraform created empty: its first password. Anything else stored there is overwritten, and said.
    const why = currentValueProblem(facts.versions.current);
    return { kind: "replace", password: generate(), ...(why ? { notice: `replacing the stored password: its current value ${why}` } : {}) };
  }
  const problem = passwordProblem(current);
  if (problem) return { kind: "replace", password: generate(), notice: `replacing the stored password: ${problem}` };
  return facts.userExists ? { kind: "keep", password: current } : { kind: "set", password: current };
}

/** Why a current version holds no usable password, or undefined when there is no current version. */
export function currentValueProblem(current: SecretVersion | undefined): string | undefined {
  if (!current) return undefined;
  if (current.unreadable) return current.unreadable;
  const password = current.value?.password;
  if (password === undefined) return "has no password field";
  return typeof password === "string" ? (password === "" ? "has an empty password" : undefined) : `has a password that is not a string (${typeof password})`;
}
