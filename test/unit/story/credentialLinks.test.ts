/**
 * The cloud audit edges of the story stage (story/credentialLinks.ts): which API requests, sign-ins
 * and vault operations continue the story that read the credential they were made with, and which
 * (the identity's routine from its own pod or the cluster's egress) stay out, in any arrival order.
 */
import { describe, expect, it } from 'vitest';
import type { Episode, Signal } from '../../../src/model/episode.ts';
import type { CloudInfo, RuntimeEvent } from '../../../src/model/event.ts';
import type { Story } from '../../../src/model/story.ts';
import type { CredentialSettings } from '../../../src/story/credentialLinks.ts';
import { StoryStage } from '../../../src/story/storyStage.ts';
import { MCP, read, T0, unitSignals } from '../../helpers/workloadEvents.ts';

const MIN = 60_000;
const POD_IP = '10.244.1.5';
const CLIENT_ID = '5d2f7a10-3c4b-4e8f-9a61-7b0c2d4e6f81';
const SA_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';
const WI_TOKEN = '/var/run/secrets/azure/tokens/azure-identity-token';

function stage(credentials: Partial<CredentialSettings> = {}): StoryStage {
  return new StoryStage({
    signals: unitSignals(),
    allowedLatenessMs: 45 * MIN,
    storyIdleMs: 30 * MIN,
    maxEpisodes: 100,
    maxStories: 100,
    partition: 0,
    partitions: 1,
    credentials: { windowMs: 45 * MIN, ...credentials },
  });
}

/** A tool episode in the MCP pod whose read of `path` was flagged, with the connections it made. */
function tokenRead(path: string, connects: string[] = []): Episode {
  const r = read('read-1', 'p1', 1_000, path);
  const net: RuntimeEvent[] = connects.map((ip, i) => ({
    id: `connect-${i}`,
    layer: 'network',
    kind: 'network.connect',
    time: T0 + 2_000 + i,
    source: { product: 'tetragon', format: 'unit', nativeId: `c${i}` },
    workload: { ...MCP },
    process: { key: 'p1' },
    network: { srcIp: POD_IP, dstIp: ip, dstPort: 443 },
  }));
  const signal: Signal = {
    id: 'sig-read',
    ruleId: 'CW-CRED',
    name: 'Token read',
    severity: 'High',
    tactics: ['CredentialAccess'],
    techniques: ['T1528'],
    atlas: [],
    eventId: r.id,
    time: r.time,
    reason: 'token read',
    delayed: false,
  };
  const evidence = [r, ...net];
  return {
    id: 'ep:tool',
    version: 1,
    kind: 'tool',
    cluster: 'c1',
    workloadKey: 'c1/tools/Deployment/mcp',
    workload: MCP,
    start: T0 + 1_000,
    end: Math.max(...evidence.map((e) => e.time)),
    traceIds: [],
    mcpSessionIds: [],
    conversationIds: [],
    agentNames: [],
    toolNames: [],
    podIps: [POD_IP],
    clientIps: [],
    endUsers: [],
    signals: [signal],
    evidence,
    edges: [],
    elided: 0,
  };
}

/** A cloud audit event in an episode of its own, as stage ① wraps it. */
function cloudEpisode(
  id: string,
  at: number,
  kind: RuntimeEvent['kind'],
  product: string,
  cloud: Partial<CloudInfo>,
): Episode {
  const e: RuntimeEvent = {
    id,
    layer: 'cloud',
    kind,
    time: T0 + at,
    source: { product, format: `${product}.unit`, nativeId: id },
    workload: product === 'aks' ? { cluster: 'c1' } : {},
    cloud: { principal: 'x', principalType: 'unknown', operation: 'get', result: 'success', ...cloud },
  };
  return {
    id: `ep:alert:${id}`,
    version: 1,
    kind: 'signal',
    cluster: product === 'aks' ? 'c1' : '',
    workloadKey: '',
    workload: e.workload,
    start: e.time,
    end: e.time,
    traceIds: [],
    mcpSessionIds: [],
    conversationIds: [],
    agentNames: [],
    toolNames: [],
    podIps: [],
    clientIps: [],
    endUsers: [],
    signals: [],
    evidence: [e],
    edges: [],
    elided: 0,
  };
}

