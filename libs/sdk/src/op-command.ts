/** Quotes one word for a POSIX shell: `'…'` with each `'` written as `'\''`. */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

export interface OpCommandSpec {
  /** Absolute path of the node binary the worker runs (the client's own, see README). */
  nodePath: string;
  runnerPath: string;
  modulePath: string;
  exportName: string;
  callId: string;
  argCount: number;
}

/** The shell command a worker runs for one call: the op runner with the call's coordinates. */
export function opCommand(spec: OpCommandSpec): string {
  return [
    shellQuote(spec.nodePath),
    shellQuote(spec.runnerPath),
    shellQuote(spec.modulePath),
    shellQuote(spec.exportName),
    shellQuote(spec.callId),
    String(spec.argCount),
  ].join(' ');
}
