/**
 * Pure helpers that turn a synthesized stack into one Terraform can validate and plan with no AWS account:
 * a local backend, a provider that asks AWS nothing, and a CLI config that installs the provider from the
 * machine's filesystem mirror.
 */
export const PROVIDER_MIRROR = "/opt/tf-plugins";
export const AWS_PROVIDER_ADDRESS = "registry.terraform.io/hashicorp/aws";

type Json = Record<string, unknown>;

/** Obviously fake static keys: with the skip flags the provider never sends them anywhere. */
const OFFLINE_PROVIDER_SETTINGS = {
  skip_credentials_validation: true,
  skip_requesting_account_id: true,
  skip_metadata_api_check: true,
  access_key: "AKIAOFFLINEPLANONLY00",
  secret_key: "offline-plan-only-not-a-credential",
};

/**
 * A copy of a synthesized stack for offline checks. The backend block goes (Terraform's default is a
 * local state, which needs no `init` of its own) and the aws provider stops calling STS/IMDS;
 * `allowed_account_ids` goes too, since without an account lookup it cannot be checked. Each upstream
 * stack's `terraform_remote_state` reads the local stand-in state given for it in `upstreamStates`
 * (stack name -> state file). Nothing else changes, so what is planned is what was synthesized.
 */
export function offlineStack(stack: Json, upstreamStates: ReadonlyMap<string, string> = new Map()): Json {
  const copy = structuredClone(stack);
  const remote = ((copy.data as Json | undefined)?.terraform_remote_state ?? {}) as Record<string, Json>;
  for (const [name, source] of Object.entries(remote)) {
    const upstream = name.replace(/^cross-stack-reference-input-/, "");
    const path = upstreamStates.get(upstream);
    if (path === undefined) continue;
    delete source.workspace;
    source.backend = "local";
    source.config = { path };
  }
  const terraform = { ...(copy.terraform as Json | undefined) };
  delete terraform.backend;
  copy.terraform = terraform;
  const providers = ((copy.provider ?? {}) as Json).aws as Json[] | undefined;
  if (!providers || providers.length === 0) throw new Error("stack has no aws provider block");
  for (const provider of providers) {
    delete provider.allowed_account_ids;
    Object.assign(provider, OFFLINE_PROVIDER_SETTINGS);
  }
  return copy;
}

/** How many resources (not data sources) the stack declares: what an empty-state plan must add. */
export function countResources(stack: Json): number {
  const resources = (stack.resource ?? {}) as Record<string, Record<string, unknown>>;
  return Object.values(resources).reduce((sum, byName) => sum + Object.keys(byName).length, 0);
}

/** Terraform CLI configuration that installs the aws provider only from the filesystem mirror. */
export function mirrorCliConfig(mirror = PROVIDER_MIRROR): string {
  return [
    "provider_installation {",
    "  filesystem_mirror {",
    `    path    = ${JSON.stringify(mirror)}`,
    `    include = [${JSON.stringify(AWS_PROVIDER_ADDRESS)}]`,
    "  }",
    "  direct {",
    `    exclude = [${JSON.stringify(AWS_PROVIDER_ADDRESS)}]`,
    "  }",
    "}",
    "",
  ].join("\n");
}

/** The number of resources a plan says it will add, from `terraform plan` text output. */
export function plannedAdds(planOutput: string): number | undefined {
  const match = /Plan: (\d+) to add, (\d+) to change, (\d+) to destroy\./.exec(planOutput);
  return match ? Number(match[1]) : undefined;
}
