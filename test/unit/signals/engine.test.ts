/**
 * The signal engine over rules given as data: each kind of rule (plain match, tool-call and role
 * context, first-seen, after a tag, profile deviation, tool-risk jump, vendor alert, story scope)
 * firing and not firing on small hand-made events; then the default pack, rule by rule.
 */
import { describe, expect, it, vi } from 'vitest';
import type { RuntimeEvent } from '../../../src/model/event.ts';
import { SignalEngine, type SignalContext, type SignalState } from '../../../src/signals/engine.ts';
import type { RulePack } from '../../../src/signals/rulePack.ts';
import { runtimeEvent } from '../../helpers/events.ts';

const PACK: RulePack = {
  pack: 'unit-test',
  version: '1.0.0',
  toolRisk: { high: ['*shell*', 'http_*'], benign: ['get_*'] },
  rules: [
    {
      id: 'T-SECRET-READ',
      name: 'Secret read',
      description: 'A process read cloud credentials or an SSH private key.',
      severity: 'High',
      tactics: ['CredentialAccess'],
      techniques: ['T1552.001'],
      atlas: ['AML.T0055'],
      tags: ['sensitive-read'],
      when: {
        kind: ['file.open', 'file.read'],
        any: [{ field: 'file.path', glob: ['/**/.aws/credentials', '/**/.ssh/id_*'] }],
        none: [{ field: 'file.path', suffix: ['.pub'] }],
      },
    },
    {
      id: 'T-SHELL-IN-TOOL',
      name: 'Shell in a tool call',
      description: 'A shell started inside an MCP tool call.',
      severity: 'High',
      when: {
        kind: ['process.exec'],
        any: [{ field: 'process.name', in: ['sh', 'bash'] }],
        context: { inToolCall: true },
      },
    },
    {
      id: 'T-SHELL-IN-AGENT',
      name: 'Shell in an agent',
      description: 'A shell started in an agent container.',
      severity: 'Medium',
      when: {
        kind: ['process.exec'],
        all: [{ field: 'process.name', equals: 'sh' }],
        context: { workloadRole: ['agent'] },
      },
    },
    {
      id: 'T-EGRESS-NEW',
      name: 'New egress',
      description: 'A public destination new for the workload.',
      severity: 'Low',
      when: { kind: ['network.connect'], all: [{ field: 'network.dstIp', private: false }] },
      condition: { firstSeen: { key: ['network.dstIp', 'network.dstPort'], per: 'workload' } },
    },
    {
      id: 'T-EGRESS-AFTER-READ',
      name: 'Egress after a secret read',
      description: 'A connection shortly after a sensitive read.',
      severity: 'High',
      when: { kind: ['network.connect'] },
      condition: { after: { tags: ['sensitive-read'], withinSeconds: 600, in: 'workload' } },
    },
    {
      id: 'T-NEW-EXEC',
      name: 'Executable outside the imported profile',
      description: 'Against an imported profile only.',
      severity: 'Medium',
      when: { kind: ['process.exec'] },
      condition: { deviation: { kind: 'new-executable', profile: 'imported' } },
    },
    {
      id: 'T-NEW-EGRESS',
      name: 'Egress outside the profile',
      description: 'Against any profile.',
      severity: 'Low',
      when: { kind: ['network.listen'] },
      condition: { deviation: 'new-egress' },
    },
    {
      id: 'T-TOOL-JUMP',
      name: 'Benign to high-risk tool',
      description: 'A benign tool then a high-risk one in one turn.',
      severity: 'Medium',
      when: { kind: ['tool.execute'], all: [{ field: 'trace.toolName', exists: true }] },
      condition: { toolJump: { from: 'benign', to: 'high' } },
    },
    {
      id: 'T-VENDOR',
      name: 'Vendor alert',
      description: 'Every non-AI vendor alert, with its own severity and MITRE mapping.',
      severity: 'fromAlert',
      inheritMitre: true,
      tactics: ['Execution'],
      when: { kind: ['alert'], none: [{ field: 'alert.type', glob: ['AI.*'] }] },
    },
    {
      id: 'T-STORY-EXFIL',
      name: 'Read in one place, egress in another',
      description: 'Story scope.',
      severity: 'High',
      scope: 'story',
      when: { kind: ['network.connect'], all: [{ field: 'network.dstIp', private: false }] },
      condition: { after: { tags: ['sensitive-read'], withinSeconds: 1800, in: 'story' } },
    },
  ],
};

const engine = new SignalEngine([PACK]);
const NO_ROLES = new Set<never>();
const plain: SignalContext = { inToolCall: false, workloadRoles: NO_ROLES };
const ids = (event: RuntimeEvent, ctx: SignalContext = plain) => engine.evaluate(event, ctx).map((s) => s.ruleId);

