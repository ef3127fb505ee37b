/**
 * The common model (DESIGN §3): one normalised event, whatever product reported it.
 * Decoders produce these; stages ② and ③ consume them. Plain data only, so events can be
 * serialised into snapshots and onto the internal hubs/topics unchanged.
 */

/** The layer of the attack path an event belongs to. */
export type Layer = 'prompt' | 'agent' | 'protocol' | 'process' | 'file' | 'network' | 'alert' | 'cloud' | 'health';

/** What happened. Kept to a closed list so signals and stories can switch on it. */
export type EventKind =
  | 'process.exec'
  | 'process.exit'
  | 'file.open'
  | 'file.read'
  | 'file.write'
  | 'file.mmap'
  | 'network.connect'
  | 'network.close'
  | 'network.listen'
  | 'dns.query'
  /** An HTTP client call from an OTel span (`http.request.method`): what a workload calls, at L7. */
  | 'http.request'
  | 'agent.invoke'
  | 'llm.chat'
  | 'tool.execute'
  | 'mcp.request'
  | 'alert'
  /** A Kubernetes API server request (AKS kube-audit), or a Key Vault management operation. */
  | 'cloud.api-request'
  /** An Entra sign-in of a workload identity (service principal or managed identity). */
  | 'cloud.sign-in'
  /** A Key Vault data-plane operation on a secret, key or certificate. */
  | 'cloud.secret-access'
  | 'health.upstream-loss'
  | 'health.alert-limit';

/** Who reported the event, in which wire format, under which native id (for dedupe and citation). */
export interface EventSource {
  /** Product, e.g. `tetragon`, `kubescape`, `falco`, `defender`, `otel`, `toolhive`, `tracee`. */
  product: string;
  /** Wire format, e.g. `tetragon.json`, `falcosidekick`, `defender.continuous-export`. */
  format: string;
  /** The record's native id in the source (exec_id+time, uuid, SystemAlertId, spanId, …). */
  nativeId: string;
}

/** Where the event happened. Cluster comes from the source or the input's configuration, never a guess. */
export interface WorkloadIdentity {
  cluster?: string;
  namespace?: string;
  pod?: string;
  podUid?: string;
  container?: string;
  /** 64-hex where the full id is known; a 12-char prefix only when the source gives no more. */
  containerId?: string;
  node?: string;
  workloadKind?: string;
  workloadName?: string;
  image?: string;
  podIp?: string;
  serviceName?: string;
}

/** A process, identified by a stable key, never by pid alone (pids are reused). */
export interface ProcessInfo {
  /** Tetragon exec_id; otherwise `node:containerId:pid:startTime` (see transforms/normalise.ts). */
  key: string;
  parentKey?: string;
  pid?: number;
  ppid?: number;
  /** Executable path. */
  binary?: string;
  /** Redacted command line. */
  commandLine?: string;
  parentBinary?: string;
  /** Parent start time, epoch ms: a parent that started long before our data will never arrive. */
  parentStartTime?: number;
  user?: string;
  uid?: number;
  cwd?: string;
  /** Process start time, epoch ms, when the source gives it. */
  startTime?: number;
}

/** One process of an ancestry chain carried by the source (Kubescape processTree, Falco proc.aname). */
export interface AncestorInfo {
  key: string;
  pid?: number;
  binary?: string;
  commandLine?: string;
}

export interface FileInfo {
  /** Normalised absolute path. */
  path: string;
  operation: 'open' | 'read' | 'write' | 'mmap' | 'exec' | 'unknown';
}

export interface NetworkInfo {
  srcIp?: string;
  srcPort?: number;
  dstIp?: string;
  dstPort?: number;
  protocol?: string;
  domain?: string;
  /** Resolved addresses for DNS events. */
  addresses?: string[];
}

/** Agent, tool-call and MCP context from spans and gateway logs. */
export interface TraceInfo {
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  /** OTel span kind: INTERNAL, SERVER, CLIENT, PRODUCER, CONSUMER. */
  spanKind?: string;
  operation?: string;
  conversationId?: string;
  agentId?: string;
  agentName?: string;
  toolName?: string;
  toolCallId?: string;
  mcpMethod?: string;
  mcpSessionId?: string;
  jsonRpcId?: string;
  /** Span start/end in epoch ms. */
  startTime?: number;
  endTime?: number;
  /** `error` when the span or call failed. */
  status?: string;
  errorType?: string;
  /** Client/peer address seen by a server span or gateway (who called). */
  clientAddress?: string;
  serverAddress?: string;
  /** `network.transport`: `pipe` for an MCP server on stdio (a child process of the client), `tcp`, … */
  networkTransport?: string;
  serverPort?: number;
  /** HTTP client spans: `http.request.method`, `url.path`, `url.template` (or `http.route`), `url.scheme`. */
  httpMethod?: string;
  urlPath?: string;
  urlTemplate?: string;
  urlScheme?: string;
  endUser?: string;
  model?: string;
  /** Model provider (`gen_ai.provider.name`, or the older `gen_ai.system`). */
  provider?: string;
  /** The model that answered (`gen_ai.response.model`). */
  responseModel?: string;
  /** Instrumentation scope that reported the span, `name` or `name@version` (which framework's instrumentation). */
  scope?: string;
  /** `service.version` of the reporting process (an MCP server's or agent's version). */
  serviceVersion?: string;
  /** MCP protocol version of the session (`mcp.protocol.version`, a gateway's `mcp_version`). */
  protocolVersion?: string;
  /** JSON-RPC error code of a failed call (`rpc.response.status_code`, `rpc.jsonrpc.error_code`, a gateway's `jsonrpc_error_code`). */
  errorCode?: number;
  /** HTTP status a gateway answered with (401/403 for an authentication or authorization failure). */
  httpStatus?: number;
  /** Response size in bytes, where the source records it (ToolHive `response_size_bytes`). */
  responseBytes?: number;
}

