/** Input problems, collected and reported together, each naming the field, the value and what is allowed. */
export interface InputProblem {
  /** Dotted path of the field, e.g. "users.app.privileges". */
  readonly path: string;
  readonly value: unknown;
  /** Follows "—": "must be 1..65535". */
  readonly allowed: string;
}

export function formatProblems(subject: string, problems: readonly InputProblem[]): string {
  const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
  return `${subject}: ${count}\n${problems.map((p) => `  - ${p.path}: ${JSON.stringify(p.value) ?? "(not set)"} — ${p.allowed}`).join("\n")}`;
}
