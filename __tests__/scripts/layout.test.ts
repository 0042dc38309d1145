/**
 * The tree says where code runs: the parts of scripts/lib that a Lambda bundle may import, and the
 * one folder of name rules that modules/ and stacks/ share with the scripts. These follow real imports
 * (the same walk the bundler's cache key uses), so a new import across the line fails here.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { HANDLERS, localSources } from "../../modules/lambda-bundle.ts";

const ROOT = process.cwd();
/** What runs inside AWS: the bootstrap core, the setup function, the connection helpers, the shared name rules. */
const IN_AWS = ["scripts/lambda/", "scripts/lib/database/", "scripts/lib/setup/", "scripts/lib/connection/", "scripts/lib/names/", "scripts/lib/cli.ts"];
/** What never leaves the repository: Terraform tooling, the review page, and the operator's commands. */
const REPOSITORY_ONLY = ["scripts/lib/terraform/", "scripts/lib/review/", "scripts/lib/deploy/"];

function bundleFiles(handler: keyof typeof HANDLERS): string[] {
  return [...localSources(HANDLERS[handler])].map((file) => relative(ROOT, file)).sort();
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts")).map((f) => join(dir, f));
}

function relativeImports(file: string): string[] {
  const text = readFileSync(join(ROOT, file), "utf8");
  return [...text.matchAll(/from\s+["'](\.{1,2}\/[^"']+)["']/g)].map(([, specifier]) => relative(ROOT, join(ROOT, file, "..", specifier!)));
}

describe("scripts/lib layout", () => {
  it.each(Object.keys(HANDLERS) as (keyof typeof HANDLERS)[])("bundles %s only from the parts that run inside AWS", (handler) => {
    const files = bundleFiles(handler);
    expect(files.length).toBeGreaterThan(1);
    expect(files.filter((file) => !IN_AWS.some((part) => file.startsWith(part)))).toEqual([]);
  });

  it("bundles the setup function from the setup, database, connection and names parts", () => {
    const parts = new Set(bundleFiles("db-setup").map((file) => file.split("/").slice(0, 3).join("/")));
    expect([...parts].sort()).toEqual(["scripts/lambda/db-setup.ts", "scripts/lib/cli.ts", "scripts/lib/connection", "scripts/lib/database", "scripts/lib/names", "scripts/lib/setup"]);
  });

  it("keeps the in-AWS parts free of repository tooling", () => {
    const inAws = IN_AWS.filter((part) => part.endsWith("/")).flatMap((part) => sourceFiles(part));
    const crossings = inAws.flatMap((file) => relativeImports(file).filter((target) => REPOSITORY_ONLY.some((part) => target.startsWith(part))).map((target) => `${file} -> ${target}`));
    expect(inAws.length).toBeGreaterThan(10);
    expect(crossings).toEqual([]);
  });

  it("lets modules/ and stacks/ import from scripts/ only the shared name rules and catalog data, which import nothing", () => {
    const constructs = [...sourceFiles("modules"), ...sourceFiles("stacks")];
    const intoScripts = constructs.flatMap((file) => relativeImports(file).filter((target) => target.startsWith("scripts/")));
    expect(intoScripts.length).toBeGreaterThan(0);
    expect(intoScripts.filter((target) => !target.startsWith("scripts/lib/names/") && !target.startsWith("scripts/lib/catalog/"))).toEqual([]);
    expect(sourceFiles("scripts/lib/names").flatMap(relativeImports)).toEqual([]);
    expect(sourceFiles("scripts/lib/catalog").flatMap(relativeImports)).toEqual([]);
  });

  it("keeps scripts/ away from modules/ and stacks/", () => {
    const scripts = sourceFiles("scripts");
    const crossings = scripts.flatMap((file) => relativeImports(file).filter((target) => /^(modules|stacks)\//.test(target)).map((target) => `${file} -> ${target}`));
    expect(crossings).toEqual([]);
  });
});
