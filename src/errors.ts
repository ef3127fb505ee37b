/**
 * Typed errors. A permanent error is never retried (OpenTelemetry Collector's
 * consumererror.NewPermanent); everything else is retryable with bounded backoff (kafkajs'
 * `retriable` flag). Guards check `name` as a fallback so they work across module copies.
 */
import type { ReasonCode } from './common/status.ts';

export class CausewayError extends Error {
  override name = 'CausewayError';
  readonly retriable: boolean;
  readonly code: ReasonCode | 'config' | 'internal';
  constructor(message: string, options: { code: CausewayError['code']; retriable: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    this.retriable = options.retriable;
  }
}

/** Will fail the same way every time with the same input: dead-letter it, do not retry. */
export class PermanentError extends CausewayError {
  override name = 'PermanentError';
  constructor(message: string, code: CausewayError['code'], cause?: unknown) {
    super(message, { code, retriable: false, cause });
  }
}

/** A transient failure (throttling, 5xx, network): retry with backoff. */
export class RetryableError extends CausewayError {
  override name = 'RetryableError';
  /** Server-requested delay before the next attempt, when it gave one (Retry-After). */
  readonly retryAfterMs: number | undefined;
  constructor(message: string, code: CausewayError['code'], options: { retryAfterMs?: number; cause?: unknown } = {}) {
    super(message, { code, retriable: true, cause: options.cause });
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** A configuration problem, found at start-up: names the setting, what is wrong, and the fix. */
export class ConfigError extends CausewayError {
  override name = 'ConfigError';
  readonly problems: ConfigProblem[];
  constructor(problems: ConfigProblem[]) {
    super(
      'Invalid configuration:\n' + problems.map((p) => `  - ${p.setting}: ${p.problem}. Fix: ${p.fix}`).join('\n'),
      { code: 'config', retriable: false },
    );
    this.problems = problems;
  }
}

export interface ConfigProblem {
  /** The setting as the user wrote it: an env var, a CLI flag, or `file.json: path.to.key`. */
  setting: string;
  problem: string;
  fix: string;
}

export function isPermanentError(e: unknown): e is PermanentError {
  return e instanceof PermanentError || (e instanceof Error && e.name === 'PermanentError');
}

export function isRetryableError(e: unknown): e is RetryableError {
  return e instanceof RetryableError || (e instanceof Error && e.name === 'RetryableError');
}

export function isConfigError(e: unknown): e is ConfigError {
  return e instanceof ConfigError || (e instanceof Error && e.name === 'ConfigError');
}

/** Turns anything thrown into an Error (third-party code throws strings and objects). */
export function ensureError(e: unknown): Error {
  if (e instanceof Error) return e;
  return new Error(typeof e === 'string' ? e : JSON.stringify(e));
}
