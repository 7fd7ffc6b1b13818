// Builds the C++ unit tests of the native core under ASan+UBSan and runs them. They test raw bytes
// without Node, so they live outside the addon build; this file only makes `vitest run` cover them.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const cxx = process.env.CXX ?? 'g++';
const sanitizers = ['-fsanitize=address,undefined', '-fno-sanitize-recover=all'];
const timeoutMs = 60_000;

let workDir = '';
let sanitizerFlags: string[] = [];
const objects = new Map<string, Promise<string>>();

function run(args: string[]) {
  return spawnSync(cxx, args, { cwd: root, encoding: 'utf8' });
}

interface Ran {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  error?: Error;
}

// Compiling and running take seconds each (longer under the sanitizers): they run as child processes
// the test awaits, so vitest's worker keeps answering its runner meanwhile (a synchronous spawn blocked
// it long enough for vitest to report a timeout of its own).
function runAsync(command: string, args: string[], env?: NodeJS.ProcessEnv, timeout?: number): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, env: env ?? process.env, timeout });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (error) => resolve({ status: null, signal: null, stdout, stderr, error }));
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
}

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'uvhttp-native-'));
  // Without the sanitizer runtimes these tests would still pass while missing the memory errors they
  // exist to catch, so a toolchain without them fails the suite rather than quietly weakening it.
  const probe = join(workDir, 'probe.cc');
  writeFileSync(probe, 'int main() { return 0; }\n');
  const result = run([...sanitizers, probe, '-o', join(workDir, 'probe')]);
  if (result.status !== 0) {
    throw new Error(
      `native tests need ${cxx} with the ASan and UBSan runtimes (e.g. libasan and libubsan); ` +
        `linking with ${sanitizers.join(' ')} failed:\n${result.stderr}${result.error ?? ''}`,
    );
  }
  sanitizerFlags = sanitizers;
});

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

const compileFlags = () => ['-std=c++17', '-O1', '-g', '-Wall', '-Wextra', ...sanitizerFlags, '-Inative', '-Itest/native'];

// Compiles one source file once per set of defines: parser_test.cc is slow to build and is shared
// by both scan-path variants.
function object(source: string, defines: string[] = []): Promise<string> {
  const key = [source, ...defines].join(' ');
  const cached = objects.get(key);
  if (cached) return cached;
  const out = join(workDir, `${objects.size}-${source.replace(/\W+/g, '_')}.o`);
  const built = runAsync(cxx, [...compileFlags(), ...defines, '-c', source, '-o', out]).then((result) => {
    if (result.status !== 0) throw new Error(`${cxx} -c ${source} failed:\n${result.stderr}${result.error ?? ''}`);
    if (result.stderr.includes('warning:')) console.warn(result.stderr);
    return out;
  });
  objects.set(key, built);
  return built;
}

// program is a test's path under test/native (it mirrors native/: http/parser_test tests http/parser.cc).
async function buildAndRun(program: string, label: string, parserDefines: string[] = [], sources = ['native/http/message.cc']): Promise<void> {
  const inputs = await Promise.all([
    object('native/http/parser.cc', parserDefines),
    ...sources.map((source) => object(source)),
    object(`test/native/${program}.cc`),
  ]);
  const binary = join(workDir, `${program.replace(/\W+/g, '_')}-${objects.size}`);
  const link = await runAsync(cxx, [...sanitizerFlags, ...inputs, '-o', binary]);
  if (link.status !== 0) throw new Error(`linking ${program} failed:\n${link.stderr}`);

  const result = await runAsync(binary, [], { ...process.env, UBSAN_OPTIONS: 'print_stacktrace=1' }, timeoutMs);
  const output = `${result.stdout}${result.stderr}`;
  const lines = (result.stdout ?? '').trim().split('\n');
  const summary = new RegExp(`^${label}: (\\d+) passed, (\\d+) failed$`).exec(lines[lines.length - 1] ?? '');
  expect(result.signal, output).toBeNull();
  expect(result.status, output).toBe(0);
  expect(summary, output).not.toBeNull();
  expect(Number(summary![2]), output).toBe(0);
  expect(Number(summary![1]), output).toBeGreaterThan(0);
}

