/**
 * One-line plain-text descriptions of events, for timelines, narratives and signal reasons.
 * The text is raw (attacker-controlled values included); every renderer escapes for its medium
 * (see story/escape.ts).
 */
import type { RuntimeEvent } from './event.ts';
import { baseName } from '../common/paths.ts';

export function processLabel(e: RuntimeEvent): string {
  const p = e.process;
  if (!p) return 'a process';
  return baseName(p.binary) || p.commandLine?.split(' ')[0] || (p.pid !== undefined ? `pid ${p.pid}` : 'a process');
}

export function destinationLabel(e: RuntimeEvent): string {
  const n = e.network;
  if (!n) return 'a destination';
  const host = n.domain ?? n.dstIp ?? 'unknown';
  return n.dstPort !== undefined ? `${host}:${n.dstPort}` : host;
}

export function describeEvent(e: RuntimeEvent): string {
  switch (e.kind) {
    case 'process.exec':
      return `${processLabel(e)} started${e.process?.parentBinary ? ` by ${baseName(e.process.parentBinary)}` : ''}: ${e.process?.commandLine ?? e.process?.binary ?? ''}`.trim();
    case 'process.exit':
      return `${processLabel(e)} exited`;
    case 'file.open':
    case 'file.read':
    case 'file.write':
    case 'file.mmap':
      return `${processLabel(e)} ${e.file?.operation === 'write' ? 'wrote' : e.file?.operation === 'mmap' ? 'mapped' : 'read'} ${e.file?.path ?? 'a file'}`;
    case 'network.connect':
      return `${processLabel(e)} connected to ${destinationLabel(e)}`;
    case 'network.close':
      return `${processLabel(e)} closed a connection to ${destinationLabel(e)}`;
    case 'network.listen':
      return `${processLabel(e)} listened on port ${e.network?.srcPort ?? e.network?.dstPort ?? '?'}`;
    case 'dns.query':
      return `${processLabel(e)} resolved ${e.network?.domain ?? 'a name'}`;
    case 'agent.invoke':
      return `agent ${e.trace?.agentName ?? e.workload.serviceName ?? ''} turn`.replace('  ', ' ');
    case 'llm.chat':
      return `model call${e.trace?.model ? ` to ${e.trace.model}` : ''}`;
    case 'tool.execute':
      return `tool call ${e.trace?.toolName ?? ''}`.trim();
    case 'mcp.request':
      return `MCP ${e.trace?.mcpMethod ?? 'request'}${e.trace?.toolName ? ` ${e.trace.toolName}` : ''} (${e.trace?.spanKind === 'SERVER' ? 'server' : 'client'})`;
    case 'alert':
      return `${e.source.product} alert: ${e.alert?.name ?? e.alert?.type ?? ''}`;
    case 'cloud.api-request':
    case 'cloud.sign-in':
    case 'cloud.secret-access':
      return describeCloud(e);
    default:
      return e.kind;
  }
}

/** `<who> <did what> <to what> from <where> (<how it ended>)`, from a cloud audit event. */
function describeCloud(e: RuntimeEvent): string {
  const c = e.cloud;
  if (!c) return e.kind;
  const object = c.name ? (c.namespace ? `${c.namespace}/${c.name}` : c.name) : c.namespace ? `in ${c.namespace}` : '';
  const what =
    e.kind === 'cloud.sign-in'
      ? `signed in${c.resource ? ` to ${c.resource}` : ''}${c.credentialType ? ` with ${c.credentialType}` : ''}`
      : [c.operation, c.resource, object].filter(Boolean).join(' ');
  const from = c.sourceIp ? ` from ${c.sourceIp}` : '';
  const outcome = c.result === 'failure' ? ` (failed${c.resultCode ? ` ${c.resultCode}` : ''})` : '';
  return `${c.principal} ${what}${from}${outcome}`;
}
