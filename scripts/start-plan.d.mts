// Types of start-plan.mjs for the TypeScript tests that import it.
type Env = Record<string, string | undefined>;
export declare const VERSITYGW_VERSION: string;
export declare function installReason(root: string): string | undefined;
export declare function node24Path(root: string): string;
export declare function versitygwPath(env: Env): string;
export declare function findOnPath(name: string, env: Env): string | undefined;
export declare function versitygwAction(env: Env): {
  action: 'present' | 'build' | 'unavailable';
  path: string;
};
export declare function pnpmCommand(root: string, env: Env, nodePath: string): string[];
export declare const UV_VERSION: string;
export declare function uvPath(env: Env): string;
export declare function uvAction(env: Env): {
  action: 'present' | 'install' | 'unavailable';
  path: string;
};