/** A state that answers nothing unless a test says otherwise, and records what it was asked. */
function state(answers: Partial<SignalState> = {}): SignalState {
  return {
    firstSeen: vi.fn(() => false),
    taggedBefore: vi.fn(() => undefined),
    toolJump: vi.fn(() => undefined),
    ...answers,
  };
}

const read = (path: string, kind: 'file.read' | 'file.write' = 'file.read') =>
  runtimeEvent(kind, {
    process: { key: 'k1', binary: '/bin/cat' },
    file: { path, operation: kind === 'file.read' ? 'read' : 'write' },
  });
const exec = (binary: string) => runtimeEvent('process.exec', { process: { key: 'k2', binary, commandLine: binary } });
const connect = (dstIp: string, dstPort = 443) =>
  runtimeEvent('network.connect', { process: { key: 'k3', binary: '/usr/bin/curl' }, network: { dstIp, dstPort } });
const tool = (toolName: string) => runtimeEvent('tool.execute', { trace: { toolName, spanKind: 'INTERNAL' } });

describe('event rules', () => {
  it('fire on a matching kind and test, with the rule severity, MITRE and ATLAS, and a reason that describes the event', () => {
    const e = read('/home/app/.aws/credentials');
    expect(engine.evaluate(e, plain)).toEqual([
      {
        id: `T-SECRET-READ:${e.id}`,
        ruleId: 'T-SECRET-READ',
        name: 'Secret read',
        severity: 'High',
        tactics: ['CredentialAccess'],
        techniques: ['T1552.001'],
        atlas: ['AML.T0055'],
        eventId: e.id,
        time: e.time,
        reason: 'cat read /home/app/.aws/credentials',
        delayed: false,
      },
    ]);
  });

  it('do not fire on another kind, a value outside the tests, or one the none list excludes', () => {
    expect(ids(read('/home/app/.aws/credentials', 'file.write'))).toEqual([]);
    expect(ids(read('/home/app/.aws/config'))).toEqual([]);
    expect(ids(read('/root/.ssh/id_ed25519'))).toEqual(['T-SECRET-READ']);
    expect(ids(read('/root/.ssh/id_ed25519.pub'))).toEqual([]);
  });

  it('with a tool-call context fire only inside a tool call; with a role only in a workload of that role', () => {
    const sh = exec('/bin/sh');
    expect(ids(sh)).toEqual([]);
    expect(ids(sh, { inToolCall: true, workloadRoles: NO_ROLES })).toEqual(['T-SHELL-IN-TOOL']);
    expect(ids(sh, { inToolCall: false, workloadRoles: new Set(['mcp-server']) })).toEqual([]);
    expect(ids(sh, { inToolCall: false, workloadRoles: new Set(['agent']) })).toEqual(['T-SHELL-IN-AGENT']);
    expect(ids(exec('/bin/bash'), { inToolCall: false, workloadRoles: new Set(['agent']) })).toEqual([]);
  });

  it('can be re-evaluated for the context rules alone, and say which kinds have any', () => {
    expect(engine.hasContextRules('process.exec')).toBe(true);
    expect(engine.hasContextRules('file.read')).toBe(false);
    const ctx: SignalContext = { inToolCall: true, workloadRoles: NO_ROLES, state: state({ deviation: () => 'x' }) };
    expect(engine.evaluate(exec('/bin/sh'), ctx).map((s) => s.ruleId)).toEqual(['T-SHELL-IN-TOOL', 'T-NEW-EXEC']);
    expect(engine.evaluate(exec('/bin/sh'), ctx, true).map((s) => s.ruleId)).toEqual(['T-SHELL-IN-TOOL']);
  });

  it('with a condition are skipped without state (stateless evaluation in ingest)', () => {
    expect(ids(connect('203.0.113.5'))).toEqual([]);
    expect(ids(exec('/usr/bin/nc'))).toEqual([]);
  });
});

