/**
 * Golden scenarios: whole stories compared with the files in golden/. A missing golden file fails;
 * regenerate after an intended change with `UPDATE_GOLDEN=1 npm test -- test/scenario` and review
 * the diff.
 */
import { describe, expect, it } from 'vitest';
import { demoAttack, EXFIL_IP } from '../../src/demo/scenarios.ts';
import {
  benignHour,
  CLUSTER_EGRESS,
  compromisedTool,
  FILE_TOOLS_IDENTITY,
  identityUsedFromExfil,
  imdsTheft,
  reverseShell,
  saTokenUsed,
  shuffledWithDuplicates,
} from './scenarios.ts';
import { loadConfig } from '../../src/config/config.ts';
import type { Story } from '../../src/model/story.ts';
import { expectGoldenJson } from '../helpers/golden.ts';
import { comparable, liveStories, runScenario, type Run } from '../helpers/pipeline.ts';

const BASE = Date.parse('2026-11-20T10:00:00Z');
const GOLDEN = new URL('./golden/', import.meta.url).pathname;

function golden(name: string, stories: Story[]): void {
  expectGoldenJson(`${GOLDEN}${name}.json`, stories.map(comparable));
}

/** The demo cluster with the file-tools workload identity and the cluster's egress addresses configured. */
function cloudConfig() {
  return loadConfig({
    env: { CAUSEWAY_CLUSTER: 'aks-demo' },
    flags: {
      'cloud.workloadIdentities': { value: { 'agents/file-tools': FILE_TOOLS_IDENTITY.clientId }, flag: 'test' },
      'cloud.egressAddresses': { value: [CLUSTER_EGRESS], flag: 'test' },
    },
  }).config;
}

const kinds = (s: Story, kind: string) => s.timeline.filter((t) => t.kind === kind);

