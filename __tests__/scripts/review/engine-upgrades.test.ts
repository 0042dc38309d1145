import { describe, expect, it } from "vitest";
import { buildReview, renderMarkdown, type SynthesizedEnvironment } from "../../../scripts/lib/review/review.ts";
import { environments } from "../../../stacks/environments.ts";
import type { EnvironmentInput } from "../../../stacks/config.ts";
import type { DatabaseSettingsInput } from "../../../modules/database-settings.ts";
import { synthEnvironment } from "../../helpers.ts";

const prod = environments.find((e) => e.name === "prod")!;
const withDatabase = (database: Partial<DatabaseSettingsInput>): EnvironmentInput => ({ ...prod, database: { ...prod.database, ...database } });
const reviewed = (input: EnvironmentInput): SynthesizedEnvironment => ({
  name: input.name,
  stacks: Object.fromEntries(Object.entries(synthEnvironment(input).stacks).map(([name, { parsed }]) => [name, parsed as unknown as Record<string, unknown>])),
});

describe("the review of an engine version change", () => {
  const base = [reviewed(prod)];

  it("flags a major upgrade first on the page, with what it will do: downtime, no undo, the parameter group swap", () => {
    const head = [reviewed(withDatabase({ engineVersion: "17.6", upgrade: { from: "16.8", allowMajor: "16->17" }, originalMajorVersion: "16", applyImmediately: true }))];
    const review = buildReview(head, base);
    expect(review.engineUpgrades).toEqual([{
      environment: "prod", stack: "prod-database", address: "aws_rds_cluster.database_cluster_FAF2FB92", from: "16.8", to: "17.6", kind: "major",
      effects: [
        "RDS upgrades 16.8 -> 17.6 in place at apply: the database is unavailable for the upgrade (every instance at once; minutes to an hour by size)",
        "a major upgrade cannot be undone in place: take a snapshot before applying (RDS instances take one themselves when backups are on)",
        "parameter group swap: orders-prod-cluster (aurora-postgresql16) -> orders-prod-cluster-aurora-postgresql17 (aurora-postgresql17), created before the database moves to it, the old one destroyed after",
        "extensions and application drivers must support the new major; run the engine's upgrade checks on a copy first",
      ],
    }]);
    const page = renderMarkdown(review);
    expect(page.indexOf("## 🔺 Engine version changes")).toBeGreaterThan(0);
    expect(page.indexOf("## 🔺 Engine version changes")).toBeLessThan(page.indexOf("## prod"));
    expect(page).toContain("- **MAJOR UPGRADE** — prod prod-database `aws_rds_cluster.database_cluster_FAF2FB92`: 16.8 → 17.6");
  });

  it("says when a changed engineVersion plans nothing, because it is a least version without database.upgrade", () => {
    const review = buildReview([reviewed(withDatabase({ engineVersion: "16.10" }))], base);
    expect(review.engineUpgrades).toMatchObject([{ from: "16.8", to: "16.10", kind: "not-planned" }]);
    expect(review.engineUpgrades![0]!.effects[0]).toMatch(/^nothing is planned: engineVersion is a least version \(16\.10\)/);
  });

  it("describes a planned minor upgrade, and lists nothing when the version is unchanged", () => {
    const review = buildReview([reviewed(withDatabase({ engineVersion: "16.10", upgrade: { from: "16.8" } }))], base);
    expect(review.engineUpgrades).toMatchObject([{ kind: "minor", effects: ["RDS applies the minor upgrade 16.8 -> 16.10 in the next maintenance window, restarting the database (seconds to minutes)"] }]);
    expect(buildReview(base, base).engineUpgrades).toEqual([]);
  });

  it.each(environments.map((e) => [e.name, e] as const))("takes shipped %s to the next major by config alone, and its review says so first", (name, env) => {
    const upgraded: EnvironmentInput = {
      ...env, database: { ...env.database, engineVersion: "17.7", upgrade: { from: env.database.engineVersion!, allowMajor: "16->17" }, originalMajorVersion: "16", applyImmediately: true },
    };
    const review = buildReview([reviewed(upgraded)], [reviewed(env)]);
    expect(review.engineUpgrades).toMatchObject([{ environment: name, stack: `${name}-database`, from: "16.8", to: "17.7", kind: "major" }]);
    expect(review.engineUpgrades![0]!.effects.join("\n")).toMatch(/parameter group swap: \S+-cluster \(aurora-postgresql16\) -> \S+-cluster-aurora-postgresql17 \(aurora-postgresql17\)/);
    expect(renderMarkdown(review).indexOf("**MAJOR UPGRADE**")).toBeLessThan(renderMarkdown(review).indexOf(`## ${name}`));
  });
});
