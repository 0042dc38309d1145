/**
 * Suppressions live on the construct (and cover everything under it), carry a reason, and are still
 * listed in the findings, marked suppressed: relaxing a rule is visible in every review.
 */
import type { IConstruct } from "constructs";
import { packRule } from "./pack.ts";

const METADATA_TYPE = "dbstack:policy-suppression";

export interface Suppression {
  readonly id: string;
  readonly reason: string;
}

export function suppressRule(construct: IConstruct, id: string, reason: string): void {
  if (!packRule(id)) throw new Error(`suppressRule: no policy rule "${id}"`);
  if (typeof reason !== "string" || reason.trim().length < 10) {
    throw new Error(`suppressRule ${id} on ${construct.node.path}: the reason must be at least 10 characters, got ${JSON.stringify(reason)}`);
  }
  construct.node.addMetadata(METADATA_TYPE, { id, reason: reason.trim() });
}

/** The suppression of `id` on the construct or its nearest ancestor that has one. */
export function suppressionFor(construct: IConstruct, id: string): Suppression | undefined {
  for (const scope of [...construct.node.scopes].reverse()) {
    const entry = scope.node.metadata.find((m) => m.type === METADATA_TYPE && (m.data as Suppression).id === id);
    if (entry) return entry.data as Suppression;
  }
  return undefined;
}
