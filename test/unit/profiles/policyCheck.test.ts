/**
 * policy check's core on hand-made flows: a SeccompProfile judged as if enforcing (syscalls and the
 * process allow-list), Cilium selectors, entities and deny rules, and where the window comes from.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readDrafts } from '../../../src/profiles/draftDocument.ts';
import type { AddressBook } from '../../../src/profiles/egressVerdict.ts';
import type { ObservedFlow } from '../../../src/profiles/observedFlow.ts';
import { checkPolicies } from '../../../src/profiles/policyCheck.ts';
import { BASE } from './enforceScenario.ts';
import { GOLDEN } from './golden.ts';

const book: AddressBook = {
  workloadOf: (ip) => (ip === '10.244.2.41' ? { namespace: 'agents', workloadName: 'kb-tools' } : undefined),
  namesOf: () => [],
};

function flow(f: Partial<ObservedFlow> & Pick<ObservedFlow, 'kind'>, workload = 'research-agent'): ObservedFlow {
  return {
    workload: {
      cluster: 'aks-demo',
      namespace: 'agents',
      workloadKind: 'Deployment',
      workloadName: workload,
      container: 'agent',
    },
    first: BASE,
    last: BASE,
    count: 1,
    seenIn: 'event',
    ...f,
  };
}

describe('policy check', () => {
  it('judges a SeccompProfile as if it enforced: unlisted syscalls and executables outside the allow-list', () => {
    const drafts = readDrafts(
      readFileSync(GOLDEN + 'research-agent.seccomp.yaml', 'utf8'),
      'research-agent.seccomp.yaml',
    );
    const result = checkPolicies({
      drafts,
      book,
      stories: new Map([['s1', { severity: 'High', title: 'Shell in agent' }]]),
      flows: [
        flow({ kind: 'syscall', syscalls: ['openat', 'open', 'openat2'] }),
        flow({ kind: 'syscall', syscalls: ['ptrace'], process: '/usr/local/bin/python3' }),
        flow({ kind: 'exec', executable: '/usr/bin/git' }),
        flow({ kind: 'exec', executable: '/bin/sh', storyId: 's1' }),
        flow({ kind: 'connect', ip: '203.0.113.9', port: 443 }), // not seccomp's business
      ],
    });
    const [target] = result.targets;
    expect(target!.label).toBe(
      'SeccompProfile causeway-draft-research-agent-agent-seccomp for agents/research-agent:agent',
    );
    expect(target!.evaluated).toBe(4);
    expect(target!.denied.map((d) => [d.reason, d.benign])).toEqual([
      ['/bin/sh is not in the process allow-list (causeway.io/allowed-executables)', false],
      ['ptrace is not allowed (the default would refuse it once enforcing)', true],
    ]);
    expect(result.benignDenied).toBe(1);
  });

  it('matches Cilium selectors by the owner of the address, entities by where it is, and applies deny rules first', () => {
    const [draft] = readDrafts(
      `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: agent, namespace: agents}
spec:
  endpointSelector: {matchLabels: {app.kubernetes.io/name: support-agent}}
  egress:
    - toEndpoints: [{matchLabels: {app.kubernetes.io/name: kb-tools}}]
      toPorts: [{ports: [{port: "8080", protocol: TCP}]}]
    - toEntities: [world]
      toPorts: [{ports: [{port: "443", protocol: TCP}]}]
  egressDeny:
    - toCIDR: [169.254.169.254/32]
`,
      'agent.yaml',
    );
    const judged = (f: Partial<ObservedFlow>) =>
      checkPolicies({
        drafts: [draft!],
        book,
        stories: new Map(),
        flows: [flow({ kind: 'connect', ...f }, 'support-agent')],
      }).targets[0]!.denied.map((d) => d.reason);
    expect(judged({ ip: '10.244.2.41', port: 8080 })).toEqual([]);
    expect(judged({ domain: 'kb-tools.agents.svc', port: 8080 })).toEqual([]);
    expect(judged({ ip: '10.244.2.41', port: 9090 })).toEqual([
      'no rule allows 10.244.2.41:9090/TCP (pod of agents/kb-tools)',
    ]);
    expect(judged({ ip: '20.42.65.92', port: 443 })).toEqual([]);
    expect(judged({ ip: '10.0.12.4', port: 443 })).toEqual(['no rule allows 10.0.12.4:443/TCP']);
    expect(judged({ ip: '169.254.169.254', port: 80 })).toEqual(['an egressDeny rule of agent matches']);
  });

  it('takes the window from how long the workload was watched, not only from its flows', () => {
    const [draft] = readDrafts(
      'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: redis, namespace: cache}\nspec: {podSelector: {matchLabels: {app: redis}}, policyTypes: [Egress], egress: []}\n',
      'redis.yaml',
    );
    const week = { first: BASE, last: BASE + 7 * 86_400_000 };
    const result = checkPolicies({
      drafts: [draft!],
      book,
      stories: new Map(),
      flows: [],
      windows: new Map([['cache/redis', week]]),
    });
    expect(result.targets[0]!.window).toEqual(week);
    expect(result.unobserved).toEqual([]);
    expect(checkPolicies({ drafts: [draft!], book, stories: new Map(), flows: [] }).unobserved).toEqual([
      'NetworkPolicy for cache/redis',
    ]);
  });
});
