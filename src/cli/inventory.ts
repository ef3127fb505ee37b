/**
 * `causeway inventory --from <tables dir> [--format table|cyclonedx] [--out file]`: the runtime
 * AI-BOM (the latest `CausewayInventory_CL` row per component) as a table for people or as a
 * CycloneDX 1.6 JSON document for tools. Every value came from telemetry: the table shows it on
 * one line without control characters.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cycloneDxBom } from '../inventory/cycloneDx.ts';
import { inventoryFromRows, type InventoryItem } from '../inventory/inventoryFromRows.ts';
import { REPO_ROOT } from '../repoPath.ts';
import { singleLine } from '../story/escape.ts';
import { readTableRows } from './tableFiles.ts';

export const INVENTORY_FORMATS = ['table', 'cyclonedx'] as const;

export interface InventoryOptions {
  from?: string;
  format?: string;
  out?: string;
}

export function inventoryCommand(o: InventoryOptions): number {
  const format = o.format ?? 'table';
  if (!(INVENTORY_FORMATS as readonly string[]).includes(format))
    return fail(`--format must be one of ${INVENTORY_FORMATS.join(', ')}`);
  if (!o.from)
    return fail('inventory needs --from <tables directory> (the --out of replay, or <data-dir>/tables of serve)');
  if (!existsSync(o.from) || !statSync(o.from).isDirectory())
    return fail(`--from ${o.from}: not a directory; name a tables directory`);
  const items = inventoryFromRows(readTableRows(o.from, 'CausewayInventory_CL'));
  const text =
    format === 'cyclonedx'
      ? JSON.stringify(cycloneDxBom(items, { name: 'causeway', version: packageVersion() }), null, 2) + '\n'
      : inventoryTable(items);
  if (o.out) {
    writeFileSync(o.out, text);
    process.stdout.write(`Wrote ${items.length} components (${format}) to ${o.out}\n`);
  } else process.stdout.write(text);
  return 0;
}

const COLUMNS: [string, (i: InventoryItem) => string | undefined][] = [
  ['TYPE', (i) => i.type],
  ['NAME', (i) => i.name],
  ['VERSION', (i) => i.version],
  ['WORKLOAD', (i) => [i.namespace, i.workloadName].filter(Boolean).join('/')],
  ['PODS', (i) => String(i.pods.length)],
  ['DETAIL', detail],
  ['DEFENDER', (i) => (i.defenderForAi === undefined ? '' : i.defenderForAi ? 'yes' : 'NO')],
  ['LAST SEEN', (i) => i.lastSeen.replace(/\.\d+Z$/, 'Z')],
];

/** What distinguishes a component of its type: the provider and endpoint of a model, the server of a tool. */
function detail(i: InventoryItem): string {
  switch (i.type) {
    case 'model':
    case 'ai-endpoint':
      return [i.provider, i.dnsName ?? i.endpointAddress].filter(Boolean).join(' @ ');
    case 'tool':
      return i.mcpServerName ? `on ${i.mcpServerName}` : '';
    case 'mcp-server':
      return [i.transport, i.endpointAddress, i.protocolVersion && `MCP ${i.protocolVersion}`]
        .filter(Boolean)
        .join(' ');
    default:
      return [i.framework, i.agentId].filter(Boolean).join(' ');
  }
}

/** A fixed-width text table, one component a line. */
export function inventoryTable(items: readonly InventoryItem[]): string {
  if (!items.length) return 'No components in CausewayInventory_CL.\n';
  const cells = items.map((i) => COLUMNS.map(([, f]) => singleLine(f(i) ?? '', 60)));
  const widths = COLUMNS.map(([h], c) => Math.max(h.length, ...cells.map((r) => r[c]!.length)));
  const line = (r: string[]) =>
    r
      .map((v, c) => v.padEnd(widths[c]!))
      .join('  ')
      .trimEnd();
  const byType = new Map<string, number>();
  for (const i of items) byType.set(i.type, (byType.get(i.type) ?? 0) + 1);
  const summary = [...byType].map(([t, n]) => `${n} ${t}`).join(', ');
  return [line(COLUMNS.map(([h]) => h)), ...cells.map(line), '', `${items.length} components: ${summary}`, ''].join(
    '\n',
  );
}

function packageVersion(): string {
  try {
    const v = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version?: unknown }).version;
    return typeof v === 'string' ? v : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

function fail(message: string): number {
  process.stderr.write(`causeway: ${message}\n`);
  return 2;
}
