/**
 * The local host (DESIGN §2, host 3): the pipeline as one process behind HTTP ingest endpoints
 * on loopback. Batches run one at a time (stage state is per partition, not thread-safe by
 * design); a timer advances time, flushes the sink and snapshots state; SIGINT/SIGTERM drain.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdirSync, readFileSync, writeFileSync, existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { Story } from '../model/story.ts';
import type { IngestInput } from '../pipeline/ingest.ts';
import type { Pipeline } from '../pipeline/pipeline.ts';
import { emptyReport, mergeReports, type BatchReport } from '../pipeline/report.ts';
import { flushPipeline, runBatch, tickPipeline, type BatchResult } from '../pipeline/runBatch.ts';
import type { SourceName } from '../sources/registry.ts';
import { ensureError } from '../errors.ts';
import { evidenceRow, storyRow } from '../sinks/rows.ts';
import type { Row } from '../sinks/tables.ts';
import { liveScript, renderIndex, renderStoryPage, SERVED_CSP, stylesheet } from '../viewer/render.ts';
import { negotiateOtlp, otlpExportAnswer, otlpStatus, type OtlpAnswer } from './http/otlpResponse.ts';

/** Endpoints and the products each accepts. Paths follow each product's own exporter defaults. */
export const ENDPOINTS: Record<string, { accept?: SourceName[]; describe: string }> = {
  '/v1/runtimealerts': {
    accept: ['kubescape'],
    describe: 'Kubescape node-agent HTTP exporter (httpExporterConfig.url)',
  },
  '/falco': { accept: ['falco'], describe: 'Falcosidekick webhook output / Falco http_output' },
  '/v1/traces': {
    accept: ['otel'],
    describe: 'OTLP/HTTP traces, protobuf or JSON, gzip or not (OTel Collector otlp_http exporter, OTel SDKs)',
  },
  '/tetragon': { accept: ['tetragon'], describe: 'Tetragon JSON export lines' },
  '/defender': { accept: ['defender'], describe: 'Defender alerts in any supported envelope' },
  '/ingest': { describe: 'any supported format, detected per record' },
};

export interface LocalHostOptions {
  pipeline: Pipeline;
  host: string;
  port: number;
  maxBodyBytes: number;
  stateDir?: string;
  tickMs?: number;
  onStories?: (stories: Story[]) => void;
}

export interface Counters {
  startedAt: string;
  requests: number;
  records: BatchReport;
  stages: BatchReport;
  rows: BatchReport;
  stories: number;
  lastError?: string;
}

export class LocalHost {
  private server: Server | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private closing = false;
  readonly counters: Counters = {
    startedAt: new Date().toISOString(),
    requests: 0,
    records: emptyReport(),
    stages: emptyReport(),
    rows: emptyReport(),
    stories: 0,
  };
  /** Latest version of every story, for the viewer and /api/stories. */
  readonly stories = new Map<string, Story>();
  /** Every evidence row written for each story (versions carry only their new evidence). */
  private readonly evidence = new Map<string, Map<string, Row>>();

  constructor(private readonly options: LocalHostOptions) {
    this.restoreState();
  }

  /** Runs one batch through the pipeline, strictly after the previous one. */
  submit(inputs: IngestInput[]): Promise<BatchResult> {
    const run = this.queue.then(() => runBatch(this.options.pipeline, inputs));
    this.queue = run.catch(() => undefined);
    return run.then((r) => this.account(r));
  }

  private account(r: BatchResult): BatchResult {
    mergeReports(this.counters.records, r.records);
    mergeReports(this.counters.stages, r.stages);
    mergeReports(this.counters.rows, r.rows);
    for (const s of r.stories) {
      if ((this.stories.get(s.storyId)?.version ?? -1) < s.version) this.stories.set(s.storyId, s);
      let rows = this.evidence.get(s.storyId);
      if (!rows) this.evidence.set(s.storyId, (rows = new Map()));
      for (const ev of s.evidence) rows.set(ev.evidenceId, evidenceRow(s.storyId, ev));
    }
    this.counters.stories = [...this.stories.values()].filter((s) => s.status !== 'merged').length;
    if (r.stories.length) this.options.onStories?.(r.stories);
    return r;
  }

