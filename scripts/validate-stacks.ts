/**
 * npm run validate: terraform init + validate + offline plan of every synthesized stack in cdktf.out,
 * with the provider from the filesystem mirror and no AWS credentials. Layered stacks are planned in
 * dependency order, each against stand-in states of its upstream stacks built from their own plans.
 *
 * Exit codes: 0 every stack planned the resources it declares; 1 a stack failed; 2 usage error or
 * terraform / the provider mirror is missing.
 */
import { parseArgs } from "node:util";
import { OfflineWorkspace, checkAll, offlineUnavailableReason, readSynthesizedStacks } from "./lib/terraform/terraform-runner.ts";

const AWS_PROVIDER_VERSION = "5.100.0";

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        outdir: { type: "string", default: "cdktf.out" },
        parallel: { type: "string", default: "1" },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
    }));
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  if (values.help) {
    console.log("usage: npm run validate [-- --outdir cdktf.out] [--parallel 1]\n" +
      "Validates and plans every synthesized stack offline, wave by wave in dependency order; each wave's stacks\n" +
      "are planned together in --parallel terraform runs (one is fastest: terraform plans in parallel itself).\n" +
      "Run `npm run synth` first.");
    return 0;
  }
  const unavailable = await offlineUnavailableReason();
  if (unavailable) {
    console.error(`!!! OFFLINE TERRAFORM CHECKS NOT RUN: ${unavailable}`);
    return 2;
  }
  const stacks = await readSynthesizedStacks(values.outdir).catch((error: Error) => {
    console.error(`cannot read ${values.outdir}/stacks (run npm run synth first): ${error.message}`);
    return undefined;
  });
  if (!stacks) return 2;
  const workspace = await OfflineWorkspace.create(AWS_PROVIDER_VERSION);
  try {
    const results = await checkAll(workspace, stacks, Number(values.parallel) || 1);
    for (const r of results) {
      const status = r.ok ? r.status : `FAIL (${r.status})`;
      const against = r.upstream.length > 0 ? `  against ${r.upstream.join(", ")}` : "";
      console.log(`${status.padEnd(18)} ${r.stack.padEnd(24)} ${String(r.plannedResources ?? "-").padStart(4)} planned / ${String(r.expectedResources).padStart(4)} declared  ${r.seconds.toFixed(1)}s${against}`);
      if (r.note) console.log(`     ${r.note}`);
      if (r.error) console.log(`     ${r.error.split("\n").join("\n     ")}`);
    }
    return results.every((r) => r.ok) ? 0 : 1;
  } finally {
    await workspace.dispose();
  }
}

process.exitCode = await main();
