/**
 * The local host (DESIGN §2, host 3): the in-process pipeline behind HTTP ingest endpoints on
 * loopback. Batches run one at a time (stage state is per partition, not thread-safe by design);
 * a timer advances time, makes rows durable and snapshots state, each step on its own so one
 * failing does not skip the others; SIGINT/SIGTERM drain.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { RecordRate } from '../../common/recordRate.ts';
import { emptyReport, mergeReports, total, type BatchReport } from '../../common/report.ts';
import { oneLine } from '../../common/displayText.ts';
import { ensureError } from '../../errors.ts';
import { redactText } from '../../transforms/redact.ts';
import { LatestStories } from '../../model/latestStories.ts';
import type { Story } from '../../model/story.ts';
import { healthReport, type HealthReport } from '../../pipeline/health.ts';
import type { BatchResult, InProcessPipeline, InputBody } from '../../pipeline/inProcess.ts';
import { evidenceRow, storyRow } from '../../sinks/rows.ts';
import { evidenceByStory, latestStoryRows, liveStoryRows, readTable } from '../../sinks/tableFiles.ts';
import type { Row } from '../../sinks/tables.ts';
import { CLOUD_AUDIT_SOURCES, type SourceName } from '../../sources/registry.ts';
import { negotiateOtlp, otlpExportAnswer, otlpStatus, type OtlpAnswer } from './otlpResponse.ts';
import { json, readBody, send } from './http.ts';
import { viewerPage } from './viewerRoutes.ts';

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
  '/cloud': {
    accept: [...CLOUD_AUDIT_SOURCES],
    describe: 'Azure resource logs: AKS kube-audit, Entra workload sign-ins, Key Vault AuditEvent ({"records":[…]})',
  },
  '/ingest': { describe: 'any supported format, detected per record' },
};

export interface LocalHostOptions {
  pipeline: InProcessPipeline;
  host: string;
  port: number;
  maxBodyBytes: number;
  /**
   * Work and memory bounds (limits.*): records per second per endpoint (429 past it) and the
   * resident memory above which new bodies are answered 503. Unlimited when absent.
   */
  limits?: { maxRecordsPerSecond?: number; maxMemoryMB?: number };
  /**
   * The local tables' directory: the viewer starts with the latest version of every story they
   * hold (a restart shows what was found before it), then follows what this process writes.
   */
  tablesDir?: string;
  /** Resident set size now, in bytes (injected by tests). */
  rss?: () => number;
  /** How often the timer ticks, makes rows durable and snapshots (default 5 s). */
  tickMs?: number;
  onStories?: (stories: Story[]) => void;
}

/** The local host's own counters (its transport), next to the runner's totals in /healthz. */
export interface Counters {
  startedAt: string;
  requests: number;
  records: BatchReport;
  stages: BatchReport;
  rows: BatchReport;
  stories: number;
  /** Bodies answered 429: their endpoint was over limits.maxRecordsPerSecond. */
  throttled: number;
  /** Bodies answered 503 unread: memory above limits.maxMemoryMB, or too many bytes in flight. */
  refused: number;
}

