import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { mockClient } from "aws-sdk-client-mock";
import { ECSClient, RegisterTaskDefinitionCommand, UpdateServiceCommand } from "@aws-sdk/client-ecs";
import { Testing } from "cdktf";
import { parseServiceRef, registerRevision, renderTaskDefinition, serviceOutputs } from "../../../scripts/lib/deploy/task-definition.ts";
import { buildEnvironment, environment, type SynthesizedStack } from "../../helpers.ts";

const outputs = {
  ecs_execution_role_arn: "arn:aws:iam::123456789012:role/shop-test-ecs-execution",
  ecs_task_role_arn: "arn:aws:iam::123456789012:role/shop-test-ecs-task",
  ecs_user_secret_arn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/test/database/app-AbCdEf",
  ecs_log_group_name: "/ecs/shop-test",
};
const image = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop:3f9c2e1";

/** The template exactly as a template-mode stack writes it. */
function synthesizedTemplate(): string {
  const input = environment({ clients: { services: { api: { legacyNames: true, user: "reporting", mode: "template", container: { imageRepository: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop", imageTag: "seed", cpu: 256, memory: 512 } } } } });
  const outdir = Testing.fullSynth(buildEnvironment(input).ecsTaskdef!);
  const parsed = JSON.parse(readFileSync(join(outdir, "stacks", "test-ecs-taskdef", "cdk.tf.json"), "utf8")) as SynthesizedStack;
  return readFileSync(join(outdir, "stacks", "test-ecs-taskdef", String(parsed.output.ecs_task_definition_template!.value)), "utf8");
}

describe("renderTaskDefinition", () => {
  const input = renderTaskDefinition(synthesizedTemplate(), outputs, image);

  it("fills every placeholder of the stack's template from the outputs and the image", () => {
    expect(JSON.stringify(input)).not.toContain("{{");
    expect(input).toMatchObject({ family: "shop-test", executionRoleArn: outputs.ecs_execution_role_arn, taskRoleArn: outputs.ecs_task_role_arn, cpu: "256", memory: "512" });
    const container = input.containerDefinitions![0]!;
    expect(container.image).toBe(image);
    expect(container.secrets).toContainEqual({ name: "DB_PASSWORD", valueFrom: `${outputs.ecs_user_secret_arn}:password::` });
    expect(container.logConfiguration?.options?.["awslogs-group"]).toBe("/ecs/shop-test");
  });

  it.each([
    ["an image without a tag", () => renderTaskDefinition("{}", outputs, "shop"), "--image must be <repository>:<tag>"],
    ["a missing output", () => renderTaskDefinition("{}", { ...outputs, ecs_task_role_arn: undefined }, image), 'stack output "ecs_task_role_arn" (for {{task_role_arn}}) is missing'],
    ["an unknown placeholder", () => renderTaskDefinition('{"family":"{{nope}}","containerDefinitions":[{}]}', outputs, image), "the template uses an unknown placeholder {{nope}}"],
    ["a template that is not JSON", () => renderTaskDefinition("family: x", outputs, image), "the task definition template is not JSON"],
  ])("fails on %s", (_case, render, message) => {
    expect(render).toThrow(message);
  });

  it("cannot be restructured by a value: substitution happens inside strings only", () => {
    const rendered = renderTaskDefinition('{"family":"{{log_group_name}}","containerDefinitions":[{"image":"{{image}}"}]}', { ...outputs, ecs_log_group_name: '","evil":"x' }, image);
    expect(rendered.family).toBe('","evil":"x');
    expect(Object.keys(rendered)).toEqual(["family", "containerDefinitions"]);
  });

  it("parses cluster/service references", () => {
    expect(parseServiceRef("orders-prod/orders")).toEqual({ cluster: "orders-prod", service: "orders" });
    expect(() => parseServiceRef("orders")).toThrow("--update-service must be <cluster>/<service>");
  });
});

describe("serviceOutputs", () => {
  const named = {
    ecs_services: { api: { family: "shop-test-api", log_group_name: "/ecs/shop-test-api", task_definition_template: "assets/api.json" }, worker: { family: "shop-test-worker", log_group_name: "/ecs/shop-test-worker", task_definition_arn: "arn:td" } },
    ecs_service_roles: { api: { execution_role_arn: "arn:e", task_role_arn: "arn:t", user_secret_arn: "arn:s" }, worker: { execution_role_arn: "arn:we", task_role_arn: "arn:wt", user_secret_arn: "arn:ws" } },
  };

  it("picks the named service's template, roles, secret and log group", () => {
    expect(serviceOutputs(named, "api")).toEqual({
      service: "api", templatePath: "assets/api.json",
      outputs: { ecs_execution_role_arn: "arn:e", ecs_task_role_arn: "arn:t", ecs_user_secret_arn: "arn:s", ecs_log_group_name: "/ecs/shop-test-api" },
    });
  });

  it("needs no name when there is one service, and reads the flat outputs of an environment deployed before services were named", () => {
    expect(serviceOutputs({ ecs_services: { api: named.ecs_services.api }, ecs_service_roles: named.ecs_service_roles }).service).toBe("api");
    expect(serviceOutputs({ ...outputs, ecs_task_definition_template: "assets/t.json" })).toEqual({ service: undefined, templatePath: "assets/t.json", outputs: { ...outputs, ecs_task_definition_template: "assets/t.json" } });
  });

  it.each([
    ["no name with several services", () => serviceOutputs(named), "--service is required: the environment has services api, worker"],
    ["an unknown service", () => serviceOutputs(named, "cron"), "--service cron: no such service (the environment has api, worker)"],
    ["a managed service", () => serviceOutputs(named, "worker"), "service worker has no task definition template: it is in managed mode"],
    ["missing roles", () => serviceOutputs({ ecs_services: named.ecs_services }, "api"), 'stack output "ecs_service_roles" has no roles for service api'],
    ["a name for outputs without services", () => serviceOutputs(outputs, "api"), '--service api: the outputs list no services by name'],
  ])("fails on %s", (_case, pick, message) => {
    expect(pick).toThrow(message);
  });
});

describe("registerRevision against mocked ECS", () => {
  it("registers the rendered input and rolls the service onto the new revision", async () => {
    const ecs = new ECSClient({ region: "eu-west-1" });
    const mock = mockClient(ecs);
    const arn = "arn:aws:ecs:eu-west-1:123456789012:task-definition/shop-test:42";
    mock.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: arn } });
    mock.on(UpdateServiceCommand).resolves({});
    const input = renderTaskDefinition(synthesizedTemplate(), outputs, image);
    expect(await registerRevision(ecs, input, { cluster: "shop", service: "web" })).toBe(arn);
    expect(mock.commandCalls(RegisterTaskDefinitionCommand)[0]!.args[0].input).toEqual(input);
    expect(mock.commandCalls(UpdateServiceCommand)[0]!.args[0].input).toEqual({ cluster: "shop", service: "web", taskDefinition: arn });
  });

  it("reports an AWS failure with exit code 5 and says the revision exists when only the update failed", async () => {
    const ecs = new ECSClient({ region: "eu-west-1" });
    const mock = mockClient(ecs);
    mock.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: "arn:1" } });
    mock.on(UpdateServiceCommand).rejects(Object.assign(new Error("service not found"), { name: "ServiceNotFoundException" }));
    const error = await registerRevision(ecs, { family: "f", containerDefinitions: [] }, { cluster: "c", service: "s" }).catch((e) => e);
    expect(error).toMatchObject({ exitCode: 5, message: "UpdateService c/s failed: ServiceNotFoundException: service not found (revision arn:1 is registered)" });
  });
});
