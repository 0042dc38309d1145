/**
 * Registers a new revision of one service's task definition (template mode) with a new image, and
 * optionally rolls the service onto it. Replaces seed 000's create_taskdef.py local-exec.
 *
 *   cdktf output 'prod-*' --outputs-file outputs.json
 *   node --import tsx scripts/register-task-definition.ts --outputs outputs.json --stack prod --service api --image <repo>:<sha>
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ECSClient } from "@aws-sdk/client-ecs";
import { EXIT, EXIT_CODE_HELP, ScriptError, parseFlags, runScript } from "./lib/cli.ts";
import { stackName } from "./lib/names/stack-names.ts";
import { readOutputs } from "./lib/deploy/stack-outputs.ts";
import { parseServiceRef, registerRevision, renderTaskDefinition, serviceOutputs } from "./lib/deploy/task-definition.ts";

const HELP = `usage: register-task-definition --outputs <file> --stack <env> [--service <name>] --image <repository>:<tag> [options]

Fills the task definition template of one service of <env> (stack output ecs_services, under
<outdir>/stacks/<env>-ecs-taskdef/) with that service's roles, secret and log group from the outputs of
the environment's stacks and the given image, registers it, and prints the new revision's ARN.

  --outputs <file>                   cdktf output '<env>-*' --outputs-file (all of the environment's
                                     stacks), or terraform output -json of a stack; repeat for several
  --stack <env>                      environment name
  --service <name>                   the service (its key under clients.services); optional when the
                                     environment has exactly one
  --image <repository>:<tag>         image to run, e.g. the commit SHA tag
  --outdir <dir>                     synthesized cdktf output (default cdktf.out)
  --region <region>                  AWS region (default AWS_REGION)
  --update-service <cluster>/<svc>   then point the service at the new revision (a rolling deployment)
  --dry-run                          print the RegisterTaskDefinition input; register nothing
  --output <format>                  text (default) or json
  -h, --help

${EXIT_CODE_HELP}`;

async function main(): Promise<number> {
  const values = parseFlags({
    outputs: { type: "string", multiple: true }, stack: { type: "string" }, service: { type: "string" }, image: { type: "string" }, outdir: { type: "string", default: "cdktf.out" },
    region: { type: "string" }, "update-service": { type: "string" }, "dry-run": { type: "boolean", default: false },
    output: { type: "string", default: "text" },
  }, HELP);
  if (!values) return EXIT.ok;
  if (!values.outputs || !values.stack || !values.image) throw new ScriptError(EXIT.usage, "--outputs, --stack and --image are required (see --help)");
  const chosen = serviceOutputs(readOutputs(values.outputs, values.stack), values.service);
  const templatePath = join(values.outdir, "stacks", stackName(values.stack, "ecs-taskdef"), chosen.templatePath);
  let template: string;
  try {
    template = readFileSync(templatePath, "utf8");
  } catch {
    throw new ScriptError(EXIT.usage, `cannot read the template ${templatePath}: run npm run synth first`);
  }
  const input = renderTaskDefinition(template, chosen.outputs, values.image);
  const service = values["update-service"] ? parseServiceRef(values["update-service"]) : undefined;
  if (values["dry-run"]) {
    console.log(JSON.stringify(input, null, 2));
    return EXIT.ok;
  }
  const region = values.region ?? process.env.AWS_REGION;
  if (!region) throw new ScriptError(EXIT.usage, "--region or AWS_REGION is required");
  const arn = await registerRevision(new ECSClient({ region }), input, service);
  if (values.output === "json") console.log(JSON.stringify({ taskDefinitionArn: arn, ...(service ? { updatedService: `${service.cluster}/${service.service}` } : {}) }));
  else console.log(service ? `${arn}\nservice ${service.cluster}/${service.service} now deploys it` : arn);
  return EXIT.ok;
}

process.exitCode = await runScript(main);
