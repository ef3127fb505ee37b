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
  // ingest: an event time outside the sane range (limits.earliestEventTime … clock + limits.maxFutureMinutes)
  | 'bad-time'
  // ingest: the rest of a body past limits.maxRecordsPerBody, counted but not read
  | 'too-many-records'
  // ingest: a decoder fault on a record (a shape it did not expect): that record only, never its body
  | 'decode-failed'
  // stages: an internal message that is not JSON or not the stage's contract
  | 'malformed-message'
  // stages: a fault inside a stage (a bug, not the input's or the sink's): counted, logged with its stack
  | 'stage-failed'
  // stages: a value in a restored snapshot that no stage could have produced (an invalid time): dropped
  | 'invalid-state'
  // stages: events between a partition's snapshot and its next batch that the hub no longer has (or past functions.maxReplayEvents)
  | 'state-gap'
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
