/**
 * A local HTTPS stand-in for the Logs Ingestion API that enforces its documented contract
 * (reference/azure-platform.md §1): POST /dataCollectionRules/{immutableId}/streams/{stream}
 * ?api-version=2023-01-01, a bearer token the token endpoint issued for https://monitor.azure.com,
 * a JSON array (plain or gzip), at most 1 MB, known streams only, columns and types per
 * schemas/tables (400 on mismatch), 204 on success. Faults can be queued: 429 with Retry-After,
 * 500, slow responses, connection resets.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { tableSchemas, type ColumnType } from '../../src/sinks/tables.ts';
import { testCertificate } from './tls.ts';

export type Fault =
  | { status: 429; retryAfterSeconds: number }
  | { status: 500 | 503 | 403 | 400 }
  | { delayMs: number }
  | { reset: true };

export interface Upload {
  stream: string;
  rows: Record<string, unknown>[];
  gzip: boolean;
}

export interface LogsIngestionServer {
  url: string;
  dcrImmutableId: string;
  uploads: Upload[];
  /** Every request's outcome, for assertions. */
  log: { status: number | 'reset'; stream: string; rows: number; reason?: string }[];
  faults: Fault[];
  /** Tokens the service accepts (issued by the token endpoint). */
  acceptedTokens: Set<string>;
  rows(table: string): Record<string, unknown>[];
  close(): Promise<void>;
}

const MAX_BYTES = 1_000_000;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

function typeOk(type: ColumnType, v: unknown): boolean {
  if (v === null) return true;
  switch (type) {
    case 'string':
    case 'guid':
      return typeof v === 'string';
    case 'int':
    case 'long':
      return Number.isInteger(v);
    case 'real':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    case 'datetime':
      return typeof v === 'string' && ISO.test(v);
    case 'dynamic':
      return true;
  }
}

export async function startLogsIngestionServer(
  dcrImmutableId = 'dcr-00112233445566778899aabbccddeeff',
): Promise<LogsIngestionServer> {
  const { cert, key } = testCertificate();
  const streams = new Map(
    [...tableSchemas().values()].map((t) => [`Custom-${t.name}`, new Map(t.columns.map((c) => [c.name, c.type]))]),
  );
  const state: LogsIngestionServer = {
    url: '',
    dcrImmutableId,
    uploads: [],
    log: [],
    faults: [],
    acceptedTokens: new Set(),
    rows: (table) => state.uploads.filter((u) => u.stream === `Custom-${table}`).flatMap((u) => u.rows),
    close: async () => {},
  };
  const server: Server = createServer({ cert, key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'https://localhost');
      const m = /^\/dataCollectionRules\/([^/]+)\/streams\/([^/]+)$/.exec(url.pathname);
      const stream = decodeURIComponent(m?.[2] ?? '');
      const answer = (status: number, reason?: string, headers: Record<string, string> = {}) => {
        state.log.push({ status, stream, rows: 0, reason });
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(reason ? JSON.stringify({ error: { code: reason, message: reason } }) : undefined);
      };
      const fault = state.faults.shift();
      if (fault && 'reset' in fault) {
        state.log.push({ status: 'reset', stream, rows: 0 });
        req.socket.destroy();
        return;
      }
      const respond = () => {
        if (fault && 'status' in fault) {
          if (fault.status === 429)
            return answer(429, 'TooManyRequests', { 'retry-after': String(fault.retryAfterSeconds) });
          return answer(
            fault.status,
            fault.status === 403
              ? 'Forbidden: the caller does not have Microsoft.Insights/Telemetry/Write on the DCR'
              : 'InternalServerError',
          );
        }
        if (req.method !== 'POST') return answer(405, 'MethodNotAllowed');
        if (!m) return answer(404, 'NotFound');
        if (url.searchParams.get('api-version') !== '2023-01-01') return answer(400, 'InvalidApiVersion');
        const auth = req.headers.authorization ?? '';
        if (!auth.startsWith('Bearer ') || !state.acceptedTokens.has(auth.slice(7))) return answer(401, 'InvalidToken');
        if (decodeURIComponent(m[1]!) !== dcrImmutableId) return answer(404, 'DcrNotFound');
        const columns = streams.get(stream);
        if (!columns) return answer(404, 'InvalidStream');
        if (!/application\/json/.test(req.headers['content-type'] ?? '')) return answer(415, 'UnsupportedMediaType');
        let body = Buffer.concat(chunks);
        if (body.length > MAX_BYTES) return answer(413, 'ContentLengthLimitExceeded');
        const gzip = req.headers['content-encoding'] === 'gzip';
        if (gzip) body = gunzipSync(body);
        if (body.length > MAX_BYTES) return answer(413, 'ContentLengthLimitExceeded');
        let rows: unknown;
        try {
          rows = JSON.parse(body.toString('utf8'));
        } catch {
          return answer(400, 'InvalidJson');
        }
        if (!Array.isArray(rows)) return answer(400, 'InvalidJson: the body must be a JSON array');
        for (const row of rows as Record<string, unknown>[]) {
          for (const [k, v] of Object.entries(row)) {
            const type = columns.get(k);
            if (!type) return answer(400, `InvalidColumn: ${k}`);
            if (!typeOk(type, v)) return answer(400, `InvalidColumnType: ${k} is not ${type}`);
          }
        }
        state.uploads.push({ stream, rows: rows as Record<string, unknown>[], gzip });
        state.log.push({ status: 204, stream, rows: (rows as unknown[]).length });
        res.writeHead(204);
        res.end();
      };
      if (fault && 'delayMs' in fault) setTimeout(respond, fault.delayMs);
      else respond();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () => new Promise((r) => server.close(() => r()));
  return state;
}
