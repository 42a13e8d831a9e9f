import { parseArgs } from 'node:util';
import type { ParseArgsOptionsConfig } from 'node:util';
import { UsageError } from './cli-error.ts';
import { COMMAND_NAMES, COMMAND_USAGE, TOP_USAGE } from './usage.ts';
import type { CommandName } from './usage.ts';

/** A command line understood: which command, with its arguments. */
export type CommandLine =
  | { command: 'help'; topic?: CommandName }
  | { command: 'up' }
  | { command: 'run'; config?: string; file: string; args: string[] }
  | { command: 'status'; config?: string; executionId: string; graphId?: string; watch: boolean }
  | { command: 'logs'; config?: string; executionId: string }
  | {
      command: 'add-user';
      iam: string;
      internalKey: string;
      login: string;
      publicKey: string;
      keyName: string;
    }
  | {
      command: 'whiteboards';
      config?: string;
      name?: string;
      tags: string[];
      since?: Date;
      until?: Date;
      json: boolean;
    };

const HELP = { help: { type: 'boolean', short: 'h' } } as const;
const CONFIG = { config: { type: 'string' } } as const;

/**
 * Parses `lzy`'s arguments (without node and the script).
 * @throws UsageError for an unknown command or option, a missing or extra argument, a bad date.
 */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  const [first, ...rest] = argv;
  if (first === undefined) throw new UsageError('missing command', TOP_USAGE);
  if (first === '--help' || first === '-h') return { command: 'help' };
  if (first === 'help') return parseHelp(rest);
  if (!isCommandName(first)) {
    throw new UsageError(
      first.startsWith('-') ? `unknown option '${first}'` : `unknown command '${first}'`,
      TOP_USAGE,
    );
  }
  if (first === 'run') return parseRun(rest);
  return parseOthers(first, rest);
}

function parseHelp(rest: readonly string[]): CommandLine {
  const [topic, ...extra] = rest;
  if (topic === undefined) return { command: 'help' };
  if (!isCommandName(topic) || extra.length > 0) {
    throw new UsageError(`unknown command '${rest.join(' ')}'`, TOP_USAGE);
  }
  return { command: 'help', topic };
}

function parseOthers(command: Exclude<CommandName, 'run'>, rest: readonly string[]): CommandLine {
  const usage = COMMAND_USAGE[command];
  switch (command) {
    case 'up': {
      const { values, positionals } = parse(rest, { ...HELP }, usage);
      if (values.help === true) return { command: 'help', topic: command };
      expectPositionals(positionals, [], 0, usage);
      return { command };
    }
    case 'status': {
      const options = { ...HELP, ...CONFIG, watch: { type: 'boolean' } } as const;
      const { values, positionals } = parse(rest, options, usage);
      if (values.help === true) return { command: 'help', topic: command };
      const [executionId = '', graphId] = expectPositionals(
        positionals,
        ['<executionId>', '[graphId]'],
        1,
        usage,
      );
      return { command, config: values.config, executionId, graphId, watch: values.watch === true };
    }
    case 'logs': {
      const { values, positionals } = parse(rest, { ...HELP, ...CONFIG }, usage);
      if (values.help === true) return { command: 'help', topic: command };
      const [executionId = ''] = expectPositionals(positionals, ['<executionId>'], 1, usage);
      return { command, config: values.config, executionId };
    }
    case 'whiteboards':
      return parseWhiteboards(rest);
    case 'add-user':
      return parseAddUser(rest);
  }
}

function parseAddUser(rest: readonly string[]): CommandLine {
  const usage = COMMAND_USAGE['add-user'];
  const options = {
    ...HELP,
    iam: { type: 'string' },
    'internal-key': { type: 'string' },
    login: { type: 'string' },
    'public-key': { type: 'string' },
    'key-name': { type: 'string' },
  } as const;
  const { values, positionals } = parse(rest, options, usage);
  if (values.help === true) return { command: 'help', topic: 'add-user' };
  expectPositionals(positionals, [], 0, usage);
  const required = (name: 'iam' | 'internal-key' | 'login' | 'public-key'): string => {
    const value = values[name]?.trim();
    if (value === undefined || value === '') throw new UsageError(`missing --${name}`, usage);
    return value;
  };
  return {
    command: 'add-user',
    iam: required('iam'),
    internalKey: required('internal-key'),
    login: required('login'),
    publicKey: required('public-key'),
    keyName: values['key-name']?.trim() || 'main',
  };
}

function parseWhiteboards(rest: readonly string[]): CommandLine {
  const usage = COMMAND_USAGE.whiteboards;
  const options = {
    ...HELP,
    ...CONFIG,
    name: { type: 'string' },
    tag: { type: 'string', multiple: true },
    since: { type: 'string' },
    until: { type: 'string' },
    json: { type: 'boolean' },
  } as const;
  const { values, positionals } = parse(rest, options, usage);
  if (values.help === true) return { command: 'help', topic: 'whiteboards' };
  expectPositionals(positionals, [], 0, usage);
  return {
    command: 'whiteboards',
    config: values.config,
    name: values.name,
    tags: values.tag ?? [],
    since: values.since === undefined ? undefined : parseDate('--since', values.since, usage),
    until: values.until === undefined ? undefined : parseDate('--until', values.until, usage),
    json: values.json === true,
  };
}

/**
 * `run`'s own options come before <file>; everything from <file> on belongs to the program,
 * including things that look like options (`lzy run train.ts --epochs 3`).
 */
function parseRun(rest: readonly string[]): CommandLine {
  const usage = COMMAND_USAGE.run;
  let split = 0;
  let programStart = -1;
  while (split < rest.length) {
    const token = rest[split] ?? '';
    if (token === '--') {
      programStart = split + 1;
      break;
    }
    if (!token.startsWith('-')) break;
    split += token === '--config' ? 2 : 1;
  }
  const own = rest.slice(0, Math.min(split, rest.length));
  const program = rest.slice(programStart === -1 ? split : programStart);
  const { values } = parse(own, { ...HELP, ...CONFIG }, usage);
  if (values.help === true) return { command: 'help', topic: 'run' };
  const [file, ...args] = program;
  if (file === undefined || file === '') throw new UsageError('missing <file> to run', usage);
  return { command: 'run', config: values.config, file, args };
}

function parse<O extends ParseArgsOptionsConfig>(
  args: readonly string[],
  options: O,
  usage: string,
) {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: true });
  } catch (err) {
    // node's messages go on with advice about '--'; the first sentence names the problem.
    const message = (err as Error).message.split('. ')[0] ?? 'bad arguments';
    throw new UsageError(message.replace(/\.$/, ''), usage);
  }
}

/** `names` lists the positionals, the first `min` of them required: ['<executionId>', '[graphId]']. */
function expectPositionals(
  positionals: readonly string[],
  names: readonly string[],
  min: number,
  usage: string,
): readonly string[] {
  const max = names.length;
  if (positionals.length < min) {
    throw new UsageError(`missing ${names[positionals.length] ?? 'argument'}`, usage);
  }
  if (positionals.length > max) {
    throw new UsageError(`unexpected argument '${positionals[max] ?? ''}'`, usage);
  }
  if (positionals.some((positional) => positional.trim() === '')) {
    throw new UsageError('arguments must not be empty', usage);
  }
  return positionals;
}

function parseDate(option: string, text: string, usage: string): Date {
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) {
    throw new UsageError(`${option}: '${text}' is not an ISO date/time`, usage);
  }
  return date;
}

function isCommandName(name: string): name is CommandName {
  return (COMMAND_NAMES as readonly string[]).includes(name);
}
