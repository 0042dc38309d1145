import { parseArgs, type ParseArgsConfig } from "node:util";

/** Exit codes shared by every script, and the one place errors become them. */
export const EXIT = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  databaseUnreachable: 3,
  databaseAuthentication: 4,
  aws: 5,
  sqlFailed: 6,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error that knows its exit code; its message must never hold a secret. */
export class ScriptError extends Error {
  constructor(readonly exitCode: ExitCode, message: string) {
    super(message);
    this.name = "ScriptError";
  }
}

export const EXIT_CODE_HELP = [
  "Exit codes:",
  "  0  done (or nothing to do)",
  "  1  unexpected error",
  "  2  usage: bad flags, unreadable outputs file, invalid input",
  "  3  the database did not accept connections before the wait ran out",
  "  4  the database refused the credentials",
  "  5  an AWS API call failed (Secrets Manager, ECS, STS, SSM)",
  "  6  a SQL statement failed while applying",
].join("\n");

/** Runs `main`, printing a ScriptError's message (or an unexpected error's) and returning the exit code. */
export async function runScript(main: () => Promise<number>, print: (line: string) => void = (l) => console.error(l)): Promise<number> {
  try {
    return await main();
  } catch (error) {
    if (error instanceof ScriptError) {
      print(`error: ${error.message}`);
      return error.exitCode;
    }
    print(`unexpected error: ${(error as Error)?.message ?? String(error)}`);
    return EXIT.unexpected;
  }
}

type FlagOptions = NonNullable<ParseArgsConfig["options"]>;
type FlagConfig<O extends FlagOptions> = { strict: true; options: O & { help: { type: "boolean"; short: "h"; default: false } } };

/**
 * Strict flag parsing with -h/--help for every script: an unknown or malformed flag is a usage error
 * (exit 2) with the help text; --help prints it and returns undefined (the caller exits 0).
 */
export function parseFlags<const O extends FlagOptions>(options: O, help: string): ReturnType<typeof parseArgs<FlagConfig<O>>>["values"] | undefined {
  const config = { strict: true, options: { ...options, help: { type: "boolean", short: "h", default: false } } } as FlagConfig<O>;
  let values: ReturnType<typeof parseArgs<FlagConfig<O>>>["values"];
  try {
    ({ values } = parseArgs(config));
  } catch (error) {
    throw new ScriptError(EXIT.usage, `${(error as Error).message}\n\n${help}`);
  }
  if ((values as { help?: boolean }).help) {
    console.log(help);
    return undefined;
  }
  return values;
}
