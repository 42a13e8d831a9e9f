import { InvalidArgument } from '@lzy/errors';

/** pylzy's op command (python-client-protocol §4.4) split into its fixed part and its payload. */
export interface PylzyStartupCommand {
  /** Everything before the payload, the separating blanks included. */
  prefix: string;
  /** Standard base64 of the cloudpickled ProcessingRequest. */
  payload: string;
}

// `python -u $(python -c 'import site; print(site.getsitepackages()[0])')/lzy/api/v1/startup.py  <b64>`
// as pylzy 1.0.1 and our SDK write it; blanks between words may vary, nothing else may.
const STARTUP_COMMAND =
  /^(python\s+-u\s+\$\(python\s+-c\s+'import site; print\(site\.getsitepackages\(\)\[0\]\)'\)\/lzy\/api\/v1\/startup\.py\s+)([A-Za-z0-9+/]+={0,2})\s*$/;

/** Recognises the §4.4 start-up command; undefined for any other command. */
export function parsePylzyStartupCommand(command: string): PylzyStartupCommand | undefined {
  const match = STARTUP_COMMAND.exec(command);
  if (match?.[1] === undefined || match[2] === undefined) return undefined;
  return { prefix: match[1], payload: match[2] };
}

/**
 * The start-up command whose payload the worker must rewrite so that each repeated input path
 * reads its own file (slot-plan's `repeatedInputs`).
 * @throws InvalidArgument when the command is not pylzy's start-up command: nothing else tells
 *   the worker which argument reads which file, so the op would silently get the wrong data
 */
export function startupCommandForRepeatedInputs(
  command: string,
  repeatedInputs: ReadonlyMap<string, readonly string[]>,
): PylzyStartupCommand {
  const parsed = parsePylzyStartupCommand(command);
  if (parsed !== undefined) return parsed;
  const [name, paths] = [...repeatedInputs][0] ?? ['', []];
  throw new InvalidArgument(
    `input slot ${name} is declared ${paths.length} times for different data, but the op reads ` +
      `every input from $LZY_MOUNT<slot name>, so all of them would read one file. The worker ` +
      `can tell them apart only for pylzy's start-up command (python -u …/lzy/api/v1/startup.py ` +
      `<payload>), whose payload it rewrites; give each input slot of this op its own name`,
  );
}
