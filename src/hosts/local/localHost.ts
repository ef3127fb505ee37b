/**
 * The local host (DESIGN §2, host 3): the in-process pipeline behind HTTP ingest endpoints on
 * loopback. Batches run one at a time (stage state is per partition, not thread-safe by design);
 * a timer advances time, makes rows durable and snapshots state, each step on its own so one
 * failing does not skip the others; SIGINT/SIGTERM drain.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { emptyReport, mergeReports, type BatchReport } from '../../common/report.ts';
import { ensureError } from '../../errors.ts';
import { LatestStories } from '../../model/latestStories.ts';
import type { Story } from '../../model/story.ts';
import { healthReport, type HealthReport } from '../../pipeline/health.ts';
import type { BatchResult, InProcessPipeline, InputBody } from '../../pipeline/inProcess.ts';
import { evidenceRow } from '../../sinks/rows.ts';
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
  readonly stories = new LatestStories();
  /** Every evidence row written for each story (versions carry only their new evidence). */
  private readonly evidence = new Map<string, Map<string, Row>>();

  constructor(private readonly options: LocalHostOptions) {}

  /** Runs bodies through the pipeline, strictly after the previous batch. */
  submit(inputs: InputBody[]): Promise<BatchResult> {
    return this.serial(() => this.options.pipeline.submit(inputs));
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

  health(): HealthReport {
    return healthReport(this.options.pipeline.runner, { draining: this.closing, transport: { ...this.counters } });
  }

  /** Stops accepting, drains the queue, flushes everything, snapshots state. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.timer) clearInterval(this.timer);
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    const p = this.options.pipeline;
    await this.serial(() => p.flush());
    await this.step('snapshot', () => p.snapshot());
    await p.runner.deps.sink.close();
  }

  private serial(work: () => Promise<BatchResult>): Promise<BatchResult> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => undefined);
    return run.then((r) => this.account(r));
  }

  private account(r: BatchResult): BatchResult {
    mergeReports(this.counters.records, r.records);
    mergeReports(this.counters.stages, r.stages);
    mergeReports(this.counters.rows, r.rows);
    this.stories.keep(r.stories);
    for (const s of r.stories) {
      let rows = this.evidence.get(s.storyId);
      if (!rows) this.evidence.set(s.storyId, (rows = new Map()));
      for (const ev of s.evidence) rows.set(ev.evidenceId, evidenceRow(s.storyId, ev));
      for (const id of s.retractedEvidenceIds ?? []) rows.delete(id);
    }
    this.counters.stories = this.stories.live().length;
    if (r.stories.length) this.options.onStories?.(r.stories);
    return r;
  }

  /** The timer: tick, then durable rows and a snapshot; each step runs whatever the others did. */
  private async periodic(): Promise<void> {
    const p = this.options.pipeline;
    await this.step('tick', () => this.serial(() => p.tick()));
    await this.step('snapshot', () => (this.queue = this.queue.then(() => p.snapshot())));
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
          live: () => this.stories.live(),
          get: (id) => this.stories.get(id),
          evidence: (id) => [...(this.evidence.get(id)?.values() ?? [])],
        });
        if (page) return send(res, page.status, page.type, page.body);
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
      const error = ensureError(e).message;
      this.options.pipeline.runner.lastError = error;
      this.options.pipeline.runner.deps.logger.event('error', 'host.request-failed', { path: url.pathname, error });
      return url.pathname === '/v1/traces'
        ? answer(res, otlpStatus(negotiateOtlp(req.headers).encoding, 500, error))
        : json(res, 500, { error });
    }
  }
}

function answer(res: ServerResponse, a: OtlpAnswer): void {
  send(res, a.status, a.contentType, a.body);
}
