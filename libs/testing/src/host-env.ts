/**
 * The environment of the test process, as a user's shell hands it to `pnpm start`: tests start
 * suites through the same filter (local-suite's vmHostEnv) as `pnpm start` does, so what VMs
 * inherit in a test is what they inherit on a user's machine.
 */
export function hostEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] => entry[1] !== undefined,
    ),
  );
}
