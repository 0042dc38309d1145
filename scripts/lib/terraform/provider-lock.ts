/**
 * Whether `cdktf deploy/diff/destroy/output` must be told `--skip-provider-lock`.
 *
 * After `terraform init`, cdktf 0.21 runs `terraform providers lock -platform=linux_amd64` whenever a
 * stack's directory has no lock file naming its providers (always, right after a synth into a fresh
 * cdktf.out). `providers lock` ignores the CLI config's `provider_installation` and asks the provider's
 * origin registry, so on a machine that installs providers only from a filesystem mirror it fails and
 * the deploy stops before planning. `init` has already installed the provider from the mirror and written
 * a lock file with that package's hash, so skipping the extra lock step loses nothing there.
 */
import { homedir } from "node:os";
import { join } from "node:path";

export const SKIP_PROVIDER_LOCK = "--skip-provider-lock";

/** The CLI config Terraform reads: TF_CLI_CONFIG_FILE, else ~/.terraformrc (Terraform's own order on Linux and macOS). */
export function cliConfigPath(env: Readonly<Record<string, string | undefined>>, home = homedir()): string {
  return env.TF_CLI_CONFIG_FILE || join(home, ".terraformrc");
}

/**
 * Why the registry cannot be asked, or undefined when it can: the config has a `filesystem_mirror` and no
 * `direct` block that still reaches registry.terraform.io for hashicorp/aws (none at all, or one that
 * excludes it). A `network_mirror` is a registry-shaped server, which `providers lock` does not use either.
 */
export function offlineMirrorReason(cliConfig: string | undefined): string | undefined {
  if (cliConfig === undefined) return undefined;
  const text = cliConfig.replace(/#[^\n]*|\/\/[^\n]*/g, "");
  const mirror = /\b(filesystem_mirror|network_mirror)\s*\{/.exec(text)?.[1];
  if (!mirror) return undefined;
  const direct = /\bdirect\s*\{([^}]*)\}/.exec(text);
  if (direct && !/exclude\s*=\s*\[[^\]]*(?:registry\.terraform\.io\/)?hashicorp\/(?:aws|\*)"/.test(direct[1]!)) return undefined;
  return `the Terraform CLI config installs providers from a ${mirror.replace("_", " ")} only, and \`terraform providers lock\` would ask the registry`;
}

/**
 * The cdktf flags to run with: `extra` plus --skip-provider-lock where the registry cannot be reached,
 * and the reason to print. A flag the caller gave already is never repeated.
 */
export function withProviderLockFlag(extra: readonly string[], cliConfig: string | undefined): { flags: string[]; reason?: string } {
  if (extra.includes(SKIP_PROVIDER_LOCK)) return { flags: [...extra] };
  const reason = offlineMirrorReason(cliConfig);
  return reason ? { flags: [...extra, SKIP_PROVIDER_LOCK], reason } : { flags: [...extra] };
}
