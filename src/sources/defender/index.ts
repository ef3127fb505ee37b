/**
 * Microsoft Defender alerts on Event Hubs, in every shape they arrive in
 * (reference/defender-formats.md):
 * - continuous export: the flat PascalCase SecurityAlert-like object that actually arrives, and
 *   the documented ARM shape (`properties.*`);
 * - Log Analytics data export of SecurityAlert (rows inside `{records:[…]}`, JSON-string columns);
 * - Defender XDR streaming API (`AdvancedHunting-AlertInfo` / `-AlertEvidence` records);
 * - the Activity Log form (`Microsoft.Security/locations/alerts/activate/action`).
 * Keys are read case-insensitively. Non-alert exports (assessments, scores, compliance) are
 * dropped and counted. Defender for AI (`AI.Azure_*`) alerts become prompt-layer events carrying
 * the user security context; Defender for Containers (`K8S*`) alerts carry their workload.
 */
import type { Layer, RuntimeEvent, Severity, WorkloadIdentity } from '../../model/event.ts';
import { PermanentError } from '../../errors.ts';
import { normaliseTactics, normaliseTechniques } from '../../model/mitre.ts';
import { describeErrors, validator } from '../../schemas.ts';
import { normaliseIp, processKey } from '../../transforms/normalise.ts';
import { redactText } from '../../transforms/redact.ts';
import { timeField } from '../eventTime.ts';
import { compact, obj, result, str, type DecodeContext, type DecodeResult, type Json, type Source } from '../source.ts';
import { ci, jsonValue, pick } from './caseInsensitive.ts';
import { clusterFromResourceId, EntityGraph } from './entities.ts';

type Shape = 'continuous-export' | 'arm' | 'securityalert-row' | 'xdr-alertinfo' | 'xdr-alertevidence' | 'activity-log';

const SEVERITIES: Record<string, Severity> = {
  informational: 'Informational',
  low: 'Low',
  medium: 'Medium',
  high: 'High',
  critical: 'High',
};

/** Keys of non-alert continuous-export records (assessments, sub-assessments, scores, compliance). */
const NON_ALERT_MARKERS = [
  'securityeventdataenrichment',
  'assessmenteventdataenrichment',
  'subassessmenteventdataenrichment',
];