/** A vendor alert (Defender, Kubescape, Falco), normalised. */
export interface AlertInfo {
  vendor: string;
  type: string;
  name: string;
  severity: Severity;
  tactics: string[];
  techniques: string[];
  nativeId: string;
  description?: string;
  /** Defender for AI user security context. */
  applicationName?: string;
  sourceIp?: string;
  endUser?: string;
  azureResourceId?: string;
  /** Free-form, already redacted. */
  details?: Record<string, string>;
}

/** A redacted summary of content that must not leave the process (prompts, tool arguments). */
export interface ContentSummary {
  sha256: string;
  length: number;
  tags: string[];
  /** Only when excerpts are enabled in config: truncated and secret-scrubbed. */
  excerpt?: string;
}

/**
 * Control-plane and identity activity from cloud audit logs (AKS kube-audit, Entra workload sign-ins,
 * Key Vault AuditEvent): who acted with which credential, from where, on what, and how it ended.
 * These events name no pod: the pod a bound service-account token belongs to is the credential's
 * (`boundPod`), not the place the request came from.
 */
export interface CloudInfo {
  /** Who acted, as the log names it: `system:serviceaccount:<ns>:<sa>`, a user, an Entra principal's name or id. */
  principal: string;
  principalType: 'service-account' | 'node' | 'user' | 'service-principal' | 'managed-identity' | 'unknown';
  /** Entra object id of the principal (sign-in `servicePrincipalId`, Key Vault `oid`). */
  principalId?: string;
  /** Entra application (client) id (sign-in `appId`, Key Vault `appid`). */
  appId?: string;
  /** The service account, when the principal is one. */
  serviceAccountNamespace?: string;
  serviceAccountName?: string;
  /** Bound service-account token extras: the pod (and node) the token was issued for. */
  boundPod?: string;
  boundPodUid?: string;
  boundNode?: string;
  /** The credential: `JTI=…` of a service-account token, a federated credential id, a client secret/certificate key id. */
  credentialId?: string;
  /** Entra client credential type: `federatedIdentityCredential`, `managedIdentity`, `clientSecret`, `certificate`, … */
  credentialType?: string;
  /** The user a request impersonated (Kubernetes `impersonatedUser`). */
  impersonated?: string;
  /** The caller's address the service saw (for the API server: the last of `sourceIPs`, the only one a client cannot set). */
  sourceIp?: string;
  /** Every address the log gives, in its order (the API server lists X-Forwarded-For addresses first). */
  sourceIps?: string[];
  /** What was done: a Kubernetes verb, a Key Vault operation (`SecretGet`), `sign-in`. */
  operation: string;
  /** What it was done to: `pods/exec`, `secrets`, a sign-in's target resource name (`Azure Key Vault`). */
  resource?: string;
  /** Kubernetes object namespace. */
  namespace?: string;
  /** Object name: a Kubernetes object, a Key Vault secret/key/certificate. */
  name?: string;
  /** Azure resource id (lower-cased) of the resource acted on or reporting: the vault, the cluster. */
  resourceId?: string;
  /** Entra application id of a sign-in's target resource (e.g. Key Vault `cfa8b339-…`). */
  resourceAppId?: string;
  result: 'success' | 'failure';
  /** HTTP status or Entra error code. */
  resultCode?: string;
  /** Client-supplied user agent (untrusted, redacted). */
  userAgent?: string;
  correlationId?: string;
  tenantId?: string;
  subscriptionId?: string;
}

export type Severity = 'Informational' | 'Low' | 'Medium' | 'High';

/**
 * What of an event its container's baseline holds (profiles/routine.ts): a path this executable
 * reads, a destination the container or this executable reaches, a process pattern, a tool sequence.
 */
export type RoutineKind = 'file' | 'egress' | 'process-egress' | 'process' | 'tool-transition';

export interface RuntimeEvent {
  /** Deterministic id: product + native id (+ fan-out index). Duplicates of one record share it. */
  id: string;
  layer: Layer;
  kind: EventKind;
  /** Event time, epoch ms (not arrival time). */
  time: number;
  source: EventSource;
  workload: WorkloadIdentity;
  process?: ProcessInfo;
  ancestors?: AncestorInfo[];
  file?: FileInfo;
  network?: NetworkInfo;
  trace?: TraceInfo;
  alert?: AlertInfo;
  content?: ContentSummary;
  /** What of this event is routine for its container, set by the workload stage (story rules read it). */
  routine?: RoutineKind[];
  /** Cloud audit details for `cloud.*` kinds. */
  cloud?: CloudInfo;
  /** Health details for `health.*` kinds (e.g. upstream drops). */
  health?: { reason: string; count?: number; detail?: string };
}

export const SEVERITY_RANK: Record<Severity, number> = { Informational: 0, Low: 1, Medium: 2, High: 3 };

export function maxSeverity(a: Severity, b: Severity): Severity {
  return SEVERITY_RANK[a] >= SEVERITY_RANK[b] ? a : b;
}