describe('stateful conditions', () => {
  it('firstSeen asks the state with the rule id and its key fields, and fires only on a first sighting', () => {
    const firstSeen = vi.fn(() => true);
    const e = connect('203.0.113.5', 8443);
    const [signal] = engine.evaluate(e, { ...plain, state: state({ firstSeen }) });
    expect(firstSeen).toHaveBeenCalledWith('workload', e, 'T-EGRESS-NEW:203.0.113.5|8443');
    expect(signal).toMatchObject({
      ruleId: 'T-EGRESS-NEW',
      reason: 'curl connected to 203.0.113.5:8443 (first time for this workload)',
    });
    expect(ids(e, { ...plain, state: state({ firstSeen: () => false }) })).toEqual([]);
  });

  it('firstSeen is not asked when the tests already fail (a private address)', () => {
    const firstSeen = vi.fn(() => true);
    expect(ids(connect('10.0.0.7'), { ...plain, state: state({ firstSeen }) })).toEqual([]);
    expect(firstSeen).not.toHaveBeenCalled();
  });

  it('after fires when the state holds a tagged event within the window, naming it', () => {
    const taggedBefore = vi.fn(() => ({ eventId: 'test:file.read:1', tag: 'sensitive-read' }));
    const e = connect('10.0.0.7');
    const [signal] = engine.evaluate(e, { ...plain, state: state({ taggedBefore }) });
    expect(taggedBefore).toHaveBeenCalledWith(['sensitive-read'], 600_000, e);
    expect(signal).toMatchObject({
      ruleId: 'T-EGRESS-AFTER-READ',
      severity: 'High',
      reason: 'curl connected to 10.0.0.7:443 after a sensitive-read (test:file.read:1)',
    });
    expect(ids(e, { ...plain, state: state() })).toEqual([]);
  });

  it('deviation passes the profile kind the rule limits itself to, and cites the profile in the reason', () => {
    const deviation = vi.fn(() => 'not in the imported profile (kubescape ApplicationProfile shop/orders-api)');
    const e = exec('/usr/bin/nc');
    expect(engine.evaluate(e, { ...plain, state: state({ deviation }) })).toMatchObject([
      {
        ruleId: 'T-NEW-EXEC',
        reason:
          'nc started: /usr/bin/nc (new-executable not in the imported profile (kubescape ApplicationProfile shop/orders-api))',
      },
    ]);
    expect(deviation).toHaveBeenCalledWith('new-executable', e, 'imported');
    const listen = runtimeEvent('network.listen', { network: { srcPort: 9001 } });
    const any = vi.fn(() => undefined);
    expect(ids(listen, { ...plain, state: state({ deviation: any }) })).toEqual([]);
    expect(any).toHaveBeenCalledWith('new-egress', listen, undefined);
  });

  it('deviation never fires for a state without profiles', () => {
    expect(ids(exec('/usr/bin/nc'), { ...plain, state: state() })).toEqual([]);
  });

  it('toolJump asks the state only for a high-risk tool, and fires when a benign tool came first in the turn', () => {
    const toolJump = vi.fn(() => 'get_weather');
    expect(engine.toolRisk('Run_Shell')).toBe('high');
    expect(engine.toolRisk('get_order')).toBe('benign');
    expect(engine.toolRisk('translate')).toBe('unknown');
    expect(engine.toolRisk(undefined)).toBe('unknown');
    const jump = tool('run_shell');
    expect(engine.evaluate(jump, { ...plain, state: state({ toolJump }) })).toMatchObject([
      {
        ruleId: 'T-TOOL-JUMP',
        reason: 'high-risk tool run_shell after benign tool get_weather in the same agent turn',
      },
    ]);
    expect(toolJump).toHaveBeenCalledWith(jump, 'high');
    toolJump.mockClear();
    expect(ids(tool('get_order'), { ...plain, state: state({ toolJump }) })).toEqual([]);
    expect(toolJump).not.toHaveBeenCalled();
    expect(ids(tool('http_post'), { ...plain, state: state() })).toEqual([]);
  });
});

describe('vendor alerts and story rules', () => {
  const alert = (type: string, product = 'falco') =>
    runtimeEvent('alert', {
      source: { product, format: 'x', nativeId: 'a1' },
      alert: {
        vendor: product,
        type,
        name: 'Drop and execute new binary in container',
        severity: 'Low',
        tactics: ['Persistence'],
        techniques: ['T1543'],
        nativeId: 'a1',
      },
    });

  it('take the severity from the alert, add its MITRE mapping to the rule own, and name the alert', () => {
    const [signal] = engine.evaluate(alert('Drop and execute new binary in container'), plain);
    expect(signal).toMatchObject({
      ruleId: 'T-VENDOR',
      name: 'Vendor alert: Drop and execute new binary in container',
      severity: 'Low',
      tactics: ['Execution', 'Persistence'],
      techniques: ['T1543'],
      delayed: false,
    });
    expect(ids(alert('AI.Azure_Jailbreak.ContentFiltering.BlockedAttempt', 'defender'))).toEqual([]);
  });

  it('mark a Defender alert as delayed (it arrives late by design)', () => {
    expect(engine.evaluate(alert('K8S.NODE_ReverseShell', 'defender'), plain)[0]?.delayed).toBe(true);
  });

  it('story-scope rules are kept apart from event evaluation and fire over a story state', () => {
    expect(engine.storyRules.map((r) => r.def.id)).toEqual(['T-STORY-EXFIL']);
    const rule = engine.storyRules[0]!;
    const out = connect('203.0.113.5');
    const story = state({ taggedBefore: () => ({ eventId: 'e9', tag: 'sensitive-read' }) });
    expect(engine.evaluate(out, { ...plain, state: story }).map((s) => s.ruleId)).not.toContain('T-STORY-EXFIL');
    expect(engine.evaluateStoryRule(rule, out, story)).toMatchObject({ ruleId: 'T-STORY-EXFIL', eventId: out.id });
    expect(engine.evaluateStoryRule(rule, connect('10.1.1.1'), story)).toBeUndefined();
    expect(engine.evaluateStoryRule(rule, read('/root/.aws/credentials'), story)).toBeUndefined();
    expect(engine.evaluateStoryRule(rule, out, state())).toBeUndefined();
  });

  it('records the tags each rule puts on its events, and merges rules and tool risk across packs', () => {
    expect(engine.tagsByRule.get('T-SECRET-READ')).toEqual(['sensitive-read']);
    expect(engine.tagsByRule.get('T-VENDOR')).toEqual([]);
    const extra: RulePack = {
      pack: 'extra',
      version: '0.1.0',
      toolRisk: { high: ['exec_*'] },
      rules: [
        {
          id: 'X-CRON',
          name: 'crontab',
          description: 'd',
          severity: 'Low',
          when: { kind: ['file.read'], any: [{ field: 'file.path', prefix: ['/etc/cron'] }] },
        },
      ],
    };
    const both = new SignalEngine([PACK, extra]);
    expect(both.toolRisk('exec_sql')).toBe('high');
    expect(both.toolRisk('run_shell')).toBe('high');
    expect(both.evaluate(read('/etc/crontab'), plain).map((s) => s.ruleId)).toEqual(['X-CRON']);
  });
});

