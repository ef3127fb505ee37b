/**
 * ToolHive MCP proxy audit events (`"msg":"audit_event"`, NIST SP 800-53 style). The component is
 * the MCP server's name; the source address is the caller (agent pod or gateway).
 */
import type { RuntimeEvent } from '../model/event.ts';
import { PermanentError } from '../errors.ts';
import { describeErrors, validator } from '../schemas.ts';
import { normaliseIp, parseTime } from '../transforms/normalise.ts';
import { compact, num, obj, result, str, type DecodeResult, type Source } from './source.ts';

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
      return result([], [{ reason: 'filtered', detail: `ToolHive ${type} is not an MCP operation` }]);
    const time = parseTime(record.logged_at) ?? parseTime(record.time);
    if (time === undefined)
      throw new PermanentError('ToolHive audit event has no usable logged_at/time', 'schema-mismatch');
    const target = obj(record.target) ?? {};
    const source = obj(record.source) ?? {};
    const extra = obj(source.extra) ?? {};
    const subjects = obj(record.subjects) ?? {};
    const duration = num(obj(obj(record.metadata)?.extra)?.duration_ms) ?? 0;
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
      }),
    });
    return result([event]);
  },
};
