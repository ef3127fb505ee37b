/** Signal rules are data: the default pack loads; bad packs fail with a code, the file and the line. */
import { describe, expect, it } from 'vitest';
import { SignalEngine } from '../../src/signals/engine.ts';
import { checkRulePackText } from '../../src/signals/loadRules.ts';

describe('signal rule packs', () => {
  it('the default pack loads with the required coverage', () => {
    const engine = SignalEngine.load();
    const ids = engine.rules.map((r) => r.def.id);
    for (const id of [
      'CW-CRED-SA-TOKEN',
      'CW-CRED-AZURE-WI-TOKEN',
      'CW-CRED-CLOUD-CLI',
      'CW-CRED-SSH-KEY',
      'CW-CRED-SHADOW',
      'CW-CRED-SECRETS-FILE',
      'CW-IMDS-ACCESS',
      'CW-SHELL-FROM-TOOL',
      'CW-EXEC-WRITABLE-PATH',
      'CW-EGRESS-NEW',
      'CW-EGRESS-AFTER-SENSITIVE-READ',
      'CW-TOOL-NEW-FOR-AGENT',
      'CW-TOOL-RISK-JUMP',
      'CW-VENDOR-ALERT',
    ])
      expect(ids).toContain(id);
    for (const r of engine.rules) expect(r.def.severity).toBeTruthy();
    expect(engine.rules.filter((r) => r.def.atlas?.length).length).toBeGreaterThan(8);
  });

  it('reports YAML syntax errors with their line', () => {
    const errors = checkRulePackText('bad.yaml', 'pack: x\nversion: 1.0.0\nrules:\n  - id: [unclosed\n');
    expect(errors[0]).toMatchObject({ code: 'CW-RULE-SYNTAX', file: 'bad.yaml', line: expect.any(Number) });
  });

  it('reports schema errors at the line of the offending rule field', () => {
    const text = [
      'pack: mine',
      'version: 1.0.0',
      'rules:',
      '  - id: MY-RULE',
      '    name: test',
      '    description: test',
      '    severity: Severe',
      '    when:',
      '      kind: [process.exec]',
    ].join('\n');
    const [e] = checkRulePackText('mine.yaml', text);
    expect(e).toMatchObject({ code: 'CW-RULE-SCHEMA', file: 'mine.yaml', line: 7 });
    expect(e?.message).toMatch(/rule MY-RULE: \/rules\/0\/severity must be equal to one of the allowed values/);
  });

  it('reports duplicate ids, bad regular expressions and unknown tags', () => {
    const rule = (id: string, extra = '') =>
      [
        `  - id: ${id}`,
        '    name: n',
        '    description: d',
        '    severity: Low',
        '    when:',
        '      kind: [network.connect]',
        extra,
      ]
        .filter(Boolean)
        .join('\n');
    const text = [
      'pack: mine',
      'version: 1.0.0',
      'rules:',
      rule('MY-A', '      all:\n        - field: network.domain\n          regex: "(unclosed"'),
      rule('MY-A'),
      rule(
        'MY-B',
        '    condition:\n      after:\n        tags: [nope]\n        withinSeconds: 10\n        in: workload',
      ),
    ].join('\n');
    const codes = checkRulePackText('mine.yaml', text)
      .map((e) => e.code)
      .sort();
    expect(codes).toEqual(['CW-RULE-BAD-REGEX', 'CW-RULE-DUPLICATE-ID', 'CW-RULE-UNKNOWN-TAG']);
  });
});
