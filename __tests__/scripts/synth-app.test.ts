import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const CACHE = join(process.cwd(), "node_modules", ".cache", "dbstack", "app");
const env = (outdir: string) => ({ ...process.env, CDKTF_OUTDIR: outdir, CHECKPOINT_DISABLE: "1" });
const bundles = () => new Set(readdirSync(CACHE).filter((f) => f.endsWith(".mjs")));

/** Every file under a directory, relative path -> content. */
function tree(dir: string, prefix = ""): Record<string, string> {
  return Object.fromEntries(readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((e) => {
    const path = join(prefix, e.name);
    return e.isDirectory() ? Object.entries(tree(dir, path)) : [[path, readFileSync(join(dir, path), "utf8")]];
  }));
}

describe("the app as cdktf runs it (scripts/synth-app.mjs)", () => {
  it("writes exactly what main.ts writes when run through the TypeScript loader", () => {
    const bundled = mkdtempSync(join(tmpdir(), "dbstack-bundled-"));
    const loaded = mkdtempSync(join(tmpdir(), "dbstack-loaded-"));
    const printedBundled = execFileSync(process.execPath, ["scripts/synth-app.mjs"], { env: env(bundled), encoding: "utf8" });
    const printedLoaded = execFileSync(process.execPath, ["--import", "tsx", "main.ts"], { env: env(loaded), encoding: "utf8" });
    expect(printedBundled).toBe(printedLoaded);
    const a = tree(bundled);
    expect(Object.keys(a)).toContain(join("stacks", "prod-proxy", "cdk.tf.json"));
    expect(a).toEqual(tree(loaded));
  }, 60_000);

  it("bundles once per content: reuses the bundle while nothing changed, and never runs a stale one", () => {
    const dir = join(process.cwd(), "cdktf.out", "synth-app-test");
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    // Words no earlier run used, so every bundle this test needs is new to the cache.
    const [first, second] = [`first-${process.pid}-${Date.now()}`, `second-${process.pid}-${Date.now()}`];
    writeFileSync(join(dir, "part.ts"), `export const word: string = "${first}";\n`);
    writeFileSync(join(dir, "entry.ts"), 'import { word } from "./part.ts";\nconsole.log(`entry says ${word}`);\n');
    const run = () => execFileSync(process.execPath, ["scripts/synth-app.mjs", join(dir, "entry.ts")], { encoding: "utf8" }).trim();

    expect(run()).toBe(`entry says ${first}`);
    const afterFirst = bundles();
    expect(run()).toBe(`entry says ${first}`);
    expect(bundles()).toEqual(afterFirst);

    // A change two files deep is a new bundle, built and run at once.
    writeFileSync(join(dir, "part.ts"), `export const word: string = "${second}";\n`);
    expect(run()).toBe(`entry says ${second}`);
    expect([...bundles()].filter((b) => !afterFirst.has(b))).toHaveLength(1);
    // Old bundles go, least recently used first: every edit makes one.
    expect(bundles().size).toBeLessThanOrEqual(8);
  }, 60_000);
});
