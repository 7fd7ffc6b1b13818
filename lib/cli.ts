#!/usr/bin/env node
// `npx uvhttp serve [dir]`: serves a directory with app.serveDir until SIGINT or SIGTERM.
// Arguments are checked before the addon loads, so `--help` and a bad flag answer on any machine.
import { statSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

const USAGE = `Usage: uvhttp serve [dir] [options]

Serves the files under dir (default: the current directory) over HTTP/1.1.

Options:
  -p, --port <n>             port to listen on, 0 picks a free one (default 8080)
      --host <addr>          address to listen on (default 0.0.0.0, every interface)
      --prefix <path>        URL path the directory is served under (default /)
      --spa [file]           answer a page request (Accept: text/html) for a missing path
                             with file, relative to dir (default index.html); the file is
                             taken as --spa's value when it ends in .html or .htm, or as --spa=<file>
      --cache-control <v>    Cache-Control of every file response (default: none)
  -h, --help                 print this and exit

Stops (closing the server, exit code 0) on SIGINT (Ctrl-C) and SIGTERM.
Exit codes: 0 stopped by a signal, or --help; 1 the directory or the address cannot
be used; 2 a bad argument.
`;

/** An error whose message is for the user, with the exit code it ends the process with. */
class Exit extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

const usage = (message: string) => new Exit(`uvhttp: ${message}\nRun \`uvhttp --help\` for the options.`, 2);

interface Command {
  help: boolean;
  dir: string;
  port: number;
  host: string;
  prefix: string;
  spa: string | false;
  cacheControl?: string;
}

// parseArgs has no option with an optional value: `--spa` alone means index.html, and the next
// argument is its value only when it names an HTML file (so `--spa public` still serves public/).
function spaValues(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] !== '--spa') out.push(args[i]);
    else if (i + 1 < args.length && /\.html?$/i.test(args[i + 1]) && !args[i + 1].startsWith('-')) out.push(`--spa=${args[++i]}`);
    else out.push('--spa=index.html');
  }
  return out;
}

function parseCommand(args: string[]): Command {
  let parsed;
  try {
    parsed = parseArgs({
      args: spaValues(args),
      allowPositionals: true,
      strict: true,
      options: {
        port: { type: 'string', short: 'p' },
        host: { type: 'string' },
        prefix: { type: 'string' },
        spa: { type: 'string' },
        'cache-control': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    // parseArgs' messages name the flag ("Unknown option '--x'", "Option '--port <value>' argument missing").
    throw usage((err as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
  const { values, positionals } = parsed;
  const command: Command = { help: values.help === true, dir: '.', port: 8080, host: '0.0.0.0', prefix: '/', spa: false };
  if (command.help) return command;

  const [verb, dir, ...extra] = positionals;
  if (verb === undefined) throw usage('missing command: uvhttp serve [dir]');
  if (verb !== 'serve') throw usage(`unknown command '${verb}' (the command is serve)`);
  if (extra.length > 0) throw usage(`serve takes one directory, got also ${extra.map((e) => `'${e}'`).join(', ')}`);
  if (dir !== undefined) command.dir = dir;

  if (values.port !== undefined) {
    const port = /^\d{1,5}$/.test(values.port) ? Number(values.port) : NaN;
    if (!(port <= 65535)) throw usage(`--port must be an integer from 0 to 65535, got '${values.port}'`);
    command.port = port;
  }
  if (values.host !== undefined) {
    if (values.host === '') throw usage('--host must not be empty');
    command.host = values.host;
  }
  if (values.prefix !== undefined) {
    if (!values.prefix.startsWith('/')) throw usage(`--prefix must start with '/', got '${values.prefix}'`);
    command.prefix = values.prefix;
  }
  if (values.spa !== undefined) {
    if (values.spa === '') throw usage('--spa needs a file name, e.g. --spa=index.html');
    command.spa = values.spa;
  }
  if (values['cache-control'] !== undefined) command.cacheControl = values['cache-control'];
  return command;
}

/** The URL to print: a wildcard address becomes localhost (what a browser on this machine can open). */
function displayUrl(host: string, port: number, prefix: string): string {
  const wildcard = host === '0.0.0.0' || host === '::';
  const name = wildcard ? 'localhost' : isIP(host) === 6 ? `[${host}]` : host;
  const path = prefix.endsWith('/') ? prefix : `${prefix}/`;
  return `http://${name}:${port}${path}`;
}

async function serve(command: Command): Promise<void> {
  const dir = resolve(command.dir);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (err) {
    throw new Exit(`uvhttp: cannot serve ${dir}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : (err as Error).message}`, 1);
  }
  if (!isDir) throw new Exit(`uvhttp: cannot serve ${dir}: not a directory`, 1);

  // Loaded only now: the addon is needed for serving, not for reading arguments.
  const { createServer } = await import('./index.js');
  const app = createServer();
  try {
    app.serveDir(command.prefix, dir, {
      spa: command.spa,
      ...(command.cacheControl !== undefined && { cacheControl: command.cacheControl }),
    });
  } catch (err) {
    // serveDir checks the prefix and options itself: what it refuses is a bad argument.
    const code = (err as { code?: string }).code;
    if (code === 'UVHTTP_ERR_INVALID_ARG' || code === 'UVHTTP_ERR_INVALID_OPTION') throw usage((err as Error).message);
    throw new Exit(`uvhttp: ${(err as Error).message}`, 1);
  }

  let address: string;
  let port: number;
  try {
    ({ address, port } = await app.listen({ port: command.port, host: command.host }));
  } catch (err) {
    throw new Exit(`uvhttp: cannot listen on ${command.host}:${command.port}: ${(err as Error).message}`, 1);
  }

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    // A second signal while connections are still finishing: the user wants out now.
    if (stopping) process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
    stopping = true;
    // In-flight responses get a few seconds to finish; a stalled client cannot hold the exit.
    app.close({ timeout: 3000 }).then(
      () => process.exit(0),
      (err: Error) => {
        console.error(`uvhttp: closing failed: ${err.message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  // A host name is printed as given, an address as listen() bound it.
  const wildcard = address === '0.0.0.0' || address === '::';
  const url = displayUrl(isIP(command.host) === 0 ? command.host : address, port, command.prefix);
  console.log(`Serving ${dir} at ${url}${wildcard ? ` (listening on all interfaces, port ${port})` : ''}`);
}

async function main(args: string[]): Promise<void> {
  try {
    const command = parseCommand(args);
    if (command.help) {
      process.stdout.write(USAGE);
      return;
    }
    await serve(command);
  } catch (err) {
    if (!(err instanceof Exit)) throw err;
    console.error(err.message);
    process.exitCode = err.code;
  }
}

await main(process.argv.slice(2));
