/**
 * The setup function as Lambda runs it: the zip the stack deploys (modules/lambda-bundle.ts), unpacked,
 * and its handler called in a fresh Node process with a given event and environment.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inflateRawSync } from "node:zlib";
import { bundleHandler } from "../../modules/lambda-bundle.ts";

/** The one file of a one-file zip (what zipSingleFile writes): its name and content. */
export function readSingleFileZip(zip: Buffer): { name: string; content: Buffer } {
  if (zip.readUInt32LE(0) !== 0x04034b50) throw new Error("not a zip");
  const method = zip.readUInt16LE(8);
  const size = zip.readUInt32LE(18);
  const nameLength = zip.readUInt16LE(26);
  const extraLength = zip.readUInt16LE(28);
  const name = zip.subarray(30, 30 + nameLength).toString("utf8");
  const data = zip.subarray(30 + nameLength + extraLength, 30 + nameLength + extraLength + size);
  return { name, content: method === 8 ? inflateRawSync(data) : Buffer.from(data) };
}

/** A deployed function's zip (the setup function's unless named), unpacked into a temp dir; returns the path of its index.js. */
export function unpackedSetupBundle(handler: "db-setup" | "db-rotate" = "db-setup"): string {
  const { name, content } = readSingleFileZip(readFileSync(bundleHandler(handler)));
  if (name !== "index.js") throw new Error(`the zip holds ${name}, not index.js`);
  const file = join(mkdtempSync(join(tmpdir(), "dbstack-setup-bundle-")), "index.js");
  writeFileSync(file, content);
  return file;
}

export interface BundleRun {
  readonly exports: string[];
  readonly result?: unknown;
  readonly error?: { readonly name: string; readonly message: string };
  readonly stdout: string;
  readonly stderr: string;
}

/** `require(index.js).handler(event, context)` in a fresh Node with only `env`, as the Lambda runtime calls it. */
export function runBundle(file: string, event: unknown, env: Record<string, string>): Promise<BundleRun> {
  const program = `
    const m = require(${JSON.stringify(file)});
    const context = { functionName: "shop-test-setup", awsRequestId: "00000000-0000-4000-8000-000000000000", getRemainingTimeInMillis: () => 120000 };
    const report = (r) => process.stdout.write("\\n@@@" + JSON.stringify({ exports: Object.keys(m), ...r }) + "\\n");
    Promise.resolve(m.handler(${JSON.stringify(event)}, context)).then((result) => report({ result }), (e) => report({ error: { name: e.name, message: e.message } }));`;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["-e", program], { env: { PATH: process.env.PATH!, HOME: tmpdir(), AWS_EC2_METADATA_DISABLED: "true", ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("close", () => {
      const line = stdout.split("\n").find((l) => l.startsWith("@@@"));
      resolve({ ...(line ? JSON.parse(line.slice(3)) : { exports: [] }), stdout, stderr });
    });
  });
}