  async listen(): Promise<number> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.options.port, this.options.host, () => resolve());
    });
    this.timer = setInterval(() => void this.periodic(), this.options.tickMs ?? 5000);
    this.timer.unref();
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : this.options.port;
  }

  private async periodic(): Promise<void> {
    const p = this.options.pipeline;
    try {
      await (this.queue = this.queue.then(async () => {
        this.account(await tickPipeline(p, p.clock()));
        mergeReports(this.counters.rows, await p.sink.flush());
        this.saveState();
      }));
    } catch (e) {
      this.counters.lastError = ensureError(e).message;
      p.logger.event('error', 'host.tick-failed', { error: this.counters.lastError });
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    try {
      if (req.method === 'GET') {
        if (url.pathname === '/healthz') return json(res, 200, this.health());
        const view = await this.view(url.pathname);
        if (view) return send(res, view.status, view.type, view.body);
      }
      const endpoint = ENDPOINTS[url.pathname];
      if (!endpoint) return json(res, 404, { error: `no endpoint ${url.pathname}`, endpoints: Object.keys(ENDPOINTS) });
      // OTLP/HTTP is answered in the request's own encoding, errors included (otlpResponse.ts).
      const otlp = url.pathname === '/v1/traces' ? negotiateOtlp(req.headers) : undefined;
      const fail = (status: number, error: string) =>
        otlp ? answer(res, otlpStatus(otlp.encoding, status, error)) : json(res, status, { error });
      if (req.method !== 'POST') return fail(405, `${url.pathname} accepts POST`);
      if (this.closing) return fail(503, 'shutting down');
      if (otlp?.refusal) return answer(res, otlp.refusal);
      const body = await readBody(req, this.options.maxBodyBytes);
      if (body === 'too-large')
        return fail(
          413,
          `body larger than ${this.options.maxBodyBytes} bytes (serve.maxBodyBytes); send smaller batches or raise the limit`,
        );
      this.counters.requests++;
      const result = await this.submit([{ body, input: `POST ${url.pathname}`, accept: endpoint.accept }]);
      if (otlp) return answer(res, otlpExportAnswer(otlp.encoding, result.records, result.deadLetters));
      const { records } = result;
      const accepted = records.counts.delivered;
      const reasons = Object.fromEntries(Object.entries(records.reasons.rejected));
      if (accepted === 0 && records.counts.rejected > 0) {
        return json(res, 400, {
          error: 'nothing in the body could be decoded',
          rejected: records.counts.rejected,
          reasons,
          deadLettered: true,
        });
      }
      return json(res, 200, {
        accepted,
        rejected: records.counts.rejected,
        dropped: records.counts.dropped,
        reasons: { rejected: reasons, dropped: records.reasons.dropped },
      });
    } catch (e) {
      this.counters.lastError = ensureError(e).message;
      this.options.pipeline.logger.event('error', 'host.request-failed', {
        path: url.pathname,
        error: this.counters.lastError,
      });
      return url.pathname === '/v1/traces'
        ? answer(res, otlpStatus(negotiateOtlp(req.headers).encoding, 500, this.counters.lastError))
        : json(res, 500, { error: this.counters.lastError });
    }
  }

  /** The story viewer: list, story pages, the list as JSON for live updates, static assets. */
  private async view(path: string): Promise<{ status: number; type: string; body: string } | undefined> {
    const live = () =>
      [...this.stories.values()]
        .filter((s) => s.status !== 'merged')
        .sort((a, b) => b.riskScore - a.riskScore || b.lastSeen - a.lastSeen);
    if (path === '/')
      return {
        status: 200,
        type: 'text/html; charset=utf-8',
        body: renderIndex(live().map(storyRow), { live: true, href: (id) => `/story/${encodeURIComponent(id)}` }),
      };
    if (path === '/api/stories')
      return {
        status: 200,
        type: 'application/json',
        body: JSON.stringify(
          live().map((s) => ({
            storyId: s.storyId,
            severity: s.severity,
            riskScore: s.riskScore,
            title: s.title,
            workloads: s.workloads,
            layers: s.layers,
            firstSeen: new Date(s.firstSeen).toISOString(),
            lastSeen: new Date(s.lastSeen).toISOString(),
            version: s.version,
          })),
        ),
      };
    if (path === '/static/causeway.css') return { status: 200, type: 'text/css; charset=utf-8', body: stylesheet() };
    if (path === '/static/live.js') return { status: 200, type: 'text/javascript; charset=utf-8', body: liveScript() };
    const m = /^\/story\/([^/]+)$/.exec(path);
    if (m) {
      let id: string;
      try {
        id = decodeURIComponent(m[1]!);
      } catch {
        return { status: 400, type: 'text/plain; charset=utf-8', body: 'Malformed story id' };
      }
      const story = this.stories.get(id);
      if (!story) return { status: 404, type: 'text/plain; charset=utf-8', body: 'No such story' };
      return {
        status: 200,
        type: 'text/html; charset=utf-8',
        body: await renderStoryPage(storyRow(story), [...(this.evidence.get(story.storyId)?.values() ?? [])]),
      };
    }
    return undefined;
  }

  health(): Record<string, unknown> {
    const p = this.options.pipeline;
    return {
      status: this.closing ? 'draining' : 'ok',
      ...this.counters,
      sink: p.sink.name,
      workloadPartitions: p.workloadStages.map((s) => s.stats),
      storyPartitions: p.storyStages.map((s) => s.stats),
    };
  }

  /** Stops accepting, drains the queue, flushes everything, snapshots state. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.timer) clearInterval(this.timer);
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    await this.queue;
    const p = this.options.pipeline;
    this.account(await flushPipeline(p));
    this.saveState();
    await p.sink.close();
  }

  private statePath(kind: string, i: number): string | undefined {
    return this.options.stateDir ? join(this.options.stateDir, `${kind}-${i}.json`) : undefined;
  }

  private saveState(): void {
    if (!this.options.stateDir) return;
    mkdirSync(this.options.stateDir, { recursive: true });
    const p = this.options.pipeline;
    const write = (path: string, value: unknown) => {
      writeFileSync(path + '.tmp', JSON.stringify(value));
      renameSync(path + '.tmp', path);
    };
    p.workloadStages.forEach((s, i) => write(this.statePath('workload', i)!, s.snapshot()));
    p.storyStages.forEach((s, i) => write(this.statePath('story', i)!, s.snapshot()));
  }

  private restoreState(): void {
    if (!this.options.stateDir) return;
    const p = this.options.pipeline;
    const read = (path: string | undefined) =>
      path && existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : undefined;
    try {
      p.workloadStages.forEach((s, i) => {
        const snap = read(this.statePath('workload', i));
        if (snap) s.restore(snap);
      });
      p.storyStages.forEach((s, i) => {
        const snap = read(this.statePath('story', i));
        if (snap) s.restore(snap);
      });
    } catch (e) {
      p.logger.event('warn', 'host.state-not-restored', {
        error: ensureError(e).message,
        fix: `delete ${this.options.stateDir} to start from empty state`,
      });
    }
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, 'application/json', JSON.stringify(body));
}

function answer(res: ServerResponse, a: OtlpAnswer): void {
  send(res, a.status, a.contentType, a.body);
}

/** Every response carries the strict CSP and no-sniff, whatever it is. */
function send(res: ServerResponse, status: number, type: string, text: string | Buffer): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'content-security-policy': SERVED_CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  res.end(text);
}

/** Reads a body up to `max` bytes; answers early on Content-Length and stops reading past the limit. */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | 'too-large'> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) {
    req.resume();
    return Promise.resolve('too-large');
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) over = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(over ? 'too-large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
