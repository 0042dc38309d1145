/**
 * How cdktf runs the app (cdktf.json "app"): main.ts (or the entry given) bundled once with esbuild into a
 * single ES module, cached under node_modules/.cache/dbstack by a hash of every project file the entry
 * imports at any depth, the lock file, esbuild's and Node's versions — so it is never stale — and then
 * imported. Running the bundle skips the TypeScript loader's per-file transform and resolution, which is
 * most of a synth's fixed cost. Plain JavaScript, because it runs before any TypeScript loader exists.
 *
 *   node scripts/synth-app.mjs [entry.ts]        (default: main.ts)
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const ROOT = resolve(import.meta.dirname, "..");
const LOCAL_IMPORT = /(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g;

/** The entry and every project file it imports, relatively, at any depth, in a stable order. */
function localSources(entry, seen = new Set()) {
  if (seen.has(entry)) return seen;
  seen.add(entry);
  for (const [, specifier] of readFileSync(entry, "utf8").matchAll(LOCAL_IMPORT)) localSources(join(dirname(entry), specifier), seen);
  return seen;
}

const entry = resolve(ROOT, process.argv[2] ?? "main.ts");
const hash = createHash("sha256");
for (const file of [...localSources(entry)].sort()) hash.update(file).update(readFileSync(file));
// The lock file pins esbuild and every bundled dependency; Node's version decides what the bundle may use.
hash.update(readFileSync(join(ROOT, "package-lock.json"))).update(process.version);
const bundle = join(ROOT, "node_modules", ".cache", "dbstack", "app", `${hash.digest("hex").slice(0, 20)}.mjs`);

if (existsSync(bundle)) {
  // Marks it used, so pruning (least recently used first) keeps the bundles in use.
  const now = new Date();
  utimesSync(bundle, now, now);
} else {
  // Loaded only to build: a synth whose bundle is cached never starts esbuild.
  const { buildSync } = await import("esbuild");
  const result = buildSync({
    entryPoints: [entry],
    bundle: true,
    write: false,
    platform: "node",
    format: "esm",
    target: "node20",
    keepNames: true,
    // esbuild ships a native binary (the Lambda bundler uses it at synth); everything else is JavaScript.
    external: ["esbuild"],
    // CommonJS dependencies (cdktf, constructs) call require; an ES module has none of its own.
    banner: { js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);' },
    legalComments: "none",
    logLevel: "error",
  });
  mkdirSync(dirname(bundle), { recursive: true });
  // Written aside and renamed into place, so a concurrent synth never imports half a bundle.
  const staging = `${bundle}.${process.pid}.tmp`;
  writeFileSync(staging, result.outputFiles[0].contents);
  renameSync(staging, bundle);
  pruneOldBundles(dirname(bundle), 8);
}

/** Keeps the `keep` most recently used bundles: every edit builds a new one, and each is a few MB. */
function pruneOldBundles(dir, keep) {
  const used = (file) => {
    try {
      return statSync(file).mtimeMs;
    } catch {
      return 0; // pruned meanwhile by a concurrent synth
    }
  };
  const bundles = readdirSync(dir).filter((f) => f.endsWith(".mjs")).map((f) => ({ file: join(dir, f), used: used(join(dir, f)) }))
    .sort((a, b) => b.used - a.used);
  for (const old of bundles.slice(keep)) rmSync(old.file, { force: true });
}

// cdktf records a full-depth stack trace for every token it creates (each attribute reference), only to
// quote it if that token later fails to resolve: formatting those traces is about a tenth of a synth. Traces of
// real errors are formatted as Node formats them; cdktf's creation-stack records (plain objects, not
// errors) come back empty, so a token error names the token but not where it was created.
Error.prepareStackTrace = (error, frames) =>
  error instanceof Error ? [`${error.name}: ${error.message}`, ...frames.map((frame) => `    at ${frame}`)].join("\n") : "";

await import(pathToFileURL(bundle).href);
