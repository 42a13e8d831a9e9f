import { copyFile, mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The patterns of a .dockerignore file (comments and blank lines dropped). */
export async function readDockerignore(path: string): Promise<string[]> {
  return (await readFile(path, 'utf8'))
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

function globToRegex(pattern: string): RegExp {
  const glob = (part: string) =>
    part
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '[^/]*')
      .replace(/\?/g, '[^/]');
  // `**/` is zero or more directories; any other `**` anything.
  const body = pattern
    .split('**/')
    .map((part) => part.split('**').map(glob).join('.*'))
    .join('(?:.*/)?');
  return new RegExp(`^${body}(/.*)?$`);
}

/**
 * Docker's .dockerignore matching (Go filepath.Match plus `**`, later `!` patterns re-include):
 * a path is left out of the build context when it or one of its parents matches.
 */
export function isIgnored(path: string, patterns: readonly string[]): boolean {
  let ignored = false;
  for (const raw of patterns) {
    const negate = raw.startsWith('!');
    const pattern = (negate ? raw.slice(1) : raw).replace(/^\/+|\/+$/g, '');
    if (globToRegex(pattern).test(path)) ignored = !negate;
  }
  return ignored;
}

/** Copies what `docker build` would send as the context of `root` into `target`. */
export async function copyBuildContext(
  root: string,
  target: string,
  patterns: readonly string[],
): Promise<number> {
  let files = 0;
  const walk = async (relative: string): Promise<void> => {
    for (const entry of await readdir(join(root, relative), { withFileTypes: true })) {
      const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (isIgnored(path, patterns)) continue;
      if (entry.isDirectory()) {
        await mkdir(join(target, path), { recursive: true });
        await walk(path);
      } else if (entry.isFile()) {
        await copyFile(join(root, path), join(target, path));
        files += 1;
      }
    }
  };
  await mkdir(target, { recursive: true });
  await walk('');
  return files;
}
