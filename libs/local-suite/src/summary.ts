import type { LocalSuiteConfig } from './config.ts';
import type { RunningUp } from './up.ts';

/**
 * The lines `pnpm start` prints once the suite is up: where each thing is and how a Python
 * client (pylzy or ours) reaches it. Kept short; the details are in README.
 */
export function summaryLines(
  config: Pick<LocalSuiteConfig, 'postgresDir' | 'pgliteDir'>,
  up: Pick<
    RunningUp,
    | 'endpoint'
    | 'whiteboardEndpoint'
    | 'siteUrl'
    | 'user'
    | 'keyPath'
    | 'clientConfigPath'
    | 'database'
  >,
  extra: { elapsedMs: number; logPath: string | undefined; siteLoginLink: string },
): string[] {
  const database =
    up.database === 'pglite'
      ? `PGlite in ${config.pgliteDir}`
      : `PostgreSQL in ${config.postgresDir}`;
  const logs =
    extra.logPath === undefined
      ? 'stdout (LZY_LOG_FORMAT=json)'
      : `${extra.logPath} (each VM's output beside it, in vms/)`;
  return [
    `LZY is up in ${(extra.elapsedMs / 1000).toFixed(1)} s. Ctrl-C stops it.`,
    `  public endpoint: ${up.endpoint}   whiteboards: ${up.whiteboardEndpoint}`,
    ...(up.siteUrl === ''
      ? []
      : [
          `  site:            ${up.siteUrl}` +
            (extra.siteLoginLink === '' ? '' : `  (sign in once: ${extra.siteLoginLink})`),
        ]),
    `  user:            ${up.user} (key ${up.keyPath})`,
    `  client config:   ${up.clientConfigPath} (read by the TypeScript and Python SDKs)`,
    `  database:        ${database}`,
    `  logs:            ${logs}`,
    `  pylzy clients:   export LZY_ENDPOINT=${up.endpoint} LZY_WHITEBOARD_ENDPOINT=${up.whiteboardEndpoint} LZY_USER=${up.user} LZY_KEY_PATH=${up.keyPath}`,
  ];
}
