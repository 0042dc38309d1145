/**
 * npm run bench: wall time and peak memory (medians of several runs, via GNU time) of what developers and
 * CI wait for, next to the floor — a one-resource cdktf app with a deep import, run the same way — and
 * the per-environment slope of synth. Prints a table and writes cdktf.out/bench/results.json.
 *
 *   npm run bench [-- --runs 5] [-- --quick]   (--quick skips the whole test suite)
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

interface Sample { readonly seconds: number; readonly megabytes: number }
interface Measurement { readonly name: string; readonly runs: number; readonly seconds: number; readonly megabytes: number; readonly target?: string; readonly met?: boolean }

const ROOT = resolve(import.meta.dirname, "..");
const BENCH_DIR = join(ROOT, "cdktf.out", "bench");
const NODE = process.execPath;

/** One run under GNU time: elapsed seconds and peak resident memory (the largest process of the tree). */
function measure(command: string[], env: NodeJS.ProcessEnv = {}): Sample {
  const report = join(mkdtempSync(join(tmpdir(), "dbstack-bench-")), "time.txt");
  const result = spawnSync("/usr/bin/time", ["-f", "%e %M", "-o", report, ...command], {
    cwd: ROOT, env: { ...process.env, CHECKPOINT_DISABLE: "1", ...env }, stdio: ["ignore", "ignore", "pipe"], encoding: "utf8", maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`${command.join(" ")} failed (${result.status}):\n${result.stderr.slice(-2000)}`);
  const [seconds, kilobytes] = readFileSync(report, "utf8").trim().split("\n").at(-1)!.split(" ").map(Number);
  return { seconds: seconds!, megabytes: kilobytes! / 1024 };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

function repeat(name: string, runs: number, command: string[], env: NodeJS.ProcessEnv = {}, target?: { seconds: number; label: string }): Measurement {
  measure(command, env); // warm the file cache and tsx's transform cache, as a developer's machine is
  const samples = Array.from({ length: runs }, () => measure(command, env));
  const seconds = median(samples.map((s) => s.seconds));
  const megabytes = median(samples.map((s) => s.megabytes));
  process.stderr.write(`  ${name}: ${seconds.toFixed(2)} s, ${megabytes.toFixed(0)} MB\n`);
  return { name, runs, seconds, megabytes, ...(target ? { target: target.label, met: seconds <= target.seconds } : {}) };
}

/** An app with one resource and a deep import: the least a cdktf synth can cost here. */
function floorApp(): string {
  const file = join(BENCH_DIR, "floor-app.ts");
  writeFileSync(file, [
    'import { App, TerraformStack } from "cdktf";',
    'import { AwsProvider } from "@cdktf/provider-aws/lib/provider/index.js";',
    'import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter/index.js";',
    "const app = new App();",
    'const stack = new TerraformStack(app, "floor");',
    'new AwsProvider(stack, "aws", { region: "eu-west-1" });',
    'new SsmParameter(stack, "p", { name: "/floor", type: "String", value: "1" });',
    "app.synth();",
    "",
  ].join("\n"));
  return file;
}

/** main.ts with `count` copies of the dev environment (all its layers), for the per-environment slope. */
function scaledApp(count: number): string {
  const file = join(BENCH_DIR, `scale-${count}.ts`);
  writeFileSync(file, [
    'import { App } from "cdktf";',
    'import { resolveEnvironments } from "../../stacks/config.ts";',
    'import { Environment } from "../../stacks/environment.ts";',
    'import { environments } from "../../stacks/environments.ts";',
    'const dev = environments.find((e) => e.name === "dev")!;',
    `const inputs = Array.from({ length: ${count} }, (_, i) => ({ ...dev, name: \`e\${i + 1}\` }));`,
    "const app = new App({ stackTraces: false });",
    "for (const config of resolveEnvironments(inputs)) new Environment(app, config);",
    "app.synth();",
    "",
  ].join("\n"));
  return file;
}

/** Least-squares slope of y over x. */
function slope(points: readonly [number, number][]): number {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  return points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0) / points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
}

function main(): number {
  const { values } = parseArgs({ strict: true, options: { runs: { type: "string", default: "5" }, quick: { type: "boolean", default: false } } });
  const runs = Number(values.runs);
  mkdirSync(BENCH_DIR, { recursive: true });
  const outdir = () => ({ CDKTF_OUTDIR: mkdtempSync(join(tmpdir(), "dbstack-bench-out-")) });
  // Every app runs the way cdktf.json runs main.ts: bundled once by content, then imported.
  const app = (file: string) => [NODE, join(ROOT, "scripts", "synth-app.mjs"), file];
  const cdktf = (file?: string) => [join(ROOT, "node_modules/.bin/cdktf"), "synth", ...(file ? ["--app", `node scripts/synth-app.mjs ${file}`] : [])];
  process.stderr.write(`measuring (${runs} runs each, medians)…\n`);

  const floorFile = floorApp();
  const floor = repeat("floor: one-resource app", runs, app(floorFile), outdir());
  const synth = repeat("synth: 3 environments, 18 stacks (main.ts)", runs, app("main.ts"), outdir());
  const cliRuns = Math.max(1, Math.ceil(runs / 2));
  const cliFloor = repeat("CLI floor: cdktf synth of the one-resource app", cliRuns, cdktf(floorFile), outdir());
  const cli = repeat("cdktf synth (CLI)", cliRuns, cdktf(), outdir());
  const typecheck = repeat("type-check (tsc)", runs, [join(ROOT, "node_modules/.bin/tsc"), "-p", "."], {}, { seconds: 2, label: "≤ 2 s" });
  const vitest = (...paths: string[]) => [join(ROOT, "node_modules/.bin/vitest"), "run", "--config", "__tests__/vitest.config.ts", ...paths];
  const unit = repeat("unit + stack tests", Math.max(1, Math.ceil(runs / 2)), vitest("__tests__/modules", "__tests__/stacks"), {}, { seconds: 10, label: "≤ 10 s" });
  const suite = values.quick ? undefined : repeat("whole test suite", 1, vitest(), {}, { seconds: 60, label: "≤ 60 s" });

  const scaling = [1, 3, 10, 30].map((count) => ({ count, ...repeat(`synth: ${count} generated environments`, Math.max(1, Math.ceil(runs / 2)), app(scaledApp(count)), outdir()) }));
  const perEnvironmentSeconds = slope(scaling.map((s) => [s.count, s.seconds]));
  const perEnvironmentMegabytes = slope(scaling.map((s) => [s.count, s.megabytes]));

  const ratios = {
    synthTimeOverFloor: synth.seconds / floor.seconds,
    synthMemoryOverFloor: synth.megabytes / floor.megabytes,
    cliOverCliFloor: cli.seconds / cliFloor.seconds,
    perEnvironmentSeconds,
    perEnvironmentShareOfFloorTime: perEnvironmentSeconds / floor.seconds,
    perEnvironmentMegabytes,
  };
  const targets = [
    { target: "synth time ≤ 1.5 × floor", met: ratios.synthTimeOverFloor <= 1.5, value: `${ratios.synthTimeOverFloor.toFixed(2)} ×` },
    { target: "synth memory ≤ 1.5 × floor", met: ratios.synthMemoryOverFloor <= 1.5, value: `${ratios.synthMemoryOverFloor.toFixed(2)} ×` },
    { target: "cdktf synth ≤ 1.5 × CLI floor", met: ratios.cliOverCliFloor <= 1.5, value: `${ratios.cliOverCliFloor.toFixed(2)} ×` },
    { target: "each added environment ≤ 5 % of floor time", met: ratios.perEnvironmentShareOfFloorTime <= 0.05, value: `${(ratios.perEnvironmentShareOfFloorTime * 100).toFixed(1)} % (${perEnvironmentSeconds.toFixed(3)} s)` },
    { target: "each added environment ≤ 10 MB", met: perEnvironmentMegabytes <= 10, value: `${perEnvironmentMegabytes.toFixed(1)} MB` },
    ...[typecheck, unit, ...(suite ? [suite] : [])].map((m) => ({ target: `${m.name} ${m.target}`, met: m.met!, value: `${m.seconds.toFixed(2)} s` })),
  ];

  const measurements = [floor, synth, cliFloor, cli, typecheck, unit, ...(suite ? [suite] : []), ...scaling.map(({ count: _count, ...m }) => m)];
  const width = Math.max(...measurements.map((m) => m.name.length));
  console.log(`${"measurement".padEnd(width)}  runs   median s   peak MB`);
  for (const m of measurements) console.log(`${m.name.padEnd(width)}  ${String(m.runs).padStart(4)}  ${m.seconds.toFixed(2).padStart(9)}  ${m.megabytes.toFixed(0).padStart(8)}`);
  console.log("");
  for (const t of targets) console.log(`${t.met ? "met    " : "MISSED "} ${t.target}: ${t.value}`);

  const machine = { node: process.version, cpus: (readFileSync("/proc/cpuinfo", "utf8").match(/^processor/gm) ?? []).length, date: new Date().toISOString() };
  writeFileSync(join(BENCH_DIR, "results.json"), `${JSON.stringify({ machine, measurements, ratios, targets }, null, 2)}\n`);
  console.log(`\nwrote ${join("cdktf.out", "bench", "results.json")}`);
  return 0;
}

process.exitCode = main();