function shapeOf(record: Json): Shape | 'non-alert' | undefined {
  const v = ci(record);
  const category = str(v.get('category'));
  if (category?.startsWith('AdvancedHunting-')) {
    if (category === 'AdvancedHunting-AlertInfo') return 'xdr-alertinfo';
    if (category === 'AdvancedHunting-AlertEvidence') return 'xdr-alertevidence';
    return 'non-alert';
  }
  if (typeof v.get('alerttype') === 'string' && v.has('systemalertid'))
    return String(v.get('type') ?? '') === 'SecurityAlert' || v.has('alertname')
      ? 'securityalert-row'
      : 'continuous-export';
  const props = ci(obj(v.get('properties')));
  if (typeof props.get('alerttype') === 'string' || typeof props.get('systemalertid') === 'string') return 'arm';
  const operation = str(ci(obj(v.get('operationname'))).get('value')) ?? str(v.get('operationname'));
  if (operation && /^Microsoft\.Security\/locations\/alerts\//i.test(operation)) return 'activity-log';
  if (NON_ALERT_MARKERS.some((k) => v.has(k))) return 'non-alert';
  const type = str(v.get('type'));
  if (type && /^Microsoft\.Security\//i.test(type)) return 'non-alert';
  return undefined;
}

export const defender: Source = {
  name: 'defender',

  detect(record) {
    return shapeOf(record) !== undefined;
  },

  decode(record, ctx): DecodeResult {
    const shape = shapeOf(record);
    if (!shape) throw new PermanentError('not a Defender alert', 'unknown-format');
    if (shape === 'non-alert') {
      return result(
        [],
        [
          {
            reason: 'defender-non-alert',
            detail:
              'a Defender export that is not an alert (assessments, scores and compliance records are not part of the attack model)',
          },
        ],
      );
    }
    const view = readView(record, shape);
    const validate = validator('sources', 'defender.schema.json');
    const summary = {
      shape,
      alertType: view.alertType,
      alertId: view.alertId,
      displayName: view.displayName,
      severity: view.severity,
      time: view.timeText,
    };
    if (!validate(summary))
      throw new PermanentError(
        `Defender ${shape} alert is missing required fields: ${describeErrors(validate.errors)}`,
        'schema-mismatch',
      );
    return result([toEvent(view, shape, ctx)]);
  },
};

interface AlertView {
  alertType: string;
  alertId: string;
  displayName: string;
  description?: string;
  severity: Severity;
  timeText: string;
  /** The field the time was read from, as the documentation spells it. */
  timeName: string;
  tactics: string[];
  techniques: string[];
  entities: EntityGraph;
  extended: Map<string, unknown>;
  /** The extended properties as sent (keys in their own case: details keep them, so redaction sees them). */
  extendedObject?: Json;
  compromisedEntity?: string;
  resourceId?: string;
  productComponent?: string;
  xdr?: Map<string, unknown>;
}

function readView(record: Json, shape: Shape): AlertView {
  const top = ci(record);
  if (shape === 'xdr-alertinfo' || shape === 'xdr-alertevidence') {
    const p = ci(obj(top.get('properties')));
    const [timeName, timeText] = timeOf([p, 'timestamp'], [top, 'time']);
    const alertId = str(p.get('alertid')) ?? '';
    return {
      alertType: `XDR:${str(p.get('servicesource')) ?? 'unknown'}:${str(p.get('detectionsource')) ?? str(p.get('category')) ?? (shape === 'xdr-alertevidence' ? 'evidence' : 'alert')}`,
      alertId,
      displayName:
        str(p.get('title')) ??
        (shape === 'xdr-alertevidence'
          ? `Evidence (${str(p.get('entitytype')) ?? 'entity'}) for alert ${alertId}`
          : `Alert ${alertId}`),
      severity: SEVERITIES[String(p.get('severity') ?? '').toLowerCase()] ?? 'Informational',
      timeText,
      timeName: `properties.${timeName}`,
      tactics: normaliseTactics(str(p.get('category')) ?? ''),
      techniques: normaliseTechniques(jsonValue(p.get('attacktechniques'))),
      entities: new EntityGraph([]),
      extended: ci(obj(jsonValue(p.get('additionalfields')))),
      extendedObject: obj(jsonValue(p.get('additionalfields'))),
      xdr: p,
    };
  }
  if (shape === 'activity-log') {
    const p = ci(obj(top.get('properties')));
    const [timeName, timeText] = timeOf([top, 'eventtimestamp'], [top, 'submissiontimestamp']);
    const name = str(ci(obj(top.get('eventname'))).get('value')) ?? str(top.get('description')) ?? 'Defender alert';
    return {
      alertType: str(p.get('alerttype')) ?? `ActivityLog:${name}`,
      alertId: str(top.get('correlationid')) ?? str(top.get('eventdataid')) ?? str(top.get('id')) ?? '',
      displayName: name,
      description: str(top.get('description')),
      severity: SEVERITIES[String(p.get('severity') ?? top.get('level') ?? '').toLowerCase()] ?? 'Informational',
      timeText,
      timeName,
      tactics: normaliseTactics(jsonValue(p.get('intent'))),
      techniques: normaliseTechniques(jsonValue(p.get('techniques'))),
      entities: new EntityGraph(p.get('entities')),
      extended: p,
      extendedObject: obj(top.get('properties')),
      compromisedEntity: str(p.get('compromisedentity')),
      resourceId: str(top.get('resourceid')),
    };
  }
  const v = shape === 'arm' ? ci(obj(top.get('properties'))) : top;
  const [timeName, timeText] = timeOf(
    [v, 'starttimeutc'],
    [v, 'starttime'],
    [v, 'timegeneratedutc'],
    [v, 'timegenerated'],
  );
  const extendedObject = obj(jsonValue(v.get('extendedproperties')));
  const extended = ci(extendedObject);
  return {
    alertType: str(v.get('alerttype')) ?? '',
    alertId: str(v.get('systemalertid')) ?? str(top.get('name')) ?? '',
    displayName: str(pick(v, 'alertdisplayname', 'displayname', 'alertname')) ?? str(v.get('alerttype')) ?? '',
    description: str(v.get('description')),
    severity:
      SEVERITIES[String(pick(v, 'severity', 'alertseverity', 'reportedseverity') ?? '').toLowerCase()] ?? 'Medium',
    timeText,
    timeName: shape === 'arm' ? `properties.${timeName}` : timeName,
    tactics: normaliseTactics(jsonValue(pick(v, 'tactics', 'intent')) ?? ''),
    techniques: normaliseTechniques([
      ...asList(jsonValue(v.get('techniques'))),
      ...asList(jsonValue(v.get('subtechniques'))),
    ]),
    entities: new EntityGraph(v.get('entities')),
    extended,
    extendedObject,
    compromisedEntity: str(v.get('compromisedentity')),
    resourceId:
      str(pick(v, 'azureresourceid', 'resourceid')) ?? resourceIdFromIdentifiers(v.get('resourceidentifiers')),
    productComponent: str(v.get('productcomponentname')),
  };
}

/** Documented spellings of the time fields (keys are matched case-insensitively). */
const TIME_FIELDS: Record<string, string> = {
  timestamp: 'Timestamp',
  time: 'time',
  eventtimestamp: 'eventTimestamp',
  submissiontimestamp: 'submissionTimestamp',
  starttimeutc: 'StartTimeUtc',
  starttime: 'StartTime',
  timegeneratedutc: 'TimeGeneratedUtc',
  timegenerated: 'TimeGenerated',
};

/** The first time field present, as [its documented name, its text]; ['', ''] when none is. */
function timeOf(...candidates: [Map<string, unknown>, string][]): [string, string] {
  for (const [view, key] of candidates) {
    const text = str(view.get(key));
    if (text !== undefined) return [TIME_FIELDS[key] ?? key, text];
  }
  return [TIME_FIELDS[candidates[0]![1]] ?? candidates[0]![1], ''];
}

function asList(v: unknown): string[] {
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return typeof v === 'string' ? [v] : [];
}

function resourceIdFromIdentifiers(v: unknown): string | undefined {
  const list = jsonValue(v);
  if (!Array.isArray(list)) return undefined;
  for (const item of list) {
    const r = ci(obj(item));
    if (String(r.get('type') ?? '').toLowerCase() === 'azureresource') return str(r.get('azureresourceid'));
  }
  return undefined;
}

/** Defender for AI alerts: `AI.Azure_*`, and the irregular `Azure_Agentic_BlockedJailbreak`. */
function isAiAlert(type: string): boolean {
  return /^AI\./i.test(type) || /^Azure_Agentic_/i.test(type);
}

/**
 * Where the user security context (application_name, source_ip, end_user_id) lands in a real
 * AI alert is not publicly documented (reference/defender-formats.md §2.2), so extended
 * properties are searched by key shape and entities fill the gaps.
 */
function extendedValue(extended: Map<string, unknown>, pattern: RegExp): string | undefined {
  for (const [k, v] of extended) if (pattern.test(k) && typeof v === 'string' && v) return v;
  return undefined;
}

function toEvent(view: AlertView, shape: Shape, ctx: DecodeContext): RuntimeEvent {
  const time = timeField(view.timeText, view.timeName, 'Defender alert', ctx);
  if (time === undefined)
    throw new PermanentError(`Defender alert has no time ("${view.timeName}")`, 'schema-mismatch');
  const facts = view.entities.facts();
  const ai = isAiAlert(view.alertType);
  const containers = /^K8S/i.test(view.alertType) || view.productComponent?.toLowerCase() === 'containers';
  const clusterFromResource = clusterFromResourceId(view.resourceId) ?? clusterFromResourceId(facts.clusterResourceId);
  const cluster =
    facts.cluster ?? clusterFromResource ?? (containers && view.compromisedEntity ? view.compromisedEntity : undefined);
  const workload = compact<WorkloadIdentity>({
    // Sources that name no cluster get the input's configured one (DESIGN §3): for a Defender for
    // AI alert that puts it on the story partition of the agents it can prompt.
    cluster: cluster ?? ctx.cluster,
    namespace: facts.namespace ?? extendedValue(view.extended, /^namespace$/),
    pod: facts.pod ?? extendedValue(view.extended, /^pod( name)?$/),
    container: facts.container ?? extendedValue(view.extended, /^container( name)?$/),
    containerId: facts.containerId,
    image: facts.image,
    node: containers ? facts.node : undefined,
  });
  const proc = facts.processes.find((p) => p.commandLine) ?? facts.processes[0];
  const xdr = view.xdr;
  const commandLine =
    proc?.commandLine ??
    str(xdr?.get('processcommandline')) ??
    extendedValue(view.extended, /^suspicious command line$/);
  const sourceIp =
    normaliseIp(extendedValue(view.extended, /source.?ip|client.?ip|caller.?ip|ip.?address/)) ??
    (ai ? facts.ips[0] : undefined) ??
    normaliseIp(str(xdr?.get('remoteip')));
  const applicationName =
    extendedValue(view.extended, /application.?name|app.?name|^application$|client application/) ??
    facts.applications[0];
  const endUser =
    extendedValue(view.extended, /end.?user|user.?id|client principal|principal name|^user$/) ??
    (ai ? facts.accounts[0] : undefined);
  const layer: Layer = ai ? 'prompt' : 'alert';
  const nativeId =
    shape === 'xdr-alertevidence'
      ? `${view.alertId}:evidence:${str(xdr?.get('entitytype')) ?? ''}:${str(xdr?.get('filename')) ?? str(xdr?.get('remoteip')) ?? ''}`
      : view.alertId;
  const details: Record<string, string> = {};
  // Keys are matched lower-cased; a key is redacted in its own case first (lower-casing a secret
  // would hide its shape from the redactor).
  for (const [k, v] of Object.entries(view.extendedObject ?? {}))
    if (typeof v === 'string' && v.length < 512 && !/investigation steps/i.test(k))
      details[redactText(k).text.toLowerCase()] = v;
  return compact<RuntimeEvent>({
    id: `defender:${nativeId}`,
    layer,
    kind: 'alert',
    time,
    source: { product: 'defender', format: `defender.${shape}`, nativeId },
    workload,
    process:
      proc || commandLine
        ? compact({
            key: processKey(workload.node, workload.containerId, proc?.pid ?? 0, view.alertId),
            pid: proc?.pid,
            binary: proc?.binary,
            commandLine: commandLine,
            user: proc?.user,
          })
        : undefined,
    file: facts.files[0] ? { path: facts.files[0], operation: 'open' } : undefined,
    network:
      facts.domains[0] || (!ai && facts.ips[0])
        ? compact({ dstIp: ai ? undefined : facts.ips[0], domain: facts.domains[0] })
        : undefined,
    alert: compact({
      vendor: 'defender',
      type: view.alertType,
      name: view.displayName,
      severity: view.severity,
      tactics: view.tactics,
      techniques: view.techniques,
      nativeId: view.alertId,
      description: view.description,
      applicationName,
      sourceIp,
      endUser,
      azureResourceId: facts.clusterResourceId ?? view.resourceId,
      details: Object.keys(details).length ? details : undefined,
    }),
  });
}
