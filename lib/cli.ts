#!/usr/bin/env node
// `npx uvhttp serve [dir]`: serves a directory with app.serveDir until SIGINT or SIGTERM.
// `npx uvhttp app.js`: runs an app module (a fetch handler object or an App) until SIGINT or SIGTERM,
// in one thread or, with --workers, in several that share the port (lib/cluster.ts).
// Arguments are checked before the addon loads, so `--help` and a bad flag answer on any machine.
import { statSync } from 'node:fs';
import { isIP } from 'node:net';
import { extname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { APP_EXTENSIONS } from './app-module.js';

const USAGE = `Usage: uvhttp serve [dir] [options]
       uvhttp <app.js | app.ts> [--port <n>] [--host <addr>] [--unix <path>] [--workers <n>]
                                [--access-log <file | ->]

serve: serves the files under dir (default: the current directory) over HTTP/1.1.

<app>: runs the module's default export: an object with a fetch(request) method (the
Bun and srvx convention, e.g. a Hono app) or an App from createServer(). A .ts file needs
a Node that strips types (22.18+, or 22.6+ with --experimental-strip-types). The port
defaults to $PORT, else 3000.

Options:
  -p, --port <n>             port to listen on, 0 picks a free one (default 8080)
      --host <addr>          address to listen on (default 0.0.0.0, every interface)
      --unix <path>          listen on a Unix domain socket at path instead of a port
                             (a stale socket file there is replaced, the file removed at exit)
      --workers <n>          run the app module in n worker threads, each with its own event
                             loop and its own listener on the same port (SO_REUSEPORT: the
                             kernel spreads connections); default 1 (app module only, TCP only)
      --access-log <file>    append a line per request to file (- for stdout), natively
                             served ones included; reopened on SIGHUP (logrotate)
      --access-log-format <f>
                             combined (default, as nginx and Apache), common or json
      --prefix <path>        URL path the directory is served under (default /; serve only)
      --spa [file]           answer a page request (Accept: text/html) for a missing path
                             with file, relative to dir (default index.html); the file is
                             taken as --spa's value when it ends in .html or .htm, or as --spa=<file>
      --cache-control <v>    Cache-Control of every file response (default: none)
  -h, --help                 print this and exit

Stops on SIGINT (Ctrl-C) and SIGTERM: stops accepting, lets in-flight responses finish (3 s
at most; in every worker, with --workers) and exits 0.
Exit codes: 0 stopped by a signal, or --help; 1 the directory, the app module or the
address cannot be used; 2 a bad argument.
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
  /** An app module to run instead of a directory to serve. */
  app?: string;
  dir: string;
  port: number;
  host: string;
  /** A Unix socket path to listen on instead of port and host. */
  unix?: string;
  /** Worker threads for an app module (1: the app runs in this thread). */
  workers: number;
  prefix: string;
  spa: string | false;
  cacheControl?: string;
  accessLog?: { path: string; format: 'combined' | 'common' | 'json' };
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
        unix: { type: 'string' },
        workers: { type: 'string' },
        prefix: { type: 'string' },
        spa: { type: 'string' },
        'cache-control': { type: 'string' },
        'access-log': { type: 'string' },
        'access-log-format': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    // parseArgs' messages name the flag ("Unknown option '--x'", "Option '--port <value>' argument missing").
    throw usage((err as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
  const { values, positionals } = parsed;
  const command: Command = { help: values.help === true, dir: '.', port: 8080, host: '0.0.0.0', workers: 1, prefix: '/', spa: false };
  if (command.help) return command;

  const [verb, dir, ...extra] = positionals;
  if (verb === undefined) throw usage('missing command: uvhttp serve [dir], or uvhttp <app.js>');
  if (APP_EXTENSIONS.includes(extname(verb))) {
    if (dir !== undefined) throw usage(`an app module takes no other argument, got also '${dir}'`);
    for (const flag of ['prefix', 'spa', 'cache-control'] as const) {
      if (values[flag] !== undefined) throw usage(`--${flag} is for serve, not for an app module`);
    }
    command.app = verb;
    command.port = process.env.PORT !== undefined && /^\d{1,5}$/.test(process.env.PORT) ? Number(process.env.PORT) : 3000;
  } else {
    if (verb !== 'serve') throw usage(`unknown command '${verb}' (the command is serve, or an app module: .js, .mjs, .cjs, .ts, .mts, .cts)`);
    if (extra.length > 0) throw usage(`serve takes one directory, got also ${extra.map((e) => `'${e}'`).join(', ')}`);
    if (dir !== undefined) command.dir = dir;
    if (values.workers !== undefined) throw usage('--workers is for an app module, not for serve');
  }

  if (values.port !== undefined) {
    const port = /^\d{1,5}$/.test(values.port) ? Number(values.port) : NaN;
    if (!(port <= 65535)) throw usage(`--port must be an integer from 0 to 65535, got '${values.port}'`);
    command.port = port;
  }
  if (values.host !== undefined) {
    if (values.host === '') throw usage('--host must not be empty');
    command.host = values.host;
  }
  if (values.workers !== undefined) {
    const workers = /^\d{1,4}$/.test(values.workers) ? Number(values.workers) : NaN;
    if (!(workers >= 1 && workers <= 1024)) throw usage(`--workers must be an integer from 1 to 1024, got '${values.workers}'`);
    command.workers = workers;
  }
  if (values.unix !== undefined) {
    if (values.unix === '') throw usage('--unix needs the socket file path, e.g. --unix /run/app/http.sock');
    if (values.port !== undefined || values.host !== undefined) throw usage('--unix listens on a socket file: give it without --port and --host');
    // SO_REUSEPORT spreads TCP connections only: N workers cannot share one socket file.
    if (command.workers > 1) throw usage('--unix takes one worker: a Unix socket cannot be shared by --workers (use a TCP port)');
    command.unix = values.unix;
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
  const format = values['access-log-format'] ?? 'combined';
  if (format !== 'combined' && format !== 'common' && format !== 'json') {
    throw usage(`--access-log-format must be combined, common or json, got '${format}'`);
  }
  if (values['access-log'] !== undefined) {
    if (values['access-log'] === '') throw usage('--access-log needs a file path, or - for stdout');
    command.accessLog = { path: values['access-log'] === '-' ? '' : resolve(values['access-log']), format };
  } else if (values['access-log-format'] !== undefined) {
    throw usage('--access-log-format needs --access-log <file | ->');
  }
  return command;
}

/** The URL to print: a wildcard address becomes localhost (what a browser on this machine can open). */
function displayUrl(host: string, port: number, prefix: string): string {
  const wildcard = host === '0.0.0.0' || host === '::';
  const name = wildcard ? 'localhost' : isIP(host) === 6 ? `[${host}]` : host;
  const path = prefix.endsWith('/') ? prefix : `${prefix}/`;
  return `http://${name}:${port}${path}`;
}

