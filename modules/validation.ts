/**
 * Settings problems, collected rather than thrown one at a time, so that a bad configuration is reported
 * whole: every problem names the setting's path, the value given and what AWS (or dbstack) allows.
 */
export interface Problem {
  /** Dotted path of the setting, relative to whatever is being validated. */
  readonly path: string;
  readonly value: unknown;
  /** What is allowed instead, phrased to follow "—": "must be 1..35". */
  readonly allowed: string;
}

const SECRET_LIKE_NAME = /PASS|SECRET|TOKEN|PRIVATE|CREDENTIAL|API_?KEY|ACCESS_?KEY/i;

/** Whether a variable or parameter name looks like it holds a secret (password, token, key…). */
export function isSecretLikeName(name: string): boolean {
  return SECRET_LIKE_NAME.test(name);
}

export class ValidationError extends Error {
  readonly problems: readonly Problem[];

  constructor(subject: string, problems: readonly Problem[]) {
    const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
    super(`${subject}: ${count}\n${problems.map((p) => `  - ${formatProblem(p)}`).join("\n")}`);
    this.name = "ValidationError";
    this.problems = problems;
  }
}

export function formatProblem(problem: Problem): string {
  return `${problem.path}: ${formatValue(problem.value)} — ${problem.allowed}`;
}

function formatValue(value: unknown): string {
  if (value === undefined) return "(not set)";
  if (typeof value === "string") return JSON.stringify(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Collects problems under a path prefix; `at` makes a child collector for a nested object. */
export class Problems {
  private readonly list: Problem[];
  private readonly prefix: string;

  constructor(prefix = "", list: Problem[] = []) {
    this.prefix = prefix;
    this.list = list;
  }

  at(segment: string | number): Problems {
    const joined = typeof segment === "number" ? `${this.prefix}[${segment}]` : this.join(segment);
    return new Problems(joined, this.list);
  }

  add(path: string, value: unknown, allowed: string): void {
    this.list.push({ path: this.join(path), value, allowed });
  }

  /** Records a problem unless `ok`; returns `ok` so callers can skip checks that depend on it. */
  check(ok: boolean, path: string, value: unknown, allowed: string): boolean {
    if (!ok) this.add(path, value, allowed);
    return ok;
  }

  oneOf<T>(path: string, value: unknown, allowed: readonly T[]): value is T {
    return this.check(allowed.includes(value as T), path, value, `must be one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}`);
  }

  integer(path: string, value: unknown, min: number, max: number): value is number {
    const ok = typeof value === "number" && Number.isInteger(value) && value >= min && value <= max;
    return this.check(ok, path, value, `must be a whole number from ${min} to ${max}`);
  }

  matches(path: string, value: unknown, pattern: RegExp, allowed: string): value is string {
    return this.check(typeof value === "string" && pattern.test(value), path, value, allowed);
  }

  get all(): readonly Problem[] {
    return this.list;
  }

  throwIfAny(subject: string): void {
    if (this.list.length > 0) throw new ValidationError(subject, this.list);
  }

  private join(segment: string): string {
    if (segment === "") return this.prefix;
    return this.prefix === "" ? segment : `${this.prefix}.${segment}`;
  }
}
