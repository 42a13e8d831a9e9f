import { describe, expect, it } from 'vitest';
import { parseSdkOpCommand } from './sdk-op-command.ts';

/** The SDK's own quoting (libs/sdk/src/op-command.ts). */
const q = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;
const sdkCommand = (words: string[], n: number) => [...words.map(q), String(n)].join(' ');

describe('parseSdkOpCommand', () => {
  it('recognises the command the SDK emits for an op call', () => {
    const command = sdkCommand(
      ['/usr/bin/node', '/sdk/src/op-runner.ts', '/home/a/ops.ts', 'square', 'call-1'],
      2,
    );
    expect(parseSdkOpCommand(command)).toEqual({
      nodePath: '/usr/bin/node',
      runnerPath: '/sdk/src/op-runner.ts',
      hostPath: '/sdk/src/op-host.ts',
      argv: ['/home/a/ops.ts', 'square', 'call-1', '2'],
    });
  });

  it('recognises a shipped module bundle (presigned URL + content hash + entry) as the module', () => {
    const module = `http://s3:9000/b/lzy_ts_modules/x?X-Amz-Signature=ab#lzy-op-module=${'a'.repeat(64)}:examples%2Fts%2Ffan-out.ts`;
    const command = sdkCommand(['/client/node', '/client/sdk/op-runner.ts', module, 'sum', 'c'], 3);
    expect(parseSdkOpCommand(command)?.argv).toEqual([module, 'sum', 'c', '3']);
    const unhashed = module.replace(/lzy-op-module=a+/, 'lzy-op-module=abc');
    expect(
      parseSdkOpCommand(sdkCommand(['/n', '/sdk/op-runner.ts', unhashed, 'f', 'c'], 0)),
    ).toBeUndefined();
  });

  it("unquotes paths holding a ' and spaces", () => {
    const command = sdkCommand(['/n o/node', "/it's/op-runner.js", "/a b/it's.ts", 'f', 'c'], 0);
    expect(parseSdkOpCommand(command)).toMatchObject({
      nodePath: '/n o/node',
      runnerPath: "/it's/op-runner.js",
      hostPath: "/it's/op-host.js",
      argv: ["/a b/it's.ts", 'f', 'c', '0'],
    });
  });

  it.each([
    ['another runner file', sdkCommand(['/n', '/sdk/runner.ts', '/m.ts', 'f', 'c'], 1)],
    ['a relative module path', sdkCommand(['/n', '/sdk/op-runner.ts', 'm.ts', 'f', 'c'], 1)],
    ['a relative node', sdkCommand(['node', '/sdk/op-runner.ts', '/m.ts', 'f', 'c'], 1)],
    [
      'an export that is not an identifier',
      sdkCommand(['/n', '/sdk/op-runner.ts', '/m.ts', 'a-b', 'c'], 1),
    ],
    [
      'a trailing shell word',
      `${sdkCommand(['/n', '/sdk/op-runner.ts', '/m.ts', 'f', 'c'], 1)}; rm x`,
    ],
    ['a redirection', `${sdkCommand(['/n', '/sdk/op-runner.ts', '/m.ts', 'f', 'c'], 1)} >out`],
    ['unquoted words', '/n /sdk/op-runner.ts /m.ts f c 1'],
    ['double quotes', '"/n" "/sdk/op-runner.ts" "/m.ts" "f" "c" 1'],
    [
      'a bad count',
      sdkCommand(['/n', '/sdk/op-runner.ts', '/m.ts', 'f', 'c'], 1).replace(/1$/, '01'),
    ],
    ['a plain command', 'echo hello'],
  ])('leaves %s to bash', (_, command) => {
    expect(parseSdkOpCommand(command)).toBeUndefined();
  });
});
