/**
 * Log Analytics through the Logs Ingestion API with the real `@azure/monitor-ingestion` client:
 * one DCR stream per table (`Custom-<Table>`), batches of ≤ 1 MB by bytes and by time, retries
 * with backoff honouring Retry-After, 413 split, permanent failures dead-lettered with the fix.
 * Every row ends delivered, rejected (with a reason) or errored (kept for the next attempt).
 */
import { oneLine } from '../common/displayText.ts';
import { redactText } from '../transforms/redact.ts';
import { sizedBatches } from '../common/sizedBatches.ts';
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { isAggregateLogsUploadError, LogsIngestionClient } from '@azure/monitor-ingestion';
import type { CausewayConfig } from '../config/config.ts';
import { RetryableError } from '../errors.ts';
import { sha256 } from '../common/hash.ts';
import { count, emptyReport, mergeReports, type BatchReport } from '../common/report.ts';
import type { Logger } from '../telemetry/log.ts';
import { actionFor, backoffMs, retryAfterMs } from './retryTable.ts';
import { shape } from './rows.ts';
import type { Sink } from './sink.ts';
import { streamName, type Row, type TableName } from './tables.ts';

export interface LogAnalyticsSinkOptions {
  endpoint: string;
  dcrImmutableId: string;
  credential: TokenCredential;
  maxBatchBytes: number;
  maxAttempts: number;
  logger: Logger;
  /** Injected for tests (a pipeline policy, an https agent with a test CA). */
  clientOptions?: ConstructorParameters<typeof LogsIngestionClient>[2];
  sleep?: (ms: number) => Promise<void>;
  host?: string;
}

interface Pending {
  rows: Row[];
  bytes: number;
}

export class LogAnalyticsSink implements Sink {
  readonly name = 'logAnalytics';
  private readonly client: LogsIngestionClient;
  private readonly pending = new Map<TableName, Pending>();
  lastError: string | undefined;
  readonly totals = emptyReport();

  constructor(private readonly options: LogAnalyticsSinkOptions) {
    // Our own retry loop owns retries (one table for 429/5xx/413), so the pipeline's is off.
    this.client = new LogsIngestionClient(options.endpoint, options.credential, {
      ...options.clientOptions,
      retryOptions: { maxRetries: 0 },
    });
  }

  async write(table: TableName, rows: readonly Row[]): Promise<BatchReport> {
    const p = this.pending.get(table) ?? { rows: [], bytes: 0 };
    for (const r of rows) {
      p.rows.push(r);
      p.bytes += Buffer.byteLength(JSON.stringify(r)) + 1;
    }
    this.pending.set(table, p);
    return p.bytes >= this.options.maxBatchBytes ? this.flushTable(table) : emptyReport();
  }

  /** Sends everything pending, including dead letters the sends themselves produced. */
  async flush(): Promise<BatchReport> {
    const report = emptyReport();
    for (let round = 0; round < 3 && this.pending.size; round++) {
      for (const table of [...this.pending.keys()]) mergeReports(report, await this.flushTable(table));
    }
    return report;
  }

  async close(): Promise<void> {
    await this.flush();
  }

  /** Sends one table's pending rows; errored rows stay pending and the call throws RetryableError. */
  private async flushTable(table: TableName): Promise<BatchReport> {
    const p = this.pending.get(table);
    const report = emptyReport();
    if (!p?.rows.length) return report;
    this.pending.delete(table);
    const errored: Row[] = [];
    const deadLetters: Row[] = [];
    for (const chunk of chunkByBytes(p.rows, this.options.maxBatchBytes))
      await this.send(table, chunk, report, errored, deadLetters);
    if (deadLetters.length) mergeReports(report, await this.write('CausewayPipeline_CL', deadLetters));
    mergeReports(this.totals, report);
    if (errored.length) {
      const back = this.pending.get(table) ?? { rows: [], bytes: 0 };
      back.rows.unshift(...errored);
      back.bytes += errored.reduce((n, r) => n + Buffer.byteLength(JSON.stringify(r)), 0);
      this.pending.set(table, back);
      throw new RetryableError(
        `${errored.length} ${table} rows could not be delivered after ${this.options.maxAttempts} attempts: ${this.lastError}`,
        'sink-unavailable',
      );
    }
    return report;
  }

