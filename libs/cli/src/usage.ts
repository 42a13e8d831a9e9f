/** Commands of `lzy`, in the order the help lists them. */
export const COMMAND_NAMES = ['up', 'run', 'status', 'logs', 'whiteboards', 'add-user'] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

const CONFIG_OPTION = `  --config <path>  client config (default: $LZY_CLIENT_CONFIG, else $LZY_HOME/client.json,
                   else ~/.lzy/client.json; \`lzy up\` writes it)`;

export const TOP_USAGE = `Usage: lzy <command> [options]

Commands:
  up                          start the local suite (all services on loopback) until Ctrl-C
  run <file> [args...]        run a program that uses the LZY SDK against the suite
  status <executionId> [graphId]  show a graph's status (--watch to follow it)
  logs <executionId>          print the ops' stdout/stderr of an execution until it ends
  whiteboards                 list whiteboards (filters: --name, --tag, --since, --until)
  add-user                    register a user's public key in iam (operators of an installation)

Run \`lzy <command> --help\` for the options of a command.
Exit codes: 0 ok, 1 failure (one line on stderr), 2 bad command line.
`;

export const COMMAND_USAGE: Readonly<Record<CommandName, string>> = {
  up: `Usage: lzy up

Starts PostgreSQL, an S3 server and every LZY service on loopback, registers the local user and
writes the client config; stays up until SIGINT/SIGTERM, then stops everything.
Environment: LZY_HOME (default ~/.lzy), LZY_HOST, LZY_RANDOM_PORTS, LZY_LOG_LEVEL,
LZY_POSTGRES_DIR, LZY_LOCAL_USER.
`,
  run: `Usage: lzy run [--config <path>] <file> [args...]

Runs <file> (.ts or .js) with this Node.js, LZY_CLIENT_CONFIG set to the client config and
LZY_PROGRESS=1 (the SDK then draws a live progress display). Arguments after <file> go to the
program unchanged. Exits with the program's exit code.
${CONFIG_OPTION}
`,
  status: `Usage: lzy status [--config <path>] [--watch] <executionId> [graphId]

Prints the status of a graph: waiting, executing (completed and executing task ids), completed,
or failed with its description. The public API reports status per graph: without a graph id
it only checks that the execution is active.
  --watch          poll every 500 ms and redraw until completed or failed
${CONFIG_OPTION}
Exit code 1 when the graph failed.
`,
  logs: `Usage: lzy logs [--config <path>] <executionId>

Prints the stdout (to stdout) and stderr (to stderr) of every op of an active execution, from
its start, live, until the execution finishes.
${CONFIG_OPTION}
`,
  whiteboards: `Usage: lzy whiteboards [--config <path>] [--name <name>] [--tag <tag>...] [--since <iso>]
                       [--until <iso>] [--json]

Lists your whiteboards as a table (id, name, status, tags, createdAt, fields).
  --name <name>    only whiteboards of this name
  --tag <tag>      only whiteboards with this tag; repeat to require several
  --since <iso>    created at or after this time (e.g. 2025-01-31T12:00:00Z)
  --until <iso>    created at or before this time
  --json           print a JSON array instead of the table
${CONFIG_OPTION}
`,
  'add-user': `Usage: lzy add-user --iam <host:port> --internal-key <pem> --login <name> --public-key <pem>
                    [--key-name <name>]

Registers a user in iam as the LZY clients expect (provider GITHUB, login = the clients' LZY_USER)
with the public key as a credential, through the installation's internal identity: the operator
needs the internal private key the services were given (LZY_INTERNAL_PRIVATE_KEY). Idempotent;
a different key under the same --key-name replaces the old one. Prints the user's subject id.
Users can add and remove their own keys on the site's Keys page (<site URL>/keys).
  --iam <host:port>      iam's gRPC address
  --internal-key <pem>   file with the internal identity's private key (PEM)
  --login <name>         the user's login (LZY_USER of their client)
  --public-key <pem>     file with the user's public key (PEM)
  --key-name <name>      credential name (default: main)
`,
};
