import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { App } from "cdktf";
import { formatBudget } from "./modules/budget.ts";
import { resolveEnvironments } from "./stacks/config.ts";
import { DatabaseStack } from "./stacks/database-stack.ts";
import { environments } from "./stacks/environments.ts";

// Every environment is validated before any construct exists, so one run reports every problem.
const app = new App();
const stacks = resolveEnvironments(environments).map((config) => new DatabaseStack(app, config));
try {
  app.synth();
} finally {
  // Written even when error findings stop the synth: the review report reads them from here.
  for (const stack of stacks) {
    const dir = join(app.outdir, "dbstack", stack.node.id);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "policy.json"), `${JSON.stringify(stack.policy.findings, null, 2)}\n`);
    writeFileSync(join(dir, "budget.json"), `${JSON.stringify(stack.budget, null, 2)}\n`);
    console.log(formatBudget(stack.node.id, stack.budget));
  }
}
