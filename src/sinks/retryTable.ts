/**
 * What an HTTP status from the Logs Ingestion API means (reference/azure-platform.md §1):
 * 429/408/5xx (except 501) retry honouring Retry-After; 413 split; 400/403/404 are permanent,
 * each with the fix an operator needs.
 */
import type { ReasonCode } from '../common/status.ts';

export type Action =
  { kind: 'retry'; reason: ReasonCode } | { kind: 'split' } | { kind: 'reject'; reason: ReasonCode; fix: string };

export function actionFor(status: number | undefined): Action {
  if (status === undefined) return { kind: 'retry', reason: 'sink-unreachable' };
  if (status === 413) return { kind: 'split' };
  if (status === 429) return { kind: 'retry', reason: 'sink-throttled' };
  if (status === 408 || (status >= 500 && status !== 501)) return { kind: 'retry', reason: 'sink-unavailable' };
  if (status === 403 || status === 401)
    return {
      kind: 'reject',
      reason: 'sink-forbidden',
      fix: "grant the pipeline's managed identity the Monitoring Metrics Publisher role (3913510d-42f4-4e42-8a64-420c390055eb) on the DCR; new role assignments take up to 30 minutes",
    };
  if (status === 404)
    return {
      kind: 'reject',
      reason: 'sink-not-found',
      fix: 'check the DCR immutable id (dcr-…), the stream name Custom-<Table> and the logs ingestion endpoint; redeploy infra/ if the stream is missing',
    };
  return {
    kind: 'reject',
    reason: 'sink-bad-request',
    fix: 'the rows do not match the DCR stream declaration: redeploy infra/ so the DCR streams match schemas/tables',
  };
}

/** Retry-After in seconds or an HTTP date, and the ms variants Azure sends. */
export function retryAfterMs(
  headers: { get(name: string): string | undefined | null } | undefined,
  now = Date.now(),
): number | undefined {
  if (!headers) return undefined;
  for (const h of ['retry-after-ms', 'x-ms-retry-after-ms']) {
    const v = Number(headers.get(h));
    if (Number.isFinite(v) && v > 0) return v;
  }
  const ra = headers.get('retry-after');
  if (!ra) return undefined;
  if (/^\d+(\.\d+)?$/.test(ra)) return Number(ra) * 1000;
  const date = Date.parse(ra);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Exponential backoff with full jitter, capped; the server's Retry-After wins when longer. */
export function backoffMs(attempt: number, serverMs: number | undefined, random = Math.random): number {
  const exp = Math.min(30_000, 500 * 2 ** attempt);
  return Math.max(serverMs ?? 0, Math.round(exp / 2 + random() * (exp / 2)));
}
