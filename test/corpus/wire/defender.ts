/**
 * Microsoft Defender for Cloud alerts in the three shapes that reach an Event Hub
 * (reference/defender-formats.md): continuous export's flat PascalCase object (§1.2), the ARM
 * alert resource (`properties.*`, camelCase, §1.1) and a Log Analytics data export of the
 * SecurityAlert table (`{"records":[row]}` with JSON-string columns, §4.1). Entities use Json.NET
 * reference preservation (`$id` on each, `{"$ref"}` for repeats); process ids are hex strings.
 */
import { defenderKey } from '../labels.ts';
import type { Rng } from '../rng.ts';
import type { Cluster, Proc } from '../world.ts';
import { comm } from './kubescape.ts';

/** Continuous export's flat object, the ARM resource, or a Log Analytics export row. */
export type DefenderShape = 'flat' | 'arm' | 'la';

/** The content of one alert, whatever its shape. */
export interface DefenderAlertSpec {
  alertType: string;
  displayName: string;
  description: string;
  severity: 'Informational' | 'Low' | 'Medium' | 'High';
  /** Kill-chain intents, comma-separated as exported. */
  intent: string;
  techniques?: string[];
  /** Activity time (StartTimeUtc). */
  start: number;
  /** When Defender generated the alert (minutes after the activity). */
  generated: number;
  systemAlertId: string;
  productComponent: 'AI' | 'Containers';
  resourceId: string;
  compromisedEntity: string;
  entities: Entity[];
  extended: Record<string, string>;
}

/** A PascalCase entity as Defender writes it. */
export type Entity = Record<string, unknown>;

/** `<19 digits>_<guid>`, the SystemAlertId form. */
export function systemAlertId(r: Rng): string {
  return `25${r.digits(17)}_${r.uuid()}`;
}

/** 7 fractional digits, as Defender's timestamps have. */
export function defenderTime(ms: number, r: Rng): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, `.$1${String(r.int(0, 9999)).padStart(4, '0')}Z`);
}

/** Entities of a Defender for AI alert: the model deployment's resource, the caller's IP and user. */
export function aiEntities(cluster: Cluster, caller: { ip?: string; user?: string }): Entity[] {
  const out: Entity[] = [
    {
      $id: '2',
      ResourceId: cluster.openAi.resourceId,
      ResourceType: 'Azure Resource',
      ResourceName: cluster.openAi.account,
      Asset: true,
      Type: 'azure-resource',
    },
  ];
  if (caller.ip) out.push({ $id: String(out.length + 2), Address: caller.ip, Asset: false, Type: 'ip' });
  if (caller.user)
    out.push({
      $id: String(out.length + 2),
      AadUserId: caller.user,
      AadTenantId: cluster.tenant,
      Asset: false,
      Type: 'account',
    });
  return out;
}

/**
 * Entities of a Defender for Containers node alert: cluster → namespace → pod → container, the
 * node, the process (hex ProcessId, command line, image file, parent inline on first use) and
 * the remote addresses it names.
 */
export function containerEntities(p: Proc, r: Rng, ips: string[] = []): Entity[] {
  const pod = p.pod;
  const cluster = pod.cluster;
  const created = (ms: number) => defenderTime(ms, r);
  const dir = p.binary.slice(0, p.binary.lastIndexOf('/')) || '/';
  const parent = p.parent && p.parent !== pod.shim ? p.parent : undefined;
  const entities: Entity[] = [
    {
      $id: '2',
      ResourceId: cluster.resourceId,
      ResourceType: 'Kubernetes Service',
      ResourceName: cluster.name,
      Asset: true,
      Type: 'azure-resource',
    },
    { $id: '3', CloudResource: { $ref: '2' }, Asset: true, Type: 'K8s-cluster' },
    { $id: '4', Name: pod.namespace, Cluster: { $ref: '3' }, Asset: true, Type: 'K8s-namespace' },
    { $id: '5', Name: pod.name, Namespace: { $ref: '4' }, Asset: true, Type: 'K8s-pod' },
    { $id: '6', ImageId: pod.image, Asset: false, Type: 'container-image' },
    { $id: '7', Name: pod.container, Image: { $ref: '6' }, Pod: { $ref: '5' }, Asset: true, Type: 'container' },
    { $id: '8', HostName: pod.node.name, OSFamily: 'Linux', Asset: true, Type: 'host' },
    {
      $id: '9',
      Name: p.uid === 0 ? 'root' : p.uid === 33 ? 'www-data' : String(p.uid),
      Host: { $ref: '8' },
      Asset: false,
      Type: 'account',
    },
    { $id: '10', Directory: dir, Name: comm(p), Asset: false, Type: 'file' },
    {
      $id: '11',
      ProcessId: `0x${p.pid.toString(16)}`,
      CommandLine: `${p.binary.split('/').pop()} ${p.args}`.trim(),
      CreationTimeUtc: created(p.start),
      ImageFile: { $ref: '10' },
      Account: { $ref: '9' },
      Host: { $ref: '8' },
      ...(parent
        ? {
            ParentProcess: {
              $id: '12',
              ProcessId: `0x${parent.pid.toString(16)}`,
              CommandLine: `${parent.binary.split('/').pop()} ${parent.args}`.trim(),
              CreationTimeUtc: created(parent.start),
              Host: { $ref: '8' },
              Asset: false,
              Type: 'process',
            },
          }
        : {}),
      Asset: false,
      Type: 'process',
    },
  ];
  ips.forEach((ip, i) => entities.push({ $id: String(13 + i), Address: ip, Asset: false, Type: 'ip' }));
  return entities;
}

