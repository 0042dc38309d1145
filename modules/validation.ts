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
/** A plain object (not null, not a list): what every settings section must be before its fields are read. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function isSecretLikeName(name: string): boolean {
  return SECRET_LIKE_NAME.test(name);
}

/** Shapes of credentials in a value, whatever the variable is called; first match wins. */
const CREDENTIAL_VALUES: readonly (readonly [RegExp, string])[] = [
  [/\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:[^/\s@]+@/i, "a URL with a password in it (scheme://user:password@host)"],
  [/\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/, "an AWS access key id"],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, "a private key"],
  [/(?:^|[;&?\s,])(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key)\s*[=:]\s*[^\s;&,]+/i, "a password, secret, token or key assignment (e.g. Password=…)"],
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/, "a JSON web token"],
  [/\b(?:gh[pousr]_[A-Za-z0-9]{36,}|xox[abposr]-[A-Za-z0-9-]{10,}|sk_live_[A-Za-z0-9]{16,})\b/, "an access token (GitHub, Slack, Stripe)"],
];

/**
 * What kind of credential a value carries (a connection URL with a password, an access key, a token…), or
 * undefined: plain values reach task definitions and parameters that anyone with read access can see.
 */
export function credentialIn(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  return CREDENTIAL_VALUES.find(([pattern]) => pattern.test(value))?.[1];
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

/**
 * Collects problems under a path prefix; `at` makes a child collector for a nested object. Warnings (for
 * settings AWS still accepts but soon will not) are collected alongside in the same form and never throw.
 */
export class Problems {
  private readonly list: Problem[];
  private readonly warningList: Problem[];
  private readonly prefix: string;

  constructor(prefix = "", list: Problem[] = [], warnings: Problem[] = []) {
    this.prefix = prefix;
    this.list = list;
    this.warningList = warnings;
  }

  at(segment: string | number): Problems {
    const joined = typeof segment === "number" ? `${this.prefix}[${segment}]` : this.join(segment);
    return new Problems(joined, this.list, this.warningList);
  }

  add(path: string, value: unknown, allowed: string): void {
    this.list.push({ path: this.join(path), value, allowed });
  }

  /** Records a warning: accepted today, but the text says what changes and when. */
  warn(path: string, value: unknown, text: string): void {
    this.warningList.push({ path: this.join(path), value, allowed: text });
  }

  get warnings(): readonly Problem[] {
    return this.warningList;
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

  /** Each of these optional settings, when set, must be true or false. */
  booleans(settings: Readonly<Record<string, unknown>>): void {
    for (const [path, value] of Object.entries(settings)) {
      if (value !== undefined) this.check(typeof value === "boolean", path, value, "must be true or false");
    }
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
