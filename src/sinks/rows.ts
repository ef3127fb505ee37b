/**
 * Row builders: stories, evidence, dead letters and health samples → table rows with exactly
 * the columns of schemas/tables (tests check every builder against the schema).
 */
import type { RuntimeEvent } from '../model/event.ts';
import type { FeedTransition } from '../model/feedBeat.ts';
import { cloudProfileId, type CloudUsageRecord } from '../profiles/cloudUsage.ts';
import type { Story, StoryEvidence } from '../model/story.ts';
import type { DeadLetter } from '../ingest/deadLetter.ts';
import type { DeviationKind, Profile } from '../profiles/profile.ts';
import { tableSchema, type Row, type TableName } from './tables.ts';

const iso = (ms: number) => new Date(ms).toISOString();

/** Orders keys as the schema does and fills missing columns with null (every row, every column). */
export function shape(table: TableName, values: Row): Row {
  const row: Row = {};
  for (const c of tableSchema(table).columns) row[c.name] = values[c.name] ?? null;
  return row;
}

export function storyRow(s: Story): Row {
  return shape('CausewayStories_CL', {
    TimeGenerated: iso(s.lastSeen),
    StoryId: s.storyId,
    Version: s.version,
    Status: s.status,
    MergedInto: s.mergedInto ?? '',
    StoryTitle: s.title,
    Severity: s.severity,
    RiskScore: s.riskScore,
    RiskBreakdown: s.riskBreakdown,
    Cluster: s.cluster,
    Namespace: s.namespace,
    Pod: s.pod,
    Workloads: s.workloads,
    Layers: s.layers,
    Tactics: s.tactics,
    Techniques: s.techniques,
    AtlasTechniques: s.atlasTechniques,
    Entities: s.entities,
    Timeline: s.timeline,
    Graph: s.graph,
    Narrative: s.narrative,
    Chain: s.chain,
    IncidentDescription: s.description,
    Signals: s.signals.map((x) => ({
      ruleId: x.ruleId,
      name: x.name,
      severity: x.severity,
      tactics: x.tactics,
      techniques: x.techniques,
      atlas: x.atlas,
      reason: x.reason.length > 300 ? `${x.reason.slice(0, 299)}…` : x.reason,
      eventId: x.eventId,
      time: iso(x.time),
    })),
    Summarised: s.summarised,
    FirstSeen: iso(s.firstSeen),
    LastSeen: iso(s.lastSeen),
    EvidenceCount: s.totals.events,
    SignalCount: s.totals.signals,
    AgentNames: s.agentNames,
    ToolNames: s.toolNames,
    AlertIds: s.alertIds,
    AzureResourceId: s.azureResourceId,
    MergedStoryIds: s.mergedStoryIds,
    RetractedEvidenceIds: s.retractedEvidenceIds?.length ? s.retractedEvidenceIds : undefined,
  });
}

export function evidenceRow(storyId: string, se: StoryEvidence): Row {
  const e: RuntimeEvent = se.event;
  const w = e.workload;
  return shape('CausewayEvidence_CL', {
    TimeGenerated: iso(e.time),
    EvidenceId: se.evidenceId,
    StoryId: storyId,
    EventId: e.id,
    Layer: e.layer,
    Kind: e.kind,
    Source: e.source.product,
    SourceFormat: e.source.format,
    SourceRecordId: e.source.nativeId,
    Cluster: w.cluster,
    Namespace: w.namespace,
    Pod: w.pod,
    Container: w.container,
    ContainerId: w.containerId,
    Node: w.node,
    WorkloadKind: w.workloadKind,
    WorkloadName: w.workloadName ?? w.serviceName,
    Image: w.image,
    TargetProcessName: e.process?.binary,
    TargetProcessCommandLine: e.process?.commandLine,
    TargetProcessId: e.process?.pid,
    ParentProcessId: e.process?.ppid,
    ProcessKey: e.process?.key,
    ParentProcessKey: e.process?.parentKey,
    TargetUsername: e.process?.user,
    TargetFilePath: e.file?.path,
    FileOperation: e.file?.operation,
    SrcIpAddr: e.network?.srcIp ?? e.alert?.sourceIp ?? e.trace?.clientAddress ?? e.cloud?.sourceIp,
    SrcPortNumber: e.network?.srcPort,
    DstIpAddr: e.network?.dstIp,
    DstPortNumber: e.network?.dstPort,
    DstDomain: e.network?.domain,
    NetworkProtocol: e.network?.protocol,
    AgentName: e.trace?.agentName ?? e.alert?.applicationName,
    ConversationId: e.trace?.conversationId,
    ToolName: e.trace?.toolName,
    ToolCallId: e.trace?.toolCallId,
    McpMethod: e.trace?.mcpMethod,
    McpSessionId: e.trace?.mcpSessionId,
    TraceId: e.trace?.traceId,
    SpanId: e.trace?.spanId,
    AlertType: e.alert?.type,
    AlertName: e.alert?.name,
    AlertSeverity: e.alert?.severity,
    ...cloudColumns(e),
    ContentSummary: e.content,
    Signals: se.signals,
    Links: se.links,
  });
}