/** A request to the API server as the MCP pod's service account. */
function request(
  id: string,
  at: number,
  ip: string,
  verb: string,
  resource: string,
  boundPod: string | null = MCP.pod!,
) {
  return cloudEpisode(id, at, 'cloud.api-request', 'aks', {
    principal: 'system:serviceaccount:tools:mcp-sa',
    principalType: 'service-account',
    serviceAccountNamespace: 'tools',
    serviceAccountName: 'mcp-sa',
    boundPod: boundPod ?? undefined,
    sourceIp: ip,
    operation: verb,
    resource,
  });
}

function signIn(id: string, at: number, ip: string, appId = CLIENT_ID) {
  return cloudEpisode(id, at, 'cloud.sign-in', 'entra', {
    principalType: 'service-principal',
    appId,
    sourceIp: ip,
    operation: 'sign-in',
  });
}

function secretGet(id: string, at: number, ip: string) {
  return cloudEpisode(id, at, 'cloud.secret-access', 'keyvault', {
    principalType: 'service-principal',
    appId: CLIENT_ID,
    sourceIp: ip,
    operation: 'SecretGet',
    name: 'db-password',
  });
}

/** The stories of these episodes, delivered one batch each in the given order, end of input. */
function run(s: StoryStage, episodes: Episode[]): Story[] {
  const out = new Map<string, Story>();
  // A version carries only the evidence not written before: gather every version's.
  const evidence = new Map<string, Story['evidence']>();
  const keep = (stories: Story[]) => {
    for (const st of stories) {
      out.set(st.storyId, st);
      evidence.set(st.storyId, [...(evidence.get(st.storyId) ?? []), ...st.evidence]);
    }
  };
  for (const ep of episodes) keep(s.process([{ key: 'c1', episode: ep }]).stories);
  keep(s.flush().stories);
  return [...out.values()]
    .filter((x) => x.status !== 'merged')
    .map((x) => ({ ...x, evidence: evidence.get(x.storyId)! }));
}

const cloudIn = (s: Story) =>
  [...new Set(s.evidence.filter((e) => e.event.layer === 'cloud').map((e) => e.event.id))].sort();
const reasons = (s: Story) => s.graph.edges.map((e) => e.reason).sort();

describe('credential-used: a service-account token the story read, then used', () => {
  it('joins a request made with the token bound to the pod from a foreign address, whichever arrives first', () => {
    const episodes = [tokenRead(SA_TOKEN), request('exec', 5 * MIN, '203.0.113.9', 'create', 'pods/exec')];
    const forward = run(stage(), episodes);
    const backward = run(stage(), [...episodes].reverse());
    expect(forward).toHaveLength(1);
    expect(cloudIn(forward[0]!)).toEqual(['exec']);
    expect(reasons(forward[0]!)).toEqual(['credential-used']);
    expect(forward[0]!.riskBreakdown.map((f) => f.factor)).toContain('credential-used');
    expect(cloudIn(backward[0]!)).toEqual(['exec']);
    expect(backward[0]!.graph).toEqual(forward[0]!.graph);
  });

  it("leaves out the account's routine requests from the pod's own address, and a sensitive one it made before the read", () => {
    const stories = run(stage(), [
      request('list-before', -10 * MIN, POD_IP, 'list', 'secrets'),
      tokenRead(SA_TOKEN),
      request('configmap', 3 * MIN, POD_IP, 'get', 'configmaps'),
      request('list-after', 4 * MIN, POD_IP, 'list', 'secrets'),
      request('bind', 5 * MIN, POD_IP, 'create', 'clusterrolebindings'),
    ]);
    expect(stories).toHaveLength(1);
    // create clusterrolebindings is what a stolen token is used for, and the account never did it before.
    expect(cloudIn(stories[0]!)).toEqual(['bind']);
  });

  it('leaves out requests with the token of another pod, and requests after the window', () => {
    const stories = run(stage(), [
      tokenRead(SA_TOKEN),
      request('other-pod', 2 * MIN, '203.0.113.9', 'create', 'pods/exec', 'mcp-7d4b9c6f5d-zzzzz'),
      request('late', 50 * MIN, '203.0.113.9', 'create', 'pods/exec'),
    ]);
    expect(cloudIn(stories[0]!)).toEqual([]);
  });

  it('without a bound pod name joins by the configured service account, only from outside the cluster', () => {
    const settings = { serviceAccounts: { 'tools/mcp': 'mcp-sa' } };
    const stories = run(stage(settings), [
      tokenRead(SA_TOKEN),
      request('replica', 2 * MIN, '10.244.2.9', 'get', 'configmaps', null),
      request('outside', 3 * MIN, '203.0.113.9', 'get', 'configmaps', null),
    ]);
    expect(cloudIn(stories[0]!)).toEqual(['outside']);
    // Without the setting the account is unknown: nothing joins.
    const unmapped = run(stage(), [
      tokenRead(SA_TOKEN),
      request('outside', 3 * MIN, '203.0.113.9', 'get', 'configmaps', null),
    ]);
    expect(cloudIn(unmapped[0]!)).toEqual([]);
  });
});

