/**
 * Loads signal rule packs (YAML or JSON) at start-up, in the reader → checker → compiler shape of
 * Falco's rule loader: every problem gets a code, the file and the line, and all problems are
 * reported at once.
 */
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { ConfigError, type ConfigProblem } from '../errors.ts';
import { repoPath } from '../repoPath.ts';
import { validator } from '../schemas.ts';
import type { RulePack } from './rulePack.ts';

export const DEFAULT_PACK = repoPath('schemas', 'signals', 'packs', 'default.yaml');

export type RuleErrorCode =
  | 'CW-RULE-READ'
  | 'CW-RULE-SYNTAX'
  | 'CW-RULE-SCHEMA'
  | 'CW-RULE-DUPLICATE-ID'
  | 'CW-RULE-BAD-REGEX'
  | 'CW-RULE-UNKNOWN-TAG';

export interface RuleError {
  code: RuleErrorCode;
  file: string;
  line: number;
  message: string;
}

export interface LoadedPack {
  file: string;
  pack: RulePack;
}

/** Reads and checks packs; throws ConfigError listing every coded problem. */
export function loadRulePacks(files: readonly string[]): LoadedPack[] {
  const errors: RuleError[] = [];
  const packs: LoadedPack[] = [];
  for (const file of files) {
    const loaded = readPack(file, errors);
    if (loaded) packs.push(loaded);
  }
  if (!errors.length) crossChecks(packs, errors);
  if (errors.length) throw new ConfigError(errors.map(toProblem));
  return packs;
}

/** Checks one pack's text without throwing; for tests and `causeway rules check`. */
export function checkRulePackText(file: string, text: string): RuleError[] {
  const errors: RuleError[] = [];
  const loaded = parsePack(file, text, errors);
  if (loaded && !errors.length) crossChecks([loaded], errors);
  return errors;
}

function toProblem(e: RuleError): ConfigProblem {
  return { setting: `${e.file}:${e.line}`, problem: `${e.code} ${e.message}`, fix: FIXES[e.code] };
}

const FIXES: Record<RuleErrorCode, string> = {
  'CW-RULE-READ': 'check the path in signals.packs (CAUSEWAY_SIGNAL_PACKS)',
  'CW-RULE-SYNTAX': 'correct the YAML/JSON syntax at that line',
  'CW-RULE-SCHEMA': 'make the rule match schemas/signals/rule-pack.schema.json',
  'CW-RULE-DUPLICATE-ID': 'give every rule a unique id across all packs',
  'CW-RULE-BAD-REGEX': 'write a valid JavaScript regular expression',
  'CW-RULE-UNKNOWN-TAG': 'use a tag that some rule declares in its tags list',
};

function readPack(file: string, errors: RuleError[]): LoadedPack | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    errors.push({
      code: 'CW-RULE-READ',
      file,
      line: 0,
      message: `cannot read the rule pack (${(e as Error).message})`,
    });
    return undefined;
  }
  return parsePack(file, text, errors);
}

interface ParsedPack extends LoadedPack {
  doc: Document;
  lines: LineCounter;
}

const docs = new WeakMap<RulePack, ParsedPack>();

function parsePack(file: string, text: string, errors: RuleError[]): ParsedPack | undefined {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length) {
    for (const e of doc.errors)
      errors.push({
        code: 'CW-RULE-SYNTAX',
        file,
        line: lines.linePos(e.pos[0]).line,
        message: e.message.split('\n')[0] ?? 'syntax error',
      });
    return undefined;
  }
  const value: unknown = doc.toJS();
  const validate = validator('signals', 'rule-pack.schema.json');
  if (!validate(value)) {
    // Report the deepest problems first and only one per location: ajv's oneOf/anyOf noise is not useful.
    const seen = new Set<string>();
    for (const e of validate.errors ?? []) {
      const key = e.instancePath + e.keyword;
      if (seen.has(e.instancePath)) continue;
      seen.add(e.instancePath);
      void key;
      const extra =
        e.keyword === 'additionalProperties'
          ? ` "${(e.params as { additionalProperty: string }).additionalProperty}"`
          : '';
      const allowed =
        e.keyword === 'enum' ? ` (${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')})` : '';
      errors.push({
        code: 'CW-RULE-SCHEMA',
        file,
        line: lineOf(doc, lines, e.instancePath),
        message: `${ruleLabel(value, e.instancePath)}${e.instancePath || '/'} ${e.message}${extra}${allowed}`,
      });
    }
    return undefined;
  }
  const pack = value as RulePack;
  const parsed = { file, pack, doc, lines };
  docs.set(pack, parsed);
  return parsed;
}

function crossChecks(packs: LoadedPack[], errors: RuleError[]): void {
  const ids = new Map<string, string>();
  const tags = new Set<string>();
  for (const { pack } of packs) for (const r of pack.rules) for (const t of r.tags ?? []) tags.add(t);
  for (const { file, pack } of packs) {
    const parsed = docs.get(pack);
    pack.rules.forEach((rule, i) => {
      const line = (path: string) => (parsed ? lineOf(parsed.doc, parsed.lines, `/rules/${i}${path}`) : 0);
      const first = ids.get(rule.id);
      if (first)
        errors.push({
          code: 'CW-RULE-DUPLICATE-ID',
          file,
          line: line('/id'),
          message: `rule id ${rule.id} is already defined in ${first}`,
        });
      else ids.set(rule.id, file);
      for (const [j, test] of [
        ...(rule.when.all ?? []),
        ...(rule.when.any ?? []),
        ...(rule.when.none ?? []),
      ].entries()) {
        if (test.regex === undefined) continue;
        try {
          new RegExp(test.regex);
        } catch (e) {
          errors.push({
            code: 'CW-RULE-BAD-REGEX',
            file,
            line: line(`/when`),
            message: `rule ${rule.id} test ${j + 1}: ${(e as Error).message}`,
          });
        }
      }
      for (const t of rule.condition?.after?.tags ?? []) {
        if (!tags.has(t))
          errors.push({
            code: 'CW-RULE-UNKNOWN-TAG',
            file,
            line: line('/condition/after/tags'),
            message: `rule ${rule.id} waits for tag "${t}", which no rule declares`,
          });
      }
    });
  }
}

function ruleLabel(value: unknown, pointer: string): string {
  const m = /^\/rules\/(\d+)/.exec(pointer);
  if (!m) return '';
  const id = (value as { rules?: { id?: unknown }[] }).rules?.[Number(m[1])]?.id;
  return typeof id === 'string' ? `rule ${id}: ` : '';
}

/** The line of a JSON pointer in the YAML document (the nearest existing ancestor). */
function lineOf(doc: Document, lines: LineCounter, pointer: string): number {
  const parts = pointer
    .split('/')
    .slice(1)
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p.replaceAll('~1', '/').replaceAll('~0', '~')));
  for (let n = parts.length; n >= 0; n--) {
    const node = doc.getIn(parts.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === 'object' && node.range) return lines.linePos(node.range[0]).line;
  }
  return 1;
}