/** Cloud audit evidence (ASIM names where ASIM has one: ActorUsername, Operation, EventResult, …). */
function cloudColumns(e: RuntimeEvent): Row {
  const c = e.cloud;
  if (!c) return {};
  return {
    ActorUsername: c.principal,
    ActorUserId: c.principalId,
    ActingAppId: c.appId,
    Operation: c.operation,
    ObjectType: c.resource,
    Object: c.name ? (c.namespace ? `${c.namespace}/${c.name}` : c.name) : c.namespace,
    TargetAppId: c.resourceAppId,
    TargetAppName: e.kind === 'cloud.sign-in' ? c.resource : undefined,
    CloudResourceId: c.resourceId,
    CredentialType: c.credentialType,
    CredentialId: c.credentialId,
    HttpUserAgent: c.userAgent,
    EventResult: c.result === 'success' ? 'Success' : 'Failure',
    EventResultDetails: c.resultCode,
  };
}

export function deadLetterRow(d: DeadLetter, host: string): Row {
  return shape('CausewayPipeline_CL', {
    TimeGenerated: iso(d.time),
    RecordType: 'deadletter',
    Host: host,
    Stage: d.stage,
    ReasonCode: d.reasonCode,
    Reason: d.reason,
    SourceFormat: d.sourceFormat,
    Input: d.input,
    SizeBytes: d.sizeBytes,
    PayloadSha256: d.payloadSha256,
    RecordCount: d.count ?? 1,
    SampleSha256: d.sampleSha256 ?? [d.payloadSha256],
    Partition: d.partition,
    Offset: d.offset,
    Details: d.positions?.length ? { positions: d.positions } : {},
  });
}

/** Upstream data loss (Tetragon throttling, Kubescape alert limit) is health, not silence. */
export function upstreamHealthRow(e: RuntimeEvent, host: string): Row {
  return shape('CausewayPipeline_CL', {
    TimeGenerated: iso(e.time),
    RecordType: 'health',
    Host: host,
    Stage: 'ingest',
    ReasonCode: e.health?.reason ?? e.kind,
    Reason: e.health?.detail ?? '',
    SourceFormat: e.source.format,
    Input: e.workload.node ?? e.workload.pod ?? '',
    Counters: e.health?.count !== undefined ? { dropped: e.health.count } : {},
    Details: { node: e.workload.node, cluster: e.workload.cluster, pod: e.workload.pod },
  });
}

/** A feed went silent or came back (pipeline/feedTracker.ts): one row per transition. */
export function feedRow(t: FeedTransition, host: string): Row {
  const silent = t.type === 'feed-silent';
  return shape('CausewayPipeline_CL', {
    TimeGenerated: iso(t.time),
    RecordType: t.type,
    Host: host,
    Stage: 'story',
    ReasonCode: t.type,
    Reason: silent
      ? `${t.feed} from ${t.scope} ${t.lastSeen === undefined ? 'has never arrived' : `has not arrived since ${iso(t.lastSeen)}`}; ` +
        `it is expected at least every ${t.expectedIntervalMinutes} minutes. ` +
        `Check the sender (Diagnostic Setting, export or sensor) and its route to Causeway's input.`
      : `${t.feed} from ${t.scope} arrives again after ${t.silentMinutes ?? '?'} minutes.`,
    SourceFormat: t.feed,
    Feed: t.feed,
    Cluster: t.scope,
    LastSeen: t.lastSeen !== undefined ? iso(t.lastSeen) : undefined,
    ExpectedIntervalMinutes: t.expectedIntervalMinutes,
    Details: t.silentMinutes !== undefined ? { silentMinutes: t.silentMinutes } : {},
  });
}