interface Closable {
  close(options?: { timeout?: number }): Promise<void>;
}

/** Where the command listens, as listen() takes it, and as a message says it. */
function listenSpec(command: Command) {
  return command.unix !== undefined
    ? { spec: { path: command.unix }, where: command.unix }
    : { spec: { port: command.port, host: command.host }, where: `${command.host}:${command.port}` };
}

/** What loading or listening threw, as the message and exit code the user gets. */
function failure(err: unknown, where: string): Exit {
  const code = (err as { code?: string }).code;
  if (code === 'UVHTTP_ERR_APP_MODULE' || code === 'UVHTTP_ERR_ACCESS_LOG') return new Exit(`uvhttp: ${(err as Error).message}`, 1);
  return new Exit(`uvhttp: cannot listen on ${where}: ${(err as Error).message}`, 1);
}

/** The line a test or a user waits for: where it serves, and how. */
function servingLine(what: string, command: Command, address: string, port: number, prefix: string): string {
  if (command.unix !== undefined) return `Serving ${what} at unix:${command.unix}${prefix === '/' ? '' : ` under ${prefix}`}`;
  // A host name is printed as given, an address as listen() bound it.
  const wildcard = address === '0.0.0.0' || address === '::';
  const url = displayUrl(isIP(command.host) === 0 ? command.host : address, port, prefix);
  const notes = [...(command.workers > 1 ? [`${command.workers} workers`] : []), ...(wildcard ? [`listening on all interfaces, port ${port}`] : [])];
  return `Serving ${what} at ${url}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`;
}

/** Runs an app module's default export until a signal: here, or in --workers threads. */
async function runApp(command: Command): Promise<void> {
  const file = resolve(command.app!);
  const { spec, where } = listenSpec(command);
  let server: Closable;
  let address: string;
  let port: number;
  if (command.workers > 1) {
    // Loaded only now: the addon is needed for serving, not for reading arguments.
    const { cluster } = await import('./cluster.js');
    const workers = cluster({
      entry: file,
      workers: command.workers,
      port: command.port,
      host: command.host,
      ...(command.accessLog && { accessLog: command.accessLog }),
    });
    try {
      [{ address, port }] = (await workers.ready) as [{ address: string; port: number }];
    } catch (err) {
      throw failure(err, where);
    }
    server = workers;
  } else {
    const { listenAppModule, loadAppModule } = await import('./app-module.js');
    try {
      const listening = await listenAppModule(await loadAppModule(file), spec, command.accessLog);
      ({ address, port } = listening);
      server = listening;
    } catch (err) {
      throw failure(err, where);
    }
  }
  stopOnSignals(server);
  console.log(servingLine(file, command, address, port, '/'));
}

/** Closes on SIGINT or SIGTERM (a second one exits at once), then exits 0. */
function stopOnSignals(server: Closable): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    // A second signal while connections are still finishing: the user wants out now.
    if (stopping) process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
    stopping = true;
    // In-flight responses get a few seconds to finish; a stalled client cannot hold the exit.
    server.close({ timeout: 3000 }).then(
      () => process.exit(0),
      (err: Error) => {
        console.error(`uvhttp: closing failed: ${err.message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
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
  let app;
  try {
    app = createServer(command.accessLog ? { accessLog: command.accessLog } : {});
  } catch (err) {
    throw new Exit(`uvhttp: ${(err as Error).message}`, 1);
  }
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

  const { spec, where } = listenSpec(command);
  let address: string;
  let port: number;
  try {
    ({ address, port } = await app.listen(spec));
  } catch (err) {
    throw failure(err, where);
  }

  stopOnSignals(app);
  console.log(servingLine(dir, command, address, port, command.prefix));
}

async function main(args: string[]): Promise<void> {
  try {
    const command = parseCommand(args);
    if (command.help) {
      process.stdout.write(USAGE);
      return;
    }
    await (command.app !== undefined ? runApp(command) : serve(command));
  } catch (err) {
    if (!(err instanceof Exit)) throw err;
    console.error(err.message);
    process.exitCode = err.code;
  }
}

await main(process.argv.slice(2));
