/**
 * Dates in the catalog: when AWS stops creating something (a Lambda runtime, an engine version, a build
 * runtime), or a date it is derived from (an engine version's end of standard support, see
 * `creationBlockedFrom`). Past the date the setting is refused; within WARNING_DAYS of it a warning names
 * the date. The clock is always passed in, so tests are deterministic.
 */

/** Days before a retirement date from which a setting that uses it is reported as a warning. */
export const WARNING_DAYS = 90;

/** A catalog older than this (compared with the clock) fails its test: the data must be reviewed. */
export const MAX_CATALOG_AGE_DAYS = 365;

/** One dated part of the catalog, with where its data comes from. */
export interface CatalogPart {
  readonly name: string;
  /** The day the data was last checked against its sources, "YYYY-MM-DD". */
  readonly asOf: string;
  /** Document titles and sections the data comes from. */
  readonly sources: readonly string[];
}

export type Lifecycle =
  | { readonly status: "current" }
  | { readonly status: "expiring"; readonly date: string; readonly daysLeft: number }
  | { readonly status: "retired"; readonly date: string };

const DAY_MS = 24 * 60 * 60 * 1000;

/** Midnight UTC of an ISO date, as a timestamp; throws on a malformed catalog date. */
export function dayOf(isoDate: string): number {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(isoDate) || Number.isNaN(Date.parse(`${isoDate}T00:00:00Z`))) {
    throw new Error(`catalog date "${isoDate}" is not YYYY-MM-DD`);
  }
  return Date.parse(`${isoDate}T00:00:00Z`);
}

/** Whole days from `now` to the date (negative once it has passed). */
export function daysUntil(isoDate: string, now: Date): number {
  return Math.ceil((dayOf(isoDate) - now.getTime()) / DAY_MS);
}

/**
 * Where `now` stands against a retirement date: from the date on (UTC), "retired"; within WARNING_DAYS
 * before it, "expiring"; otherwise (or without a date) "current".
 */
export function lifecycleOn(retires: string | undefined, now: Date): Lifecycle {
  if (retires === undefined) return { status: "current" };
  const daysLeft = daysUntil(retires, now);
  if (daysLeft <= 0) return { status: "retired", date: retires };
  if (daysLeft <= WARNING_DAYS) return { status: "expiring", date: retires, daysLeft };
  return { status: "current" };
}

/**
 * The first day dbstack refuses new databases on an engine version, from its end of standard support.
 * AWS stops creating databases on a version before its support ends; an AWS Health notice for RDS for
 * PostgreSQL (2026) says: "Starting May 1, 2026, you will not be able to create new database instances …
 * which will reach the end of standard support on May 31, 2026." The rule: one month before the day after
 * support ends, on the 1st of that month (2026-05-31 -> 2026-05-01; 2029-02-28 -> 2029-02-01). Where the
 * calendar gives a mid-month day it errs early (2027-02-17 -> 2027-01-01).
 */
export function creationBlockedFrom(endOfStandardSupport: string): string {
  const dayAfter = new Date(dayOf(endOfStandardSupport) + DAY_MS);
  const blocked = new Date(Date.UTC(dayAfter.getUTCFullYear(), dayAfter.getUTCMonth() - 1, 1));
  return blocked.toISOString().slice(0, 10);
}

/** Age of a catalog part in days on `now`. */
export function catalogAgeDays(part: CatalogPart, now: Date): number {
  return -daysUntil(part.asOf, now);
}
