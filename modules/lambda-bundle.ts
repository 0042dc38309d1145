import { AssetType, TerraformAsset } from "cdktf";
import type { Construct } from "constructs";
import { buildSync, version as esbuildVersion } from "esbuild";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { zipSingleFile } from "./zip.ts";

/** The project's root: the nearest directory up from here whose package.json is dbstack's (this file may run from a bundle). */
function projectRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "dbstack") return dir;
  }
  throw new Error("lambda-bundle: cannot find the dbstack project root above this file");
}

const PROJECT_ROOT = projectRoot();
/** The project's Lambda handlers, by name: what a function construct may bundle. */
export const HANDLERS = {
  "db-check": join(PROJECT_ROOT, "scripts/lambda/db-check.ts"),
  "db-setup": join(PROJECT_ROOT, "scripts/lambda/db-setup.ts"),
  "db-rotate": join(PROJECT_ROOT, "scripts/lambda/db-rotate.ts"),
} as const;
const bundled = new Map<string, string>();

/** The entry file and every project file it imports, relatively, at any depth: what the bundle is made of. */
export function localSources(entry: string, seen = new Set<string>()): Set<string> {
  if (seen.has(entry)) return seen;
  seen.add(entry);
  for (const [, specifier] of readFileSync(entry, "utf8").matchAll(/from\s+["'](\.{1,2}\/[^"']+)["']/g)) {
    localSources(join(dirname(entry), specifier!), seen);
  }
  return seen;
}

/**
 * Bundles a handler with esbuild and zips it as index.js, once per change: the archive is cached under
 * node_modules/.cache by a hash of the handler, the files it imports, the lock file and esbuild's version,
 * because esbuild runs as a child process and would otherwise cost every synth half a second. Returns the
 * zip's path; its content (and so the asset hash Terraform sees) moves only when the code does. The cache
 * key names the folder, not the file: the asset's file name reaches the synthesized JSON, and moving or
 * reformatting a source file must not change a stack whose bundled code stayed the same.
 */
export function bundleHandler(handler: keyof typeof HANDLERS): string {
  const cached = bundled.get(handler);
  if (cached) return cached;
  const entry = HANDLERS[handler];
  const hash = createHash("sha256");
  for (const file of [...localSources(entry), join(PROJECT_ROOT, "package-lock.json")]) hash.update(readFileSync(file));
  hash.update(esbuildVersion);
  const zip = join(PROJECT_ROOT, "node_modules", ".cache", "dbstack", "lambda", `${handler}-${hash.digest("hex").slice(0, 16)}`, `${handler}.zip`);
  if (!existsSync(zip)) {
    const result = buildSync({
      entryPoints: [entry],
      bundle: true,
      write: false,
      platform: "node",
      target: "node22",
      format: "cjs",
      minify: true,
      keepNames: true,
      external: ["pg-native"],
      legalComments: "none",
      logLevel: "error",
    });
    mkdirSync(dirname(zip), { recursive: true });
    // Written aside and renamed into place, so a concurrent synth never reads half an archive.
    const staging = `${zip}.${process.pid}.tmp`;
    writeFileSync(staging, zipSingleFile("index.js", Buffer.from(result.outputFiles[0]!.contents)));
    renameSync(staging, zip);
  }
  bundled.set(handler, zip);
  return zip;
}

/**
 * A function's code as a Lambda function takes it: the handler's bundle as the asset "code" of `scope`
 * (the asset's construct id is part of its path in the synthesized JSON), its entry point and its hash.
 */
export function bundledCode(scope: Construct, handler: keyof typeof HANDLERS): { handler: string; filename: string; sourceCodeHash: string } {
  const bundle = new TerraformAsset(scope, "code", { path: bundleHandler(handler), type: AssetType.FILE });
  return { handler: "index.handler", filename: bundle.path, sourceCodeHash: bundle.assetHash };
}
