/**
 * Checks the engine catalog against what AWS offers (`aws rds describe-db-engine-versions`):
 *
 *   npm run catalog -- --check [--from-file aurora-postgresql.json ...]
 *
 * The work is in scripts/lib/deploy/catalog-check.ts; the data in scripts/lib/catalog/.
 */
import { runScript } from "./lib/cli.ts";
import { runCatalogCommand } from "./lib/deploy/catalog-check.ts";

process.exitCode = await runScript(() => runCatalogCommand(process.argv.slice(2)));
