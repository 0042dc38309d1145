import { App } from "cdktf";
import { resolveEnvironments } from "./stacks/config.ts";
import { DatabaseStack } from "./stacks/database-stack.ts";
import { environments } from "./stacks/environments.ts";

// Every environment is validated before any construct exists, so one run reports every problem.
const app = new App();
for (const config of resolveEnvironments(environments)) new DatabaseStack(app, config);
app.synth();
