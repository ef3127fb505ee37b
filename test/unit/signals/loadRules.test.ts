/**
 * Loading rule packs: every problem has a code, the file and the line where it is, all problems of
 * all packs are reported at once, and the start-up error names the fix.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.ts';
import { checkRulePackText, DEFAULT_PACK, loadRulePacks } from '../../../src/signals/loadRules.ts';

/** One rule as YAML lines (indented for the `rules:` list), with extra lines appended. */
function rule(id: string, ...extra: string[]): string[] {
  return [
    `  - id: ${id}`,
    '    name: Test rule',
    '    description: A rule written for this test.',
    '    severity: Low',
    '    when:',
    '      kind: [network.connect]',
    ...extra,
  ];
}

const pack = (name: string, ...rules: string[][]) =>
  [`pack: ${name}`, 'version: 1.0.0', 'rules:', ...rules.flat()].join('\n') + '\n';

function writePack(text: string, name = 'pack.yaml'): string {
  const file = join(mkdtempSync(join(tmpdir(), 'cw-rules-')), name);
  writeFileSync(file, text);
  return file;
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('checkRulePackText', () => {
  it('accepts a valid pack, as YAML or JSON', () => {
    expect(checkRulePackText('ok.yaml', pack('ok', rule('OK-ONE'), rule('OK-TWO')))).toEqual([]);
    const json = JSON.stringify({
      pack: 'ok',
      version: '1.0.0',
      rules: [{ id: 'OK-JSON', name: 'n', description: 'd', severity: 'High', when: { kind: ['alert'] } }],
    });
    expect(checkRulePackText('ok.json', json)).toEqual([]);
  });

  it('CW-RULE-SYNTAX: the line of the YAML error', () => {
    const text = ['pack: broken', 'version: 1.0.0', 'rules:', '  - id: [BROKEN', '    name: x'].join('\n');
    const [e] = checkRulePackText('broken.yaml', text);
    expect(e).toMatchObject({ code: 'CW-RULE-SYNTAX', file: 'broken.yaml' });
    expect(e!.line).toBeGreaterThanOrEqual(4);
  });

  it('CW-RULE-SCHEMA: an unknown key is named, at the line of the rule that has it', () => {
    const text = pack('mine', rule('MY-OK'), rule('MY-TYPO', '    severty: High'));
    const errors = checkRulePackText('mine.yaml', text);
    expect(errors).toEqual([
      {
        code: 'CW-RULE-SCHEMA',
        file: 'mine.yaml',
        line: 10,
        message: 'rule MY-TYPO: /rules/1 must NOT have additional properties "severty"',
      },
    ]);
  });

  it('CW-RULE-SCHEMA: a value outside an enum lists the allowed values, at the line of the value', () => {
    const text = pack(
      'mine',
      rule('MY-KIND').map((l) => l.replace('[network.connect]', '[network.connect, file.delete]')),
    );
    const [e] = checkRulePackText('mine.yaml', text);
    expect(e).toMatchObject({ code: 'CW-RULE-SCHEMA', line: 9 });
    expect(e!.message).toMatch(
      /^rule MY-KIND: \/rules\/0\/when\/kind\/1 must be equal to one of the allowed values \(process\.exec, /,
    );
  });

  it('CW-RULE-SCHEMA: a pack-level problem has no rule label', () => {
    const [e] = checkRulePackText('mine.yaml', 'pack: Not A Name\nversion: 1.0.0\nrules:\n' + rule('MY-A').join('\n'));
    expect(e).toMatchObject({ code: 'CW-RULE-SCHEMA', line: 1 });
    expect(e!.message).toMatch(/^\/pack must match pattern/);
  });

  it('CW-RULE-DUPLICATE-ID: at the line of the second id, naming the file of the first', () => {
    const errors = checkRulePackText('dup.yaml', pack('dup', rule('DUP-A'), rule('DUP-A')));
    expect(errors).toEqual([
      {
        code: 'CW-RULE-DUPLICATE-ID',
        file: 'dup.yaml',
        line: 10,
        message: 'rule id DUP-A is already defined in dup.yaml',
      },
    ]);
  });

  it("CW-RULE-BAD-REGEX: at the first line of the rule's when block, with the engine message", () => {
    const text = pack(
      're',
      rule('RE-A', '      all:', '        - field: network.domain', '          regex: "(unclosed"'),
    );
    const [e] = checkRulePackText('re.yaml', text);
    expect(e).toMatchObject({ code: 'CW-RULE-BAD-REGEX', file: 're.yaml', line: 9 });
    expect(e!.message).toMatch(/^rule RE-A test 1: Invalid regular expression/);
  });

  it('CW-RULE-UNKNOWN-TAG: a condition waiting for a tag no rule declares', () => {
    const text = pack(
      'tags',
      rule(
        'TAG-A',
        '    condition:',
        '      after:',
        '        tags: [sensitive-raed]',
        '        withinSeconds: 60',
        '        in: workload',
      ),
    );
    const [e] = checkRulePackText('tags.yaml', text);
    expect(e).toMatchObject({
      code: 'CW-RULE-UNKNOWN-TAG',
      line: 12,
      message: 'rule TAG-A waits for tag "sensitive-raed", which no rule declares',
    });
    // Once another rule declares the tag, the same pack loads.
    const declared = text + rule('TAG-B', '    tags: [sensitive-raed]').join('\n') + '\n';
    expect(checkRulePackText('tags.yaml', declared)).toEqual([]);
  });
});

describe('loadRulePacks', () => {
  it('loads the default pack and valid extra packs in order', () => {
    const extra = writePack(pack('extra', rule('EXTRA-ONE')));
    const loaded = loadRulePacks([DEFAULT_PACK, extra]);
    expect(loaded.map((l) => l.file)).toEqual([DEFAULT_PACK, extra]);
    expect(loaded[1]!.pack.rules.map((r) => r.id)).toEqual(['EXTRA-ONE']);
  });

  it('throws one ConfigError with every problem of every pack, each as file:line, code, and the fix', () => {
    const first = writePack(pack('first', rule('SAME-ID')), 'first.yaml');
    const second = writePack(pack('second', rule('OTHER-ID'), rule('SAME-ID')), 'second.yaml');
    const missing = join(tmpdir(), 'cw-no-such-pack.yaml');
    const e = configError(() => loadRulePacks([first, second, missing]));
    // A file that cannot be read stops the cross-pack checks: its problem is reported alone.
    expect(e.problems).toEqual([
      {
        setting: `${missing}:0`,
        problem: expect.stringMatching(/^CW-RULE-READ cannot read the rule pack \(ENOENT/),
        fix: 'check the path in signals.packs (CAUSEWAY_SIGNAL_PACKS)',
      },
    ]);
    const dup = configError(() => loadRulePacks([first, second]));
    expect(dup.problems).toEqual([
      {
        setting: `${second}:10`,
        problem: `CW-RULE-DUPLICATE-ID rule id SAME-ID is already defined in ${first}`,
        fix: 'give every rule a unique id across all packs',
      },
    ]);
    expect(dup.message).toContain(`${second}:10: CW-RULE-DUPLICATE-ID`);
  });

  it('reports schema problems of several packs together', () => {
    const a = writePack(pack('a', rule('A-ONE', '    severity2: Low')), 'a.yaml');
    const b = writePack('pack: b\nversion: one\nrules: []\n', 'b.yaml');
    const e = configError(() => loadRulePacks([a, b]));
    expect(e.problems.map((p) => [p.setting, p.problem.split(' ')[0]])).toEqual([
      [`${a}:4`, 'CW-RULE-SCHEMA'],
      [`${b}:2`, 'CW-RULE-SCHEMA'],
      [`${b}:3`, 'CW-RULE-SCHEMA'],
    ]);
    for (const p of e.problems) expect(p.fix).toBe('make the rule match schemas/signals/rule-pack.schema.json');
  });
});
