import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { App } from "cdktf";
import { formatBudget } from "./modules/budget.ts";
import { resolveEnvironments } from "./stacks/config.ts";
import { Environment } from "./stacks/environment.ts";
import { environments } from "./stacks/environments.ts";

// Every environment is validated before any construct exists, so one run reports every problem.
const app = new App({ stackTraces: false });
const configs = resolveEnvironments(environments);
// Settings AWS stops accepting within 90 days: still valid today, so they warn instead of failing.
for (const warning of configs.flatMap((config) => config.warnings)) console.warn(`warning: ${warning}`);
const built = configs.map((config) => new Environment(app, config));
try {
  app.synth();
} finally {
  // Written even when error findings stop the synth: the review report reads them from here.
  for (const env of built) {
    const dir = join(app.outdir, "dbstack", env.name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "stacks.json"), `${JSON.stringify(env.stacks.map((s) => s.node.id), null, 2)}\n`);
    writeFileSync(join(dir, "policy.json"), `${JSON.stringify(env.policy.findings, null, 2)}\n`);
    writeFileSync(join(dir, "budget.json"), `${JSON.stringify(env.budget, null, 2)}\n`);
    console.log(formatBudget(env.name, env.budget));
  }
}