describe('identity-used-from-exfil-destination: the workload identity whose token the story read', () => {
  const mapped = { workloadIdentities: { 'tools/mcp': CLIENT_ID }, egressAddresses: ['20.31.7.16/29'] };

  it('joins a sign-in from the address the story sent data to, and the vault operation after it, in any order', () => {
    const episodes = [
      tokenRead(WI_TOKEN, ['203.0.113.50']),
      signIn('signin', 6 * MIN, '203.0.113.50'),
      secretGet('secret', 7 * MIN, '203.0.113.50'),
      signIn('routine', 6 * MIN, '20.31.7.18'),
      secretGet('routine-secret', 6 * MIN + 500, '20.31.7.18'),
    ];
    const forward = run(stage(mapped), episodes);
    const backward = run(stage(mapped), [...episodes].reverse());
    expect(cloudIn(forward[0]!)).toEqual(['secret', 'signin']);
    const edges = forward[0]!.graph.edges.filter((e) => e.reason !== 'accessed');
    expect(edges.map((e) => e.reason).sort()).toEqual(['credential-used', 'identity-used-from-exfil-destination']);
    expect(backward[0]!.graph).toEqual(forward[0]!.graph);
  });

  it('joins a sign-in from outside the egress addresses as credential-used, and nothing without the client id', () => {
    const stories = run(stage(mapped), [tokenRead(WI_TOKEN), signIn('elsewhere', 6 * MIN, '198.51.100.4')]);
    expect(cloudIn(stories[0]!)).toEqual(['elsewhere']);
    expect(reasons(stories[0]!)).toEqual(['credential-used']);
    const unmapped = run(stage({ egressAddresses: mapped.egressAddresses }), [
      tokenRead(WI_TOKEN),
      signIn('elsewhere', 6 * MIN, '198.51.100.4'),
    ]);
    expect(cloudIn(unmapped[0]!)).toEqual([]);
  });

  it('makes no story of sign-ins and vault operations alone', () => {
    expect(
      run(stage(mapped), [signIn('signin', 6 * MIN, '203.0.113.50'), secretGet('secret', 7 * MIN, '203.0.113.50')]),
    ).toEqual([]);
  });
});

describe('a credential used after its story closed', () => {
  it('reopens the story it continues (same StoryId, a new version), not a story of its own', () => {
    const s = stage({ workloadIdentities: { 'tools/mcp': CLIENT_ID } });
    const first = s.process([{ key: 'c1', episode: tokenRead(WI_TOKEN, ['203.0.113.50']) }]).stories;
    expect(first).toHaveLength(1);
    const closed = s.tick(T0 + 40 * MIN).stories;
    expect(closed.map((x) => x.status)).toEqual(['closed']);
    const late = s.process([{ key: 'c1', episode: signIn('signin', 42 * MIN, '203.0.113.50') }]).stories;
    expect(late).toHaveLength(1);
    expect(late[0]!.storyId).toBe(first[0]!.storyId);
    expect(late[0]!.status).toBe('open');
    expect(late[0]!.version).toBeGreaterThan(closed[0]!.version);
    expect(late[0]!.evidence.map((e) => e.event.id)).toContain('signin');
  });
});