export function healthRow(
  time: number,
  host: string,
  stage: string,
  counters: Record<string, unknown>,
  details: Record<string, unknown> = {},
): Row {
  return shape('CausewayPipeline_CL', {
    TimeGenerated: iso(time),
    RecordType: 'health',
    Host: host,
    Stage: stage,
    ReasonCode: 'health',
    Reason: 'periodic health sample',
    Counters: counters,
    Details: details,
  });
}

/** A profile as it stands (learning finished, imported, or changed), or one deviation from it. */
export function profileRow(
  p: Profile,
  time: number,
  deviation?: { kind: DeviationKind; value: string; storyId?: string },
  pod?: string,
): Row {
  return shape('CausewayProfiles_CL', {
    TimeGenerated: iso(time),
    ProfileId: p.id,
    RecordType: deviation ? 'deviation' : 'snapshot',
    Cluster: p.identity.cluster,
    Namespace: p.identity.namespace,
    Pod: pod,
    WorkloadKind: p.identity.workloadKind,
    WorkloadName: p.identity.workloadName,
    Container: p.identity.container,
    ProfileStatus: p.status,
    LearningEndsAt: p.learningEndsAt !== undefined ? iso(p.learningEndsAt) : undefined,
    Executables: p.executables,
    FilePaths: p.filePaths,
    Egress: p.egress,
    Tools: p.tools,
    ToolTransitions: p.toolTransitions,
    Syscalls: p.syscalls,
    Processes: p.processes ?? [],
    Entrypoints: p.entrypoints ?? [],
    DnsNames: p.dnsNames ?? [],
    Coverage: coverageOf(p),
    DeviationKind: deviation?.kind,
    DeviationValue: deviation?.value,
    StoryId: deviation?.storyId,
    Source: p.source.join('; '),
  });
}

/** What a service account or workload identity was seen doing in cloud audit logs (profiles/cloudUsage.ts). */
export function cloudUsageRow(r: CloudUsageRecord): Row {
  const u = r.usage;
  return shape('CausewayProfiles_CL', {
    TimeGenerated: iso(r.time),
    ProfileId: cloudProfileId(u.key),
    RecordType: 'cloud-usage',
    Cluster: u.cluster,
    Namespace: u.namespace,
    WorkloadKind: u.kind === 'service-account' ? 'ServiceAccount' : 'WorkloadIdentity',
    WorkloadName: u.name ?? u.principal,
    ProfileStatus: 'observed',
    Coverage: { Events: u.events, FirstEvent: iso(u.firstSeen), LastEvent: iso(u.lastSeen) },
    Source: u.sources.join('; '),
    Principal: u.principal,
    PrincipalId: u.principalId,
    AppId: u.appId,
    CloudUsage: Object.values(u.uses).map((x) => ({
      ...x,
      firstSeen: iso(x.firstSeen),
      lastSeen: iso(x.lastSeen),
    })),
  });
}

/** The one story → rows mapping: a row per story version, a row per evidence event it carries. */
export function storyRows(stories: readonly Story[]): { stories: Row[]; evidence: Row[] } {
  return {
    stories: stories.map(storyRow),
    evidence: stories.flatMap((s) => s.evidence.map((e) => evidenceRow(s.storyId, e))),
  };
}

function coverageOf(p: Profile): Record<string, unknown> {
  const c = p.coverage ?? { events: p.observations, processes: 0 };
  return {
    Events: c.events,
    Processes: c.processes,
    FirstEvent: c.firstEvent !== undefined ? iso(c.firstEvent) : undefined,
    LastEvent: c.lastEvent !== undefined ? iso(c.lastEvent) : undefined,
    WatchedUntil: c.watchedUntil !== undefined ? iso(c.watchedUntil) : undefined,
  };
}
