import path from 'node:path';

/** An op call of the TypeScript SDK as its command names it (libs/sdk/src/op-command.ts). */
export interface SdkOpCommand {
  /** The node binary the command runs. */
  nodePath: string;
  /** The SDK's one-shot runner (`…/op-runner.ts` or `.js`). */
  runnerPath: string;
  /** The warm host beside it (`…/op-host.ts` or `.js`); it may be absent (an older SDK). */
  hostPath: string;
  /** The runner's arguments: module path, export name, call id, argument count. */
  argv: string[];
}

/** One word as the SDK's shellQuote writes it: `'…'`, a `'` inside written as `'\''`. */
const QUOTED = String.raw`'[^']*'(?:\\''[^']*')*`;
const SDK_COMMAND = new RegExp(
  `^(${QUOTED}) (${QUOTED}) (${QUOTED}) (${QUOTED}) (${QUOTED}) (0|[1-9][0-9]{0,5})$`,
);
const RUNNER_FILE = /^op-runner\.(ts|js|mjs)$/;

function unquote(word: string): string {
  return word.slice(1, -1).replaceAll(String.raw`'\''`, "'");
}

/** libs/sdk/src/op-modules.ts opModuleRef: `<http(s) URL>#lzy-op-module=<sha256>:<entry>`. */
function isShippedModule(module: string): boolean {
  return /^https?:\/\/[^\s]+#lzy-op-module=[0-9a-f]{64}:\S+$/.test(module);
}

/**
 * Recognises exactly the command the SDK emits for an op call:
 * `'<node>' '<dir>/op-runner.ts' '<module>' '<export>' '<callId>' <nArgs>` with absolute node
 * and runner paths, an absolute module path or a shipped module bundle's URL, and a JavaScript
 * identifier as the export. Anything else (another
 * quoting, extra words, redirections, `;`) is not an SDK op call and runs under `bash -c`.
 */
export function parseSdkOpCommand(command: string): SdkOpCommand | undefined {
  const match = SDK_COMMAND.exec(command);
  if (match === null) return undefined;
  const [nodePath, runnerPath, modulePath, exportName, callId] = match
    .slice(1, 6)
    .map((w) => unquote(w ?? ''));
  const argCount = match[6];
  if (
    nodePath === undefined ||
    runnerPath === undefined ||
    modulePath === undefined ||
    exportName === undefined ||
    callId === undefined ||
    argCount === undefined
  )
    return undefined;
  const runnerFile = RUNNER_FILE.exec(path.basename(runnerPath));
  if (runnerFile === null) return undefined;
  if (![nodePath, runnerPath].every((p) => path.isAbsolute(p))) return undefined;
  // A local module path (the worker shares the client's files), or a shipped module bundle.
  if (!path.isAbsolute(modulePath) && !isShippedModule(modulePath)) return undefined;
  if (!/^[A-Za-z_$][\w$]*$/.test(exportName) || callId === '') return undefined;
  return {
    nodePath,
    runnerPath,
    hostPath: path.join(path.dirname(runnerPath), `op-host.${runnerFile[1] ?? 'ts'}`),
    argv: [modulePath, exportName, callId, argCount],
  };
}
