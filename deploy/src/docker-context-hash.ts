// Prints the content hash of the images' build context (docker/podman-build.sh keys its cache
// by it): node deploy/src/docker-context-hash.ts <repository root>
import { resolve } from 'node:path';
import { buildContextHash } from './docker-context.ts';

const root = resolve(process.argv[2] ?? '.');
process.stdout.write(`${await buildContextHash(root)}\n`);