describe('the default pack, rule by rule', () => {
  const defaults = SignalEngine.load();
  const fired = (e: RuntimeEvent, ctx: SignalContext = plain) => defaults.evaluate(e, ctx).map((s) => s.ruleId);
  const alertOf = (type: string) =>
    runtimeEvent('alert', {
      source: { product: 'defender', format: 'x', nativeId: 'a' },
      alert: { vendor: 'defender', type, name: type, severity: 'Medium', tactics: [], techniques: [], nativeId: 'a' },
    });

  it.each([
    ['/var/run/secrets/kubernetes.io/serviceaccount/token', ['CW-CRED-SA-TOKEN']],
    ['/var/run/secrets/kubernetes.io/serviceaccount/ca.crt', []],
    ['/var/run/secrets/azure/tokens/azure-identity-token', ['CW-CRED-AZURE-WI-TOKEN']],
    ['/home/app/.azure/msal_token_cache.json', ['CW-CRED-CLOUD-CLI']],
    ['/root/.ssh/id_rsa', ['CW-CRED-SSH-KEY']],
    ['/root/.ssh/id_rsa.pub', []],
    ['/etc/shadow', ['CW-CRED-SHADOW']],
    ['/srv/app/.env', ['CW-CRED-SECRETS-FILE']],
    ['/etc/passwd', []],
  ])('a read of %s fires %j', (path, rules) => {
    expect(fired(read(path))).toEqual(rules);
  });

  it('IMDS and wireserver connections fire; a public first connection waits for state', () => {
    expect(fired(connect('169.254.169.254', 80))).toEqual(['CW-IMDS-ACCESS']);
    expect(fired(connect('168.63.129.16', 80))).toEqual(['CW-IMDS-ACCESS']);
    expect(fired(connect('203.0.113.5'))).toEqual([]);
  });

  it('a binary from a writable path fires anywhere; a shell or a downloader only in a tool call', () => {
    expect(fired(exec('/tmp/.x/kworkerd'))).toEqual(['CW-EXEC-WRITABLE-PATH']);
    expect(fired(exec('/usr/bin/curl'))).toEqual([]);
    const inTool: SignalContext = { inToolCall: true, workloadRoles: NO_ROLES };
    expect(fired(exec('/bin/bash'), inTool)).toEqual(['CW-SHELL-FROM-TOOL']);
    expect(fired(exec('/usr/bin/curl'), inTool)).toEqual(['CW-DOWNLOAD-TOOL']);
    expect(fired(exec('/bin/bash'), { inToolCall: false, workloadRoles: new Set(['mcp-server']) })).toEqual([
      'CW-SHELL-IN-AGENT',
    ]);
  });

  it('an alert fires exactly one of the jailbreak, AI and vendor rules', () => {
    expect(fired(alertOf('AI.Azure_Jailbreak.ContentFiltering.DetectedAttempt'))).toEqual(['CW-AI-JAILBREAK']);
    expect(fired(alertOf('Azure_Agentic_BlockedJailbreak'))).toEqual(['CW-AI-JAILBREAK']);
    expect(fired(alertOf('AI.Azure_MaliciousUrl.UserPrompt'))).toEqual(['CW-AI-ALERT']);
    expect(fired(alertOf('K8S.NODE_ReverseShell'))).toEqual(['CW-VENDOR-ALERT']);
  });
});
