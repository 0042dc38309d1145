/** moto's standalone server: the real Secrets Manager wire protocol on localhost, for tests about what crosses it. */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { freePort } from "./servers.ts";

export function motoAvailable(): boolean {
  try {
    execFileSync("sh", ["-c", "command -v moto_server"], { stdio: "pipe" });
    return true;
  } catch {
    return false;
  }
}

/** Starts moto_server on a free port; `endpoint` is what AWS_ENDPOINT_URL (or a client's endpoint) takes. */
export async function startMoto(): Promise<{ endpoint: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const child: ChildProcess = spawn("moto_server", ["-H", "127.0.0.1", "-p", String(port)], { stdio: "ignore" });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (!(await fetch(`${endpoint}/moto-api/`).then((response) => response.ok, () => false))) {
    if (Date.now() > deadline) throw new Error("moto_server did not start");
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    endpoint,
    stop: async () => {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
    },
  };
}
