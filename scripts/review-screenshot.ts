/**
 * Renders cdktf.out/review.md as a page (Mermaid diagrams drawn by Mermaid itself) and screenshots it in
 * headless Chromium, for the README. Needs Debian's chromium: apt-get install chromium.
 *
 *   npm run synth && npm run review && node --import tsx scripts/review-screenshot.ts [--out .github/review-example.png]
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { marked } from "marked";
import { EXIT, ScriptError, runScript } from "./lib/cli.ts";

async function main(): Promise<number> {
  const { values } = parseArgs({
    strict: true,
    options: {
      review: { type: "string", default: "cdktf.out/review.md" }, out: { type: "string", default: ".github/review-example.png" },
      chromium: { type: "string", default: "/usr/bin/chromium" }, height: { type: "string", default: "2200" },
    },
  });
  const markdown = readFileSync(values.review, "utf8");
  // Mermaid blocks become <pre class="mermaid"> for mermaid.run(); everything else is plain GitHub-like HTML.
  const body = (await marked.parse(markdown)).replace(/<pre><code class="language-mermaid">([\s\S]*?)<\/code><\/pre>/g, '<pre class="mermaid">$1</pre>');
  const mermaidJs = resolve("node_modules/mermaid/dist/mermaid.min.js");
  const page = join(mkdtempSync(join(tmpdir(), "dbstack-review-page-")), "review.html");
  writeFileSync(page, `<!doctype html><html><head><meta charset="utf-8"><style>
    body { font: 14px/1.5 "DejaVu Sans", sans-serif; max-width: 1180px; margin: 24px auto; color: #1f2328; }
    table { border-collapse: collapse; margin: 8px 0; } th, td { border: 1px solid #d0d7de; padding: 4px 10px; text-align: left; }
    code { background: #f6f8fa; padding: 1px 4px; border-radius: 4px; } h2 { border-bottom: 1px solid #d8dee4; }
  </style><script src="file://${mermaidJs}"></script></head><body>${body}
  <script>mermaid.initialize({ startOnLoad: false }); mermaid.run();</script></body></html>`);
  try {
    execFileSync(values.chromium, [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
      "--no-first-run", `--user-data-dir=${mkdtempSync(join(tmpdir(), "dbstack-chromium-"))}`, "--allow-file-access-from-files",
      "--virtual-time-budget=10000", `--window-size=1280,${values.height}`, `--screenshot=${resolve(values.out)}`, `file://${page}`,
    ], { stdio: "pipe", timeout: 120_000 });
  } catch (error) {
    throw new ScriptError(EXIT.unexpected, `chromium failed (${values.chromium}; apt-get install chromium): ${(error as Error).message.split("\n")[0]}`);
  }
  console.log(`wrote ${values.out}`);
  return EXIT.ok;
}

process.exitCode = await runScript(main);
