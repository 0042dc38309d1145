/**
 * After a blue/green switchover of an RDS instance (`npm run blue-green`), the instance holding the
 * identifier is the green one, with a resource id Terraform has never seen; the state still names the old
 * (blue) instance's resource id, which aws_db_instance uses as its id. This runs the real provider against
 * moto's RDS: once the old instance is gone, a refresh finds nothing by the old resource id, looks the
 * instance up by its identifier, and adopts the green instance (new id, new version) without planning to
 * create or replace anything.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreateDBInstanceCommand, RDSClient } from "@aws-sdk/client-rds";
import { mirrorCliConfig } from "../../scripts/lib/terraform/terraform-offline.ts";
import { TERRAFORM, offlineUnavailableReason } from "../../scripts/lib/terraform/terraform-runner.ts";
import { motoAvailable, startMoto } from "../support/moto.ts";

const run = promisify(execFile);
const unavailable = (await offlineUnavailableReason()) ?? (motoAvailable() ? undefined : "moto_server is not on PATH");
if (unavailable) console.warn(`\n!!! SKIPPED: the provider adopting a switched-over RDS instance — ${unavailable}\n`);

const IDENTIFIER = "shop-bg";
const OLD_RESOURCE_ID = "db-OLDBLUEINSTANCEDELETED000";
const CREDENTIALS = { accessKeyId: "AKIAMOTOEXAMPLE00000", secretAccessKey: "moto-example-not-a-credential" };

describe.skipIf(unavailable !== undefined)("the provider after a script-driven switchover of an RDS instance", () => {
  let moto: Awaited<ReturnType<typeof startMoto>>;
  let dir: string;
  let greenResourceId: string;
  let plan: {
    prior_state: { values: { root_module: { resources: { values: Record<string, unknown> }[] } } };
    resource_changes: { address: string; change: { actions: string[] } }[];
  };

  beforeAll(async () => {
    moto = await startMoto();
    dir = await mkdtemp(join(tmpdir(), "dbstack-adoption-"));
    // The green instance as it stands after the switchover: the identifier, the new version.
    const rds = new RDSClient({ region: "eu-west-1", endpoint: moto.endpoint, credentials: CREDENTIALS });
    const created = await rds.send(new CreateDBInstanceCommand({
      DBInstanceIdentifier: IDENTIFIER, Engine: "postgres", EngineVersion: "17.6", DBInstanceClass: "db.t4g.medium", AllocatedStorage: 20,
      MasterUsername: "dbadmin", ManageMasterUserPassword: true,
    }));
    rds.destroy();
    greenResourceId = created.DBInstance!.DbiResourceId!;

    const instance = {
      identifier: IDENTIFIER, engine: "postgres", engine_version: "17.6", instance_class: "db.t4g.medium", allocated_storage: 20,
      username: "dbadmin", manage_master_user_password: true, skip_final_snapshot: true, lifecycle: { ignore_changes: ["engine_version"] },
    };
    await writeFile(join(dir, "main.tf.json"), JSON.stringify({
      terraform: { required_providers: { aws: { source: "hashicorp/aws", version: "5.100.0" } } },
      provider: { aws: { region: "eu-west-1", access_key: CREDENTIALS.accessKeyId, secret_key: CREDENTIALS.secretAccessKey, skip_credentials_validation: true, skip_requesting_account_id: true, skip_metadata_api_check: true, endpoints: [{ rds: moto.endpoint }] } },
      resource: { aws_db_instance: { database: instance } },
    }));
    // The state as the blue/green run left it: the old instance's resource id, the version it ran.
    await writeFile(join(dir, "terraform.tfstate"), JSON.stringify({
      version: 4, terraform_version: "1.11.0", serial: 1, lineage: "5d2c8a1e-0000-4000-a000-000000000003", outputs: {}, check_results: null,
      resources: [{
        mode: "managed", type: "aws_db_instance", name: "database", provider: 'provider["registry.terraform.io/hashicorp/aws"]',
        instances: [{ schema_version: 2, sensitive_attributes: [], attributes: { ...instance, lifecycle: undefined, id: OLD_RESOURCE_ID, resource_id: OLD_RESOURCE_ID, engine_version: "16.8", apply_immediately: false, delete_automated_backups: true } }],
      }],
    }));
    await writeFile(join(dir, "terraform.rc"), mirrorCliConfig());
    const env = { ...process.env, TF_CLI_CONFIG_FILE: join(dir, "terraform.rc"), TF_IN_AUTOMATION: "1", CHECKPOINT_DISABLE: "1", TF_INPUT: "0" };
    const terraform = async (args: string[]) => (await run(TERRAFORM, args, { cwd: dir, env, timeout: 300_000 })).stdout;
    await terraform(["init", "-input=false", "-no-color"]);
    // One plan with its refresh, as the next `npm run deploy` makes: what it read, and what it would do.
    await terraform(["plan", "-input=false", "-lock=false", "-no-color", "-out=adopt.tfplan"]);
    plan = JSON.parse(await terraform(["show", "-json", "-no-color", "adopt.tfplan"])) as typeof plan;
  }, 300_000);

  afterAll(async () => {
    await moto?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("adopts the instance that now holds the identifier: its resource id and version replace the old ones in state", () => {
    expect(greenResourceId).toMatch(/^db-/);
    expect(greenResourceId).not.toBe(OLD_RESOURCE_ID);
    expect(plan.prior_state.values.root_module.resources[0]!.values).toMatchObject({ id: greenResourceId, resource_id: greenResourceId, identifier: IDENTIFIER, engine_version: "17.6" });
  });

  it("then plans nothing for it: no create, no replacement", () => {
    expect(plan.resource_changes.map((c) => [c.address, c.change.actions])).toEqual([["aws_db_instance.database", ["no-op"]]]);
  });
});