/** Bodies read or waiting may hold at most this many times serve.maxBodyBytes at once. */
const BODIES_IN_FLIGHT = 4;

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
    throttled: 0,
    refused: 0,
  };
  /** Bytes of bodies being read or waiting for the pipeline. */
  private inFlight = 0;
  private readonly rate: RecordRate | undefined;
  /** Latest version of every story this process wrote (the start-up summary). */
  readonly stories = new LatestStories();
  /** Latest row of every story, from the tables at start and from what this process writes: the viewer's. */
  private readonly storyRows = new Map<string, Row>();
  /** Every evidence row written for each story (versions carry only their new evidence). */
  private readonly evidence = new Map<string, Map<string, Row>>();

  constructor(private readonly options: LocalHostOptions) {
    const perSecond = options.limits?.maxRecordsPerSecond;
    this.rate = perSecond ? new RecordRate(perSecond) : undefined;
  }

  /**
   * Runs bodies through the pipeline, strictly after the previous batch. Handed over at once: with
   * ingest workers the pipeline decodes them while earlier batches correlate, and keeps the order.
   */
  submit(inputs: InputBody[]): Promise<BatchResult> {
    const run = this.options.pipeline.submit(inputs);
    return this.serial(() => run);
  }

  /** The latest version of each story wins (`arg_max(Version, *) by StoryId`). */
  private keepStoryRow(row: Row): void {
    const id = String(row.StoryId);
    const before = this.storyRows.get(id);
    if (((before?.Version as number | undefined) ?? -1) >= (row.Version as number)) return;
    this.storyRows.set(id, row);
    this.counters.stories += (row.Status !== 'merged' ? 1 : 0) - (before && before.Status !== 'merged' ? 1 : 0);
  }

  private keepEvidenceRow(row: Row): void {
    const id = String(row.StoryId);
    let rows = this.evidence.get(id);
    if (!rows) this.evidence.set(id, (rows = new Map()));
    rows.set(String(row.EvidenceId), row);
  }

  /** What the tables already hold: the viewer shows it from the first request after a restart. */
  private loadTables(dir: string): void {
    const stories = readTable(dir, 'CausewayStories_CL').rows;
    for (const row of latestStoryRows(stories).values()) this.keepStoryRow(row);
    const evidence = evidenceByStory(stories, readTable(dir, 'CausewayEvidence_CL').rows);
    for (const rows of evidence.values()) for (const row of rows) this.keepEvidenceRow(row);
  }

  async listen(): Promise<number> {
    if (this.options.tablesDir) this.loadTables(this.options.tablesDir);
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

  health(): HealthReport {
    const memory = {
      rssBytes: this.rss(),
      heapUsedBytes: process.memoryUsage().heapUsed,
      limitBytes: this.memoryLimit(),
      bodiesInFlightBytes: this.inFlight,
    };
    return healthReport(this.options.pipeline.runner, {
      draining: this.closing,
      transport: { ...this.counters, memory },
    });
  }

  /** Stops accepting, drains the queue, flushes everything, snapshots state. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.timer) clearInterval(this.timer);
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    const p = this.options.pipeline;
    // Each step runs whatever the one before it did: a failed flush still saves the state.
    await this.step('flush', () => this.serial(() => p.flush()));
    await this.step('snapshot', () => this.after(() => p.snapshot()));
    await this.step('sink-close', () => p.runner.deps.sink.close());
    await this.step('workers', () => p.close());
  }

  private serial(work: () => Promise<BatchResult>): Promise<BatchResult> {
    return this.after(work).then((r) => this.account(r));
  }

  /** Runs `work` after everything queued; a failure is the caller's, never the next batch's. */
  private after<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private account(r: BatchResult): BatchResult {
    mergeReports(this.counters.records, r.records);
    mergeReports(this.counters.stages, r.stages);
    mergeReports(this.counters.rows, r.rows);
    this.stories.keep(r.stories);
    for (const s of r.stories) {
      this.keepStoryRow(storyRow(s));
      for (const ev of s.evidence) this.keepEvidenceRow(evidenceRow(s.storyId, ev));
      for (const id of s.retractedEvidenceIds ?? []) this.evidence.get(s.storyId)?.delete(id);
    }
    if (r.stories.length) this.options.onStories?.(r.stories);
    return r;
  }

  /** The timer: tick, then durable rows and a snapshot; each step runs whatever the others did. */
  private async periodic(): Promise<void> {
    const p = this.options.pipeline;
    await this.step('tick', () => this.serial(() => p.tick()));
    await this.step('snapshot', () => this.after(() => p.snapshot()));
  }

  private async step(name: string, work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
    } catch (e) {
      this.options.pipeline.runner.lastError = `${name}: ${ensureError(e).message}`;
      this.options.pipeline.runner.deps.logger.event('error', `host.${name}-failed`, { error: ensureError(e).message });
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    try {
      if (req.method === 'GET' || req.method === 'HEAD') {
        if (url.pathname === '/healthz') return json(res, 200, this.health());
        const page = await viewerPage(url.pathname, {
          live: () => liveStoryRows([...this.storyRows.values()]),
          get: (id) => this.storyRows.get(id),
          evidence: (id) => [...(this.evidence.get(id)?.values() ?? [])],
        });
        if (page) return send(res, page.status, page.type, page.body);
      }
      const endpoint = ENDPOINTS[url.pathname];
      if (!endpoint) return json(res, 404, { error: `no endpoint ${url.pathname}`, endpoints: Object.keys(ENDPOINTS) });
      // OTLP/HTTP is answered in the request's own encoding, errors included (otlpResponse.ts).
      const otlp = url.pathname === '/v1/traces' ? negotiateOtlp(req.headers) : undefined;
      const fail = (status: number, error: string, retryAfterMs?: number) => {
        // Retry-After in whole seconds: OTLP exporters and HTTP clients wait that long, then resend.
        const headers: Record<string, string> =
          retryAfterMs === undefined ? {} : { 'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) };
        if (!otlp) return json(res, status, { error }, headers);
        const a = otlpStatus(otlp.encoding, status, error);
        send(res, a.status, a.contentType, a.body, headers);
      };
      if (req.method !== 'POST') return fail(405, `${url.pathname} accepts POST`);
      if (this.closing) return fail(503, 'shutting down');
      if (otlp?.refusal) return answer(res, otlp.refusal);
      const refusal = this.admit(url.pathname);
      if (refusal) {
        req.resume();
        return fail(refusal.status, refusal.error, refusal.retryAfterMs);
      }
      let granted = 0;
      try {
        const body = await readBody(req, this.options.maxBodyBytes, (n) => {
          if (this.inFlight + n > this.options.maxBodyBytes * BODIES_IN_FLIGHT) return false;
          this.inFlight += n;
          granted += n;
          return true;
        });
        if (body === 'too-large')
          return fail(
            413,
            `body larger than ${this.options.maxBodyBytes} bytes (serve.maxBodyBytes); send smaller batches or raise the limit`,
          );
        if (body === 'busy') {
          this.counters.refused++;
          return fail(503, 'too many bodies are waiting to be read; retry shortly', 1000);
        }
        return await this.ingest(res, url.pathname, body, endpoint.accept, otlp?.encoding);
      } finally {
        this.inFlight -= granted;
      }
    } catch (e) {
      // An error's message may quote what it failed on: redacted and on one line wherever it goes.
      const error = oneLine(redactText(ensureError(e).message).text, 400);
      this.options.pipeline.runner.lastError = error;
      this.options.pipeline.runner.deps.logger.event('error', 'host.request-failed', { path: url.pathname, error });
      return url.pathname === '/v1/traces'
        ? answer(res, otlpStatus(negotiateOtlp(req.headers).encoding, 500, error))
        : json(res, 500, { error });
    }
  }

  /**
   * Whether a body may be read now: its endpoint within limits.maxRecordsPerSecond (else 429) and
   * the process within limits.maxMemoryMB (else 503). A refused body is not read; the sender retries.
   */
  private admit(path: string): { status: number; error: string; retryAfterMs: number } | undefined {
    const wait = this.rate?.waitMs(path) ?? 0;
    if (wait > 0) {
      this.counters.throttled++;
      return {
        status: 429,
        error: `${path} sent more than ${this.options.limits?.maxRecordsPerSecond} records per second (limits.maxRecordsPerSecond); retry after the Retry-After delay or raise the limit`,
        retryAfterMs: wait,
      };
    }
    const limit = this.memoryLimit();
    if (limit !== undefined && this.rss() > limit) {
      this.counters.refused++;
      return {
        status: 503,
        error: `the process is above its memory limit of ${this.options.limits?.maxMemoryMB} MB (limits.maxMemoryMB); retry shortly`,
        retryAfterMs: 1000,
      };
    }
    return undefined;
  }

  private rss(): number {
    return (this.options.rss ?? process.memoryUsage.rss)();
  }

  private memoryLimit(): number | undefined {
    const mb = this.options.limits?.maxMemoryMB;
    return mb ? mb * 1024 * 1024 : undefined;
  }

  /** One body through the pipeline, answered with what became of its records; its records charged to its endpoint. */
  private async ingest(
    res: ServerResponse,
    path: string,
    body: Buffer,
    accept: SourceName[] | undefined,
    encoding: 'json' | 'protobuf' | undefined,
  ): Promise<void> {
    this.counters.requests++;
    const result = await this.submit([{ body, input: `POST ${path}`, accept }]);
    // Records past limits.maxRecordsPerBody were counted, not read: they cost nothing to charge.
    this.rate?.charge(path, total(result.records) - (result.records.reasons.rejected['too-many-records'] ?? 0));
    if (encoding) return answer(res, otlpExportAnswer(encoding, result.records, result.deadLetters));
    const { records } = result;
    const accepted = records.counts.delivered;
    const reasons = Object.fromEntries(Object.entries(records.reasons.rejected));
    if (accepted === 0 && records.counts.rejected > 0) {
      return json(res, 400, {
        error: 'nothing in the body could be decoded',
        rejected: records.counts.rejected,
        dropped: records.counts.dropped,
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
  }
}

function answer(res: ServerResponse, a: OtlpAnswer): void {
  send(res, a.status, a.contentType, a.body);
}
