// Loads the compiled addon. The only module that knows where it lives.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export interface NativeStats {
  connections: number;
  connectionsTotal: number;
  connectionsRejected: number;
  requests: number;
  jsDispatches: number;
  bytesRead: number;
  bytesWritten: number;
  parseErrors: number;
  timeouts: number;
}

export interface NativeServer {
  addStatic(method: string, path: string, head: string, body: Buffer): void;
  addRoute(method: string, path: string, handlerId: number): void;
  setOutput(data: Buffer, records: Int32Array): void;
  listen(host: string, port: number): { address: string; port: number };
  close(): void;
  flush(): void;
  stats(): NativeStats;
}

export interface NativeServerConstructor {
  new (
    options: Record<string, number | undefined>,
    dispatch: (count: number, data?: Buffer, meta?: ArrayBuffer) => void,
    onClosed: () => void,
    onClientError: (status: number, reason: string) => void,
  ): NativeServer;
}

const require = createRequire(import.meta.url);
const root = fileURLToPath(new URL('..', import.meta.url));

export const NativeServer: NativeServerConstructor = (require(join(root, 'build', 'Release', 'uvhttp.node')) as {
  NativeServer: NativeServerConstructor;
}).NativeServer;
