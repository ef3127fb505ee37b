/** The entities a story names, gathered from its evidence and episodes. */
import type { Episode } from '../model/episode.ts';
import type { RuntimeEvent } from '../model/event.ts';

/** The story's entities by kind (pods, processes, files, IPs, alerts, …), each list sorted. */
export function entitiesOf(evidence: RuntimeEvent[], episodes: readonly Episode[]): Record<string, string[]> {
  const acc: Record<string, Set<string>> = {};
  const add = (k: string, v: string | number | undefined) => {
    if (v === undefined || v === '') return;
    (acc[k] ??= new Set()).add(String(v));
  };
  for (const e of evidence) {
    const w = e.workload;
    add('clusters', w.cluster);
    add('namespaces', w.namespace);
    add('pods', w.pod && w.namespace ? `${w.namespace}/${w.pod}` : w.pod);
    add('nodes', w.node);
    add('containers', w.containerId);
    add('images', w.image);
    if (w.workloadKind && w.workloadName) add('workloads', `${w.namespace ?? ''}/${w.workloadKind}/${w.workloadName}`);
    if (e.kind === 'process.exec' || e.kind === 'alert') add('processes', e.process?.binary);
    add('commandLines', e.kind === 'process.exec' ? e.process?.commandLine : undefined);
    add('files', e.file?.path);
    add('ips', e.network?.dstIp);
    add('domains', e.network?.domain);
    add(
      'accounts',
      e.process?.user && e.process.user !== '0' && e.process.user !== 'root' ? e.process.user : undefined,
    );
    add('agents', e.trace?.agentName);
    add('tools', e.trace?.toolName);
    add('alerts', e.alert ? `${e.alert.vendor}:${e.alert.type}` : undefined);
    add('applications', e.alert?.applicationName);
    add('endUsers', e.alert?.endUser ?? e.trace?.endUser);
    add('sourceIps', e.alert?.sourceIp);
    add('azureResources', e.alert?.azureResourceId);
    // What a stolen credential did: who acted, from where, on which Azure resource.
    add('sourceIps', e.cloud?.sourceIp);
    add('cloudPrincipals', e.cloud?.principal);
    add('azureResources', e.cloud?.resourceId);
  }
  for (const ep of episodes) for (const ip of ep.podIps) add('podIps', ip);
  return Object.fromEntries(
    Object.entries(acc)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => [k, [...v].sort()]),
  );
}