describe('native/http (C++ unit tests)', () => {
  it('parser_test with runtime SSE4.2 dispatch', () => buildAndRun('http/parser_test', 'parser'), timeoutMs);
  it('parser_test with the scalar scan forced', () => buildAndRun('http/parser_test', 'parser', ['-DUVHTTP_NO_SSE42']),
    timeoutMs);
  it('message_test', () => buildAndRun('http/message_test', 'message'), timeoutMs);
  it('request_target_test', () =>
    buildAndRun('http/request_target_test', 'request_target', [], ['native/http/request_target.cc', 'native/http/http_errors.cc']),
    timeoutMs);
  it('response_test', () =>
    buildAndRun('http/response_test', 'response', [], ['native/http/response.cc', 'native/http/date_cache.cc']), timeoutMs);
  it('session_test (every input split at every byte)', () =>
    buildAndRun('http/session_test', 'session', [], [
      'native/http/message.cc', 'native/http/session.cc', 'native/http/http_errors.cc', 'native/http/request_target.cc',
    ]), timeoutMs);
  it('http_date_test (round trips against gmtime_r)', () =>
    buildAndRun('http/http_date_test', 'http_date', [], ['native/http/http_date.cc']), timeoutMs);
  it('proxy_protocol_test (v1 and v2, malformed, truncated and oversized, every header cut at every byte)', () =>
    buildAndRun('http/proxy_protocol_test', 'proxy_protocol', [], ['native/http/proxy_protocol.cc']), timeoutMs);
  it('range_test (every short input against a reference reading)', () =>
    buildAndRun('http/range_test', 'range', [], ['native/http/range.cc']), timeoutMs);
  it('conditional_test', () =>
    buildAndRun('http/conditional_test', 'conditional', [], ['native/http/conditional.cc', 'native/http/http_date.cc']),
    timeoutMs);
  it('content_coding_test', () =>
    buildAndRun('http/content_coding_test', 'content_coding', [], ['native/http/content_coding.cc']), timeoutMs);
});

describe('native/core (C++ unit tests)', () => {
  it('router_test', () => buildAndRun('core/router_test', 'router', [], ['native/core/router.cc']), timeoutMs);
  it('access_log_test (formats, escaping of every byte, lines answered now and later, reopen)', () =>
    buildAndRun('core/access_log_test', 'access_log', [], ['native/core/access_log.cc']), timeoutMs);
  it('batch_test', () => buildAndRun('core/batch_test', 'batch', [], ['native/core/batch.cc']), timeoutMs);
  it('output_queue_test', () =>
    buildAndRun('core/output_queue_test', 'output_queue', [], ['native/core/output_queue.cc', 'native/io/file_io.cc']), timeoutMs);
});

describe('native/io (C++ unit tests)', () => {
  it('file_io_test (never leaves the root, with openat2 and with the fallback)', () =>
    buildAndRun('io/file_io_test', 'file_io', [], ['native/io/file_io.cc']), timeoutMs);
});

describe('native/handlers (C++ unit tests)', () => {
  it('file_path_test (every short path against a decode-then-split reference)', () =>
    buildAndRun('handlers/file_path_test', 'file_path', [], ['native/handlers/file_path.cc']), timeoutMs);
  it('response_cache_test (keys, freshness, what may be shared, LRU bounds, purge)', () =>
    buildAndRun('handlers/response_cache_test', 'response_cache', [], ['native/handlers/response_cache.cc', 'native/http/response.cc', 'native/http/date_cache.cc']), timeoutMs);
  it('open_file_cache_test (revalidation by the clock, LRU limits, descriptors held after eviction)', () =>
    buildAndRun('handlers/open_file_cache_test', 'open_file_cache', [], [
      'native/http/message.cc', 'native/handlers/open_file_cache.cc', 'native/io/file_io.cc', 'native/http/http_date.cc',
    ]), timeoutMs);
  it('static_files_test (mount choice, conditionals, ranges, variants and exact heads on a temp tree)', () =>
    buildAndRun('handlers/static_files_test', 'static_files', [], [
      'native/http/message.cc', 'native/handlers/static_files.cc', 'native/handlers/open_file_cache.cc',
      'native/handlers/file_path.cc', 'native/handlers/mime_types.cc', 'native/io/file_io.cc', 'native/http/http_date.cc',
      'native/http/range.cc', 'native/http/conditional.cc', 'native/http/content_coding.cc', 'native/http/http_errors.cc',
      'native/http/request_target.cc', 'native/core/router.cc',
    ]), timeoutMs);
});