  private async send(
    table: TableName,
    rows: Row[],
    report: BatchReport,
    errored: Row[],
    deadLetters: Row[],
  ): Promise<void> {
    const sleep = this.options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
    for (let attempt = 0; ; attempt++) {
      const failure = await this.upload(table, rows);
      if (!failure) {
        count(report, 'delivered', 'ok', rows.length);
        return;
      }
      const action = actionFor(failure.status);
      this.lastError = `${table}: HTTP ${failure.status ?? 'no response'} ${failure.message}`;
      if (action.kind === 'split') {
        if (rows.length === 1) {
          this.reject(
            table,
            rows,
            'sink-too-large',
            'a single row is larger than the 1 MB Logs Ingestion limit; it is never retried',
            report,
            deadLetters,
          );
          return;
        }
        const half = Math.ceil(rows.length / 2);
        this.options.logger.event('warn', 'sink.split', { table, rows: rows.length, status: 413 });
        await this.send(table, rows.slice(0, half), report, errored, deadLetters);
        await this.send(table, rows.slice(half), report, errored, deadLetters);
        return;
      }
      if (action.kind === 'reject') {
        this.reject(
          table,
          rows,
          action.reason,
          `HTTP ${failure.status}: ${failure.message}. Fix: ${action.fix}`,
          report,
          deadLetters,
        );
        return;
      }
      if (attempt + 1 >= this.options.maxAttempts) {
        count(report, 'errored', action.reason, rows.length);
        errored.push(...rows);
        this.options.logger.event('error', 'sink.errored', {
          table,
          rows: rows.length,
          status: failure.status,
          cause: failure.message,
          attempts: attempt + 1,
        });
        return;
      }
      const wait = backoffMs(attempt, failure.retryAfterMs);
      this.options.logger.event('warn', 'sink.retry', {
        table,
        rows: rows.length,
        status: failure.status,
        retryAfterMs: failure.retryAfterMs,
        waitMs: wait,
        attempt: attempt + 1,
      });
      await sleep(wait);
    }
  }

  private reject(
    table: TableName,
    rows: Row[],
    reason: Parameters<typeof count>[2],
    detail: string,
    report: BatchReport,
    deadLetters: Row[],
  ): void {
    count(report, 'rejected', reason, rows.length);
    // The service's message may quote a row's values: redacted, one line, bounded, like every reason.
    const said = oneLine(redactText(detail).text, 400);
    this.options.logger.event('error', 'sink.rejected', { table, rows: rows.length, reason, detail: said });
    // When the pipeline table itself is refused as a whole (no role, no stream), a dead letter
    // there would be refused too: the log line above is the record.
    if (table === 'CausewayPipeline_CL' && (reason === 'sink-forbidden' || reason === 'sink-not-found')) return;
    const payload = JSON.stringify(rows);
    const hash = sha256(payload);
    deadLetters.push(
      shape('CausewayPipeline_CL', {
        TimeGenerated: new Date().toISOString(),
        RecordType: 'deadletter',
        Host: this.options.host ?? 'logAnalytics',
        Stage: 'sink',
        ReasonCode: reason,
        Reason: said,
        SourceFormat: streamName(table),
        Input: table,
        SizeBytes: Buffer.byteLength(payload),
        PayloadSha256: hash,
        RecordCount: rows.length,
        SampleSha256: [hash],
        Counters: { rows: rows.length },
      }),
    );
  }

  /** One upload call; returns the failure, with the cause the aggregate error hides. */
  private async upload(
    table: TableName,
    rows: Row[],
  ): Promise<{ status?: number; message: string; retryAfterMs?: number } | undefined> {
    try {
      await this.client.upload(this.options.dcrImmutableId, streamName(table), rows, { maxConcurrency: 1 });
      return undefined;
    } catch (e) {
      // AggregateLogsUploadError's own message is literally "undefined\n}": use errors[].cause.
      const cause: unknown = isAggregateLogsUploadError(e) ? e.errors[0]?.cause : e;
      const rest = cause as {
        statusCode?: number;
        message?: string;
        response?: { headers?: { get(n: string): string | undefined } };
      };
      return {
        status: rest.statusCode,
        message: rest.message ?? String(cause),
        retryAfterMs: retryAfterMs(rest.response?.headers),
      };
    }
  }
}

/** Greedy split by serialised size, like the SDK (≤ maxBytes per call, a JSON array; an oversize row alone). */
export function chunkByBytes(rows: Row[], maxBytes: number): Row[][] {
  return sizedBatches(rows, (r) => Buffer.byteLength(JSON.stringify(r)) + 1, maxBytes, 2);
}

export function createLogAnalyticsSink(
  config: CausewayConfig,
  logger: Logger,
  credential?: TokenCredential,
): LogAnalyticsSink {
  const la = config.sink.logAnalytics;
  return new LogAnalyticsSink({
    endpoint: la.endpoint!,
    dcrImmutableId: la.dcrImmutableId!,
    credential:
      credential ??
      new DefaultAzureCredential(
        la.managedIdentityClientId ? { managedIdentityClientId: la.managedIdentityClientId } : {},
      ),
    maxBatchBytes: la.maxBatchBytes,
    maxAttempts: la.maxAttempts,
    logger,
  });
}
