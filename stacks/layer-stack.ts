import type { Construct } from "constructs";
import { LocalBackend, S3Backend, TerraformOutput, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider/index.js";
import { stackName, type Layer } from "../scripts/lib/names/stack-names.ts";
import type { EnvironmentConfig } from "./config.ts";

/**
 * One layer of an environment: a stack named "<env>-<layer>" with its own provider and its own state, so
 * a change plans only against the layer it touches. Construct ids and the layer a resource lives in are
 * a public contract: moving either replaces the resource.
 */
export class LayerStack extends TerraformStack {
  readonly layer: Layer;
  readonly environment: string;

  constructor(scope: Construct, config: EnvironmentConfig, layer: Layer) {
    super(scope, stackName(config.name, layer));
    this.layer = layer;
    this.environment = config.name;
    new AwsProvider(this, "aws", {
      region: config.region,
      allowedAccountIds: [config.account],
      defaultTags: [{ tags: { App: config.app, Environment: config.name, ManagedBy: "dbstack", ...config.tags } }],
    });
    this.configureBackend(config);
  }

  /** A value for scripts and people; names are unique across an environment's stacks (the scripts merge them). */
  protected output(id: string, value: string | readonly string[] | Readonly<Record<string, unknown>>, description: string): void {
    new TerraformOutput(this, id, { value, description });
  }

  private configureBackend(config: EnvironmentConfig): void {
    const backend = config.stateBackend;
    if (backend.type === "local") {
      // Relative to the stack's working directory (cdktf.out/stacks/<stack>), i.e. the project root: the
      // same file for the stack that writes it and for the stacks that read its outputs, on any machine.
      new LocalBackend(this, { path: `../../../terraform.${this.node.id}.tfstate` });
      return;
    }
    // cdktf gives every terraform_remote_state read of this stack the same settings, assume_role included,
    // so a downstream layer reaches the central bucket the way this layer writes it.
    new S3Backend(this, {
      bucket: backend.bucket,
      key: `${backend.keyPrefix}/${config.name}/${this.layer}.tfstate`,
      region: backend.region,
      encrypt: true,
      kmsKeyId: backend.kmsKeyArn,
      // The nested block (Terraform >= 1.6); the top-level role_arn/external_id/session_name are deprecated.
      assumeRole: backend.assumeRole && {
        roleArn: backend.assumeRole.roleArn,
        externalId: backend.assumeRole.externalId,
        sessionName: backend.assumeRole.sessionName,
      },
    });
    // S3-native state locking (Terraform >= 1.10); cdktf 0.21's S3Backend has no property for it.
    this.addOverride("terraform.backend.s3.use_lockfile", true);
  }
}
