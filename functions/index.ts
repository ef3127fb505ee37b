/**
 * Azure Functions registrations (v4 Node programming model). One line each; the logic is in
 * src/hosts/functions. Event Hubs triggers take whole batches (cardinality many); ingest triggers
 * take raw bytes (a Tetragon message holds JSON lines, not one JSON document). Each function
 * retries with exponential backoff, because the trigger checkpoints even when a function throws.
 */
import {
  app,
  type EventHubFunctionOptions,
  type HttpResponseInit,
  type InvocationContext,
  type RetryOptions,
} from '@azure/functions';
import { functionsRuntime } from '../src/hosts/functions/runtime.ts';
import { functionsHealth, runTrigger, type TriggerMetadata } from '../src/hosts/functions/trigger.ts';
import { CLOUD_AUDIT_SOURCES, type SourceName } from '../src/sources/registry.ts';

const retry: RetryOptions = {
  strategy: 'exponentialBackoff',
  maxRetryCount: 8,
  minimumInterval: { seconds: 5 },
  maximumInterval: { minutes: 5 },
};
const connection = 'EventHubConnection';
/** The cloud-audit hub lives in its own namespace (infra/modules/cloudAudit.bicep explains why). */
const cloudAuditConnection = 'CloudAuditConnection';
const meta = (context: InvocationContext) => context.triggerMetadata as TriggerMetadata;

function ingestFrom(hub: string, accept?: SourceName[]) {
  return async (messages: unknown, context: InvocationContext): Promise<void> => {
    await runTrigger(functionsRuntime(), 'ingest', messages as unknown[], meta(context), hub, accept);
  };
}

export const ingestRuntimeSensors = ingestFrom('runtime-sensors', ['tetragon', 'kubescape', 'falco', 'tracee']);
export const ingestDefenderAlerts = ingestFrom('defender-alerts', ['defender']);
export const ingestAgentTelemetry = ingestFrom('agent-telemetry', ['otel', 'toolhive']);
export const ingestCloudAudit = ingestFrom('cloud-audit', [...CLOUD_AUDIT_SOURCES]);
export const workloadStage = async (messages: unknown, context: InvocationContext): Promise<void> =>
  void (await runTrigger(functionsRuntime(), 'workload', messages as unknown[], meta(context), 'workload-events'));
export const storyStage = async (messages: unknown, context: InvocationContext): Promise<void> =>
  void (await runTrigger(functionsRuntime(), 'story', messages as unknown[], meta(context), 'episodes'));
export const closeIdleStories = async (): Promise<void> => functionsRuntime().tick();
export const health = async (): Promise<HttpResponseInit> => ({ jsonBody: await functionsHealth(functionsRuntime()) });

const binary = { dataType: 'binary' } as Partial<EventHubFunctionOptions>;
app.eventHub('ingestRuntimeSensors', {
  connection,
  eventHubName: 'runtime-sensors',
  consumerGroup: 'causeway-ingest',
  cardinality: 'many',
  retry,
  ...binary,
  handler: ingestRuntimeSensors,
});
app.eventHub('ingestDefenderAlerts', {
  connection,
  eventHubName: 'defender-alerts',
  consumerGroup: 'causeway-ingest',
  cardinality: 'many',
  retry,
  ...binary,
  handler: ingestDefenderAlerts,
});
app.eventHub('ingestAgentTelemetry', {
  connection,
  eventHubName: 'agent-telemetry',
  consumerGroup: 'causeway-ingest',
  cardinality: 'many',
  retry,
  ...binary,
  handler: ingestAgentTelemetry,
});
app.eventHub('ingestCloudAudit', {
  connection: cloudAuditConnection,
  eventHubName: 'cloud-audit',
  consumerGroup: 'causeway-ingest',
  cardinality: 'many',
  retry,
  ...binary,
  handler: ingestCloudAudit,
});
app.eventHub('workloadStage', {
  connection,
  eventHubName: 'workload-events',
  consumerGroup: 'causeway-workload',
  cardinality: 'many',
  retry,
  handler: workloadStage,
});
app.eventHub('storyStage', {
  connection,
  eventHubName: 'episodes',
  consumerGroup: 'causeway-story',
  cardinality: 'many',
  retry,
  handler: storyStage,
});
app.timer('closeIdleStories', { schedule: '0 */1 * * * *', handler: closeIdleStories });
app.http('health', { methods: ['GET'], authLevel: 'function', handler: health });
