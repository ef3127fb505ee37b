/**
 * Every record ends in exactly one status (DESIGN §6). The words come from Vector's event
 * finalisation: delivered, rejected (permanent, dead-lettered), errored (retryable), dropped
 * (deliberate, counted).
 */
export type RecordStatus = 'delivered' | 'rejected' | 'errored' | 'dropped';

/** Reason codes, so dashboards and tests can count outcomes by cause. */
export type ReasonCode =
  // ingest: rejected
  | 'malformed-json'
  | 'malformed-gzip'
  | 'malformed-protobuf'
  | 'unknown-format'
  | 'schema-mismatch'
  | 'too-large'
  | 'too-deep'
  | 'empty'
  // stages: an internal message that is not JSON or not the stage's contract
  | 'malformed-message'
  // stages: a fault inside a stage (a bug, not the input's or the sink's): counted, logged with its stack
  | 'stage-failed'
  // ingest: dropped (deliberate)
  | 'duplicate'
  | 'falco-internal'
  | 'defender-non-alert'
  | 'not-an-event'
  | 'filtered'
  // sinks
  | 'sink-bad-request'
  | 'sink-forbidden'
  | 'sink-not-found'
  | 'sink-too-large'
  | 'sink-throttled'
  | 'sink-unavailable'
  | 'sink-unreachable'
  // delivered
  | 'ok'
  | 'health'
  | 'not-in-story';
