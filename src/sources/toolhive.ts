/**
 * ToolHive MCP proxy audit events (`"msg":"audit_event"`, NIST SP 800-53 style). The component is
 * the MCP server's name; the source address is the caller (agent pod or gateway).
 */
import type { RuntimeEvent } from '../model/event.ts';
import { PermanentError } from '../errors.ts';
import { describeErrors, validator } from '../schemas.ts';
import { normaliseIp } from '../transforms/normalise.ts';
import { timeField } from './eventTime.ts';
import { jsonRpcCode } from './otlp.ts';
import { compact, num, obj, result, str, type DecodeResult, type Source } from './source.ts';

const MAX_DURATION_MS = 86_400_000;

export const toolhive: Source = {
  name: 'toolhive',

  detect(record) {
    return record.msg === 'audit_event' && record.audit_id !== undefined;
  },

  decode(record, ctx): DecodeResult {
    const validate = validator('sources', 'toolhive.schema.json');
    if (!validate(record))
      throw new PermanentError(
        `ToolHive audit event does not match the audit format: ${describeErrors(validate.errors)}`,
        'schema-mismatch',
      );
    const type = String(record.type);
    if (!type.startsWith('mcp_'))
      return result([], [{ reason: 'filtered', detail: 'a ToolHive audit event that is not an MCP operation' }]);
    const time =
      timeField(record.logged_at, 'logged_at', 'ToolHive audit event', ctx) ??
      timeField(record.time, 'time', 'ToolHive audit event', ctx);
    if (time === undefined)
      throw new PermanentError('ToolHive audit event has no "logged_at" or "time"', 'schema-mismatch');
    const target = obj(record.target) ?? {};
    const source = obj(record.source) ?? {};
    const extra = obj(source.extra) ?? {};
    const subjects = obj(record.subjects) ?? {};
    // A call lasts less than a day; anything else is not a duration to subtract from the time.
    const meta = obj(obj(record.metadata)?.extra) ?? {};
    const reported = num(meta.duration_ms);
    const duration = reported !== undefined && reported >= 0 && reported <= MAX_DURATION_MS ? reported : 0;
    const component = str(record.component);
    const event: RuntimeEvent = compact<RuntimeEvent>({
      id: `toolhive:${String(record.audit_id)}`,
      layer: 'protocol',
      kind: 'mcp.request',
      // ToolHive logs when the call completes: the call started `duration_ms` earlier.
      time: time - duration,
      source: { product: 'toolhive', format: 'toolhive.audit', nativeId: String(record.audit_id) },
      workload: compact({ cluster: ctx.cluster, serviceName: component }),
      trace: compact({
        spanKind: 'SERVER',
        operation: type === 'mcp_tool_call' ? 'execute_tool' : type,
        mcpMethod: str(target.method),
        toolName: str(target.type) === 'tool' || type === 'mcp_tool_call' ? str(target.name) : undefined,
        mcpSessionId: str(extra.session_id),
        jsonRpcId: str(extra.request_id),
        startTime: time - duration,
        endTime: time,
        status: record.outcome && record.outcome !== 'success' ? 'error' : undefined,
        errorType: record.outcome && record.outcome !== 'success' ? String(record.outcome) : undefined,
        clientAddress: normaliseIp(source.value),
        endUser: str(subjects.user_id) && subjects.user_id !== 'local' ? str(subjects.user_id) : str(subjects.user),
        agentName: str(subjects.client_name),
        networkTransport: transportOf(meta.transport),
        protocolVersion: str(meta.mcp_version),
        errorCode: jsonRpcCode(meta.jsonrpc_error_code),
        responseBytes: sizeOf(meta.response_size_bytes),
      }),
    });
    return result([event]);
  },
};

/** ToolHive's `transport` (`stdio`, `sse`, `streamable-http`) as OTel `network.transport`: `pipe` for stdio. */
function transportOf(v: unknown): string | undefined {
  const t = str(v)?.toLowerCase();
  if (!t) return undefined;
  return t === 'stdio' ? 'pipe' : t === 'sse' || t === 'streamable-http' || t === 'http' ? 'tcp' : undefined;
}

/** A byte count: a non-negative integer below 2^40 (anything else is not a size). */
function sizeOf(v: unknown): number | undefined {
  const n = num(v);
  return n !== undefined && Number.isInteger(n) && n >= 0 && n < 2 ** 40 ? n : undefined;
}