/** One alert in the given shape, and its label key. */
export function defenderAlert(spec: DefenderAlertSpec, shape: DefenderShape, r: Rng): { body: string; key: string } {
  const t = (ms: number) => defenderTime(ms, r);
  const start = t(spec.start);
  const generated = t(spec.generated);
  const processed = t(spec.generated + r.int(2_000, 90_000));
  const uri = `https://portal.azure.com/#blade/Microsoft_Azure_Security/AlertBlade/alertId/${spec.systemAlertId}/subscriptionId/${subscriptionOf(spec.resourceId)}`;
  const remediation = [
    'Review the activity and the processes, prompts and tools involved.',
    'Escalate to your security team if this is unexpected.',
  ];
  const key = defenderKey(spec.systemAlertId);
  if (shape === 'flat') {
    const body = {
      VendorName: 'Microsoft',
      AlertType: spec.alertType,
      ProductName: 'Microsoft Defender for Cloud',
      ProductComponentName: spec.productComponent,
      StartTimeUtc: start,
      EndTimeUtc: start,
      TimeGenerated: generated,
      ProcessingEndTime: processed,
      Severity: spec.severity,
      Status: 'New',
      ProviderAlertStatus: null,
      ConfidenceLevel: null,
      ConfidenceScore: null,
      ConfidenceReasons: null,
      IsIncident: false,
      SystemAlertId: spec.systemAlertId,
      CorrelationKey: null,
      Intent: spec.intent,
      AzureResourceId: spec.resourceId,
      WorkspaceId: null,
      AgentId: null,
      CompromisedEntity: spec.compromisedEntity,
      AlertDisplayName: spec.displayName,
      Description: spec.description,
      Entities: spec.entities,
      ExtendedLinks: [],
      ResourceIdentifiers: [
        { $id: '1', AzureResourceId: spec.resourceId, Type: 'AzureResource', AzureResourceTenantId: r.uuid() },
      ],
      RemediationSteps: remediation,
      ExtendedProperties: spec.extended,
      AlertUri: uri,
      ...(spec.techniques ? { Techniques: spec.techniques } : {}),
    };
    return { body: JSON.stringify(body), key };
  }
  if (shape === 'arm') {
    const location = r.pick(['westeurope', 'centralus', 'eastus']);
    const body = {
      id: `/subscriptions/${subscriptionOf(spec.resourceId)}/resourceGroups/${resourceGroupOf(spec.resourceId)}/providers/Microsoft.Security/locations/${location}/alerts/${spec.systemAlertId}`,
      name: spec.systemAlertId,
      type: 'Microsoft.Security/Locations/alerts',
      properties: {
        version: '2022-01-01',
        alertType: spec.alertType,
        systemAlertId: spec.systemAlertId,
        productComponentName: spec.productComponent,
        alertDisplayName: spec.displayName,
        description: spec.description,
        severity: spec.severity,
        intent: spec.intent,
        startTimeUtc: start,
        endTimeUtc: start,
        resourceIdentifiers: [{ azureResourceId: spec.resourceId, type: 'AzureResource' }],
        remediationSteps: remediation,
        vendorName: 'Microsoft',
        status: 'Active',
        extendedLinks: [],
        alertUri: uri,
        timeGeneratedUtc: generated,
        productName: 'Microsoft Defender for Cloud',
        processingEndTimeUtc: processed,
        entities: spec.entities.map(camel),
        isIncident: false,
        correlationKey: r.hex(40),
        extendedProperties: spec.extended,
        compromisedEntity: spec.compromisedEntity,
        techniques: spec.techniques ?? [],
        subTechniques: [],
      },
    };
    return { body: JSON.stringify(body), key };
  }
  const row = {
    TenantId: r.uuid(),
    TimeGenerated: generated,
    DisplayName: spec.displayName,
    AlertName: spec.displayName,
    AlertSeverity: spec.severity,
    Description: spec.description,
    ProviderName: 'Azure Security Center',
    VendorName: 'Microsoft',
    VendorOriginalId: r.uuid(),
    SystemAlertId: spec.systemAlertId,
    ResourceId: spec.resourceId,
    SourceComputerId: '',
    AlertType: spec.alertType,
    ConfidenceLevel: '',
    ConfidenceScore: null,
    IsIncident: false,
    StartTime: start,
    EndTime: start,
    ProcessingEndTime: processed,
    RemediationSteps: JSON.stringify(remediation),
    ExtendedProperties: JSON.stringify(spec.extended),
    Entities: JSON.stringify(spec.entities),
    SourceSystem: 'Detection',
    WorkspaceSubscriptionId: subscriptionOf(spec.resourceId),
    WorkspaceResourceGroup: resourceGroupOf(spec.resourceId),
    ExtendedLinks: '',
    ProductName: 'Azure Security Center',
    ProductComponentName: spec.productComponent,
    AlertLink: uri,
    Status: 'New',
    CompromisedEntity: spec.compromisedEntity,
    Tactics: spec.intent,
    Techniques: JSON.stringify(spec.techniques ?? []),
    SubTechniques: '',
    Type: 'SecurityAlert',
    _ResourceId: spec.resourceId.toLowerCase(),
  };
  return { body: JSON.stringify({ records: [row] }), key };
}

/** ARM JSON is camelCase; `$id`/`$ref` stay as they are. */
function camel(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(camel);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>).map(([k, x]) => [
        k.startsWith('$') ? k : k[0]!.toLowerCase() + k.slice(1),
        camel(x),
      ]),
    );
  return v;
}

function subscriptionOf(resourceId: string): string {
  return /\/subscriptions\/([^/]+)/i.exec(resourceId)?.[1] ?? '';
}

function resourceGroupOf(resourceId: string): string {
  return /\/resourceGroups\/([^/]+)/i.exec(resourceId)?.[1] ?? '';
}
