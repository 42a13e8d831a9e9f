import { createHash } from 'node:crypto';
import { copyFile, lstat, mkdir, readdir, readFile, readlink } from 'node:fs/promises';
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

/**
 * The files `docker build` would send as the context of `root` (paths relative to it, sorted),
 * without copying them.
 */
export async function listBuildContext(
  root: string,
  patterns: readonly string[],
): Promise<string[]> {
  const files: string[] = [];
  const walk = async (relative: string): Promise<void> => {
    for (const entry of await readdir(join(root, relative), { withFileTypes: true })) {
      const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (isIgnored(path, patterns)) continue;
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile() || entry.isSymbolicLink()) files.push(path);
    }
  };
  await walk('');
  return files.sort();
}

/**
 * sha256 (hex) of docker/Dockerfile and every file of the build context of `root`: path, mode
 * and content. Two trees with the same hash build the same images (given the same bases).
 */
export async function buildContextHash(root: string): Promise<string> {
  const patterns = await readDockerignore(join(root, '.dockerignore'));
  const hash = createHash('sha256');
  for (const path of ['docker/Dockerfile', ...(await listBuildContext(root, patterns))]) {
    const info = await lstat(join(root, path));
    const content = info.isSymbolicLink()
      ? await readlink(join(root, path))
      : await readFile(join(root, path));
    hash.update(`${path}\0${info.mode & 0o111 ? 'x' : '-'}\0${content.length}\0`);
    hash.update(content);
  }
  return hash.digest('hex');
}