describe('golden scenarios', () => {
  let demo: Run;

  it('demo: indirect prompt injection → read_file reads a token → http_post exfiltrates', async () => {
    demo = await runScenario(demoAttack('aks-demo', BASE));
    const stories = liveStories(demo);
    expect(stories).toHaveLength(1);
    const s = stories[0]!;
    expect(s.severity).toBe('High');
    expect(s.layers).toEqual(['prompt', 'agent', 'protocol', 'process', 'file', 'network', 'alert']);
    expect(s.workloads).toEqual([
      'aks-demo/agents/Deployment/file-tools',
      'aks-demo/agents/Deployment/travel-agent',
      'aks-demo/agents/Deployment/web-tools',
    ]);
    expect(s.entities.alerts).toContain('defender:AI.Azure_Jailbreak.ContentFiltering.DetectedAttempt');
    expect(s.toolNames).toEqual(['fetch_url', 'http_post', 'read_file']);
    expect(s.entities.files).toContain('/var/run/secrets/azure/tokens/azure-identity-token');
    expect(s.entities.ips).toContain(EXFIL_IP);
    expect(s.signals.map((x) => x.ruleId)).toEqual(
      expect.arrayContaining([
        'CW-AI-JAILBREAK',
        'CW-SHELL-FROM-TOOL',
        'CW-CRED-AZURE-WI-TOKEN',
        'CW-STORY-EXFIL-CHAIN',
      ]),
    );
    expect(new Set(s.graph.edges.map((e) => e.reason))).toEqual(
      new Set(['prompted', 'called', 'same-session', 'ran-in-tool', 'spawned', 'accessed', 'connected', 'alerted']),
    );
    expect(s.atlasTechniques).toEqual(expect.arrayContaining(['AML.T0051', 'AML.T0053', 'AML.T0086']));
    expect(kinds(s, 'mcp.request').length).toBe(6);
    golden('demo', stories);
  });

  it('compromised MCP tool after an image update: shell, download to /tmp, execution, Kubescape and Falco alerts', async () => {
    const run = await runScenario(compromisedTool('aks-demo', BASE));
    const stories = liveStories(run);
    expect(stories).toHaveLength(1);
    const s = stories[0]!;
    expect(s.signals.map((x) => x.ruleId)).toEqual(
      expect.arrayContaining(['CW-SHELL-FROM-TOOL', 'CW-DOWNLOAD-TOOL', 'CW-EXEC-WRITABLE-PATH', 'CW-VENDOR-ALERT']),
    );
    expect(s.entities.alerts).toEqual(['falco:Drop and execute new binary in container', 'kubescape:R1001']);
    expect(s.entities.processes).toContain('/tmp/.u');
    // Falcosidekick's Event Hub output sends each alert twice: one is dropped as a duplicate.
    expect(run.stages.reasons.dropped.duplicate).toBe(1);
    golden('compromised-tool', stories);
  });

  it('a reverse shell in an unrelated pod stays its own story while agents work normally', async () => {
    const run = await runScenario(reverseShell('aks-demo', BASE));
    const stories = liveStories(run);
    expect(stories).toHaveLength(1);
    expect(stories[0]!.workloads).toEqual(['aks-demo/shop/Deployment/legacy-php']);
    expect(stories[0]!.agentNames).toEqual([]);
    golden('reverse-shell', stories);
  });

  it('IMDS token theft through a tool after a jailbreak alert', async () => {
    const run = await runScenario(imdsTheft('aks-demo', BASE));
    const [s, ...rest] = liveStories(run);
    expect(rest).toHaveLength(0);
    expect(s!.signals.map((x) => x.ruleId)).toEqual(expect.arrayContaining(['CW-AI-JAILBREAK', 'CW-IMDS-ACCESS']));
    expect(s!.graph.edges.some((e) => e.reason === 'prompted' && /application name ops-agent/.test(e.detail))).toBe(
      true,
    );
    golden('imds-theft', [s!]);
  });

  it('one hour of benign agent traffic gives no Medium or High story', async () => {
    const run = await runScenario(benignHour('aks-demo', BASE));
    expect(run.records.counts.delivered).toBeGreaterThan(5000);
    expect(liveStories(run).filter((s) => s.severity === 'Medium' || s.severity === 'High')).toEqual([]);
    golden('benign-hour', liveStories(run));
  });

  it('workload-identity token read → exfiltration → sign-in from the exfil address → Key Vault SecretGet is one story', async () => {
    const run = await runScenario(identityUsedFromExfil('aks-demo', BASE), cloudConfig());
    const stories = liveStories(run);
    expect(stories).toHaveLength(1);
    const s = stories[0]!;
    expect(s.layers).toContain('cloud');
    const cloud = s.timeline.filter((t) => t.layer === 'cloud');
    // The attacker's sign-in and secret read from the exfil address; none of the routine ones from the egress address.
    expect(cloud.map((t) => t.kind)).toEqual(['cloud.sign-in', 'cloud.secret-access']);
    expect(s.entities.ips).not.toContain('20.31.7.18');
    const reasons = s.graph.edges.map((e) => e.reason);
    expect(reasons).toContain('identity-used-from-exfil-destination');
    expect(reasons).toContain('credential-used');
    expect(s.riskBreakdown.map((f) => f.factor)).toContain('credential-used');
    expect(s.severity).toBe('High');
    expect(s.narrative).toMatch(
      /signed in to Azure Key Vault .* from 203\.0\.113\.50 \(identity-used-from-exfil-destination, from step \d+\)/,
    );
    expect(s.narrative).toMatch(
      /SecretGet secrets payments-db-password from 203\.0\.113\.50 \(credential-used, from step \d+\)/,
    );
    golden('identity-used-from-exfil', stories);
  });

  it('the same cloud story whichever arrives first: sign-ins before the token read, or in order', async () => {
    const inputs = identityUsedFromExfil('aks-demo', BASE);
    const cloudFirst = [...inputs.filter((i) => i.input === 'cloud'), ...inputs.filter((i) => i.input !== 'cloud')];
    const inOrder = liveStories(await runScenario(inputs, cloudConfig()));
    const reversed = liveStories(await runScenario(cloudFirst, cloudConfig()));
    expect(reversed.map(comparable)).toEqual(inOrder.map(comparable));
  });

  it('a service-account token read, then create pods/exec from a foreign address, is one story; routine requests stay out', async () => {
    const run = await runScenario(saTokenUsed('aks-demo', BASE));
    const stories = liveStories(run);
    expect(stories).toHaveLength(1);
    const s = stories[0]!;
    const cloud = s.timeline.filter((t) => t.layer === 'cloud');
    expect(cloud).toHaveLength(2);
    expect(s.narrative).toMatch(/create pods\/exec .* from 203\.0\.113\.9 \(credential-used, from step \d+\)/);
    expect(s.narrative).not.toMatch(/configmaps/);
    expect(s.graph.edges.filter((e) => e.reason === 'credential-used')).toHaveLength(2);
    golden('sa-token-used', stories);
  });

  it('a workload identity signing in from the cluster egress addresses stays out of every story', async () => {
    const inputs = identityUsedFromExfil('aks-demo', BASE).filter(
      (i) => i.input === 'cloud' && !i.body.includes('203.0.113.50'),
    );
    expect(inputs.length).toBe(6);
    const run = await runScenario(inputs, cloudConfig());
    expect(run.records.counts.delivered).toBe(6);
    expect(liveStories(run)).toEqual([]);
  });

  it('heavy out-of-order and duplicate delivery gives the same story as in order', async () => {
    const shuffled = await runScenario(shuffledWithDuplicates(demoAttack('aks-demo', BASE)));
    expect(shuffled.stages.reasons.dropped.duplicate).toBeGreaterThan(100);
    expect(liveStories(shuffled).map(comparable)).toEqual(liveStories(demo).map(comparable));
  });
});
