/**
 * The story goes on after egress (DESIGN §4.1): cloud audit events join the story that read the
 * credential they were made with, through two explained edges.
 *
 * - `credential-used`: a story read the service-account token in pod P (a flagged file read of
 *   `…/kubernetes.io/serviceaccount/token`), and the API server then served a request authenticated
 *   with it: the bound token's pod name is P (kube-audit `user.extra["authentication.kubernetes.io/pod-name"]`,
 *   the strongest key), or, when the record carries no pod name, the request is made as P's service
 *   account (`cloud.serviceAccounts` names it, since the sensors do not). It joins when it came from an
 *   address that is neither P's nor the cluster's egress (`cloud.egressAddresses`), or asked for
 *   something a stolen token is used for (read secrets, exec into pods, bind roles, mint tokens) that
 *   this account did not do before the read. A workload identity whose token was read acting from
 *   outside the cluster's egress addresses is `credential-used` too.
 * - `identity-used-from-exfil-destination`: a story read the Azure workload-identity token of a
 *   workload whose client id is known (`cloud.workloadIdentities`) and connected to address A; a
 *   sign-in of that client id from A joins, and so do the Key Vault operations that identity performed
 *   from A (each from the sign-in that preceded it).
 *
 * Both hold only within the credential's window after the read (the allowed lateness; a vault
 * operation may come up to an access token's lifetime later), so the same identity at work from its
 * own pod or the cluster's egress addresses stays out of every story. The join is a pure function of
 * the two episodes and the story around the read, so it is the same whichever arrives first: the link
 * index marks both ends dirty through the keys below.
 */
import type { Edge, Episode } from '../model/episode.ts';
import type { RuntimeEvent } from '../model/event.ts';
import { CidrSet, isPrivateIp } from '../common/ipAddress.ts';
import type { Link } from './links.ts';

/** What the credential edges need from the configuration. */
export interface CredentialSettings {
  /** How long after the read a request or sign-in with the credential joins (the allowed lateness). */
  windowMs: number;
  /** `<namespace>/<workload>` → service-account name (`cloud.serviceAccounts`). */
  serviceAccounts?: Readonly<Record<string, string>>;
  /** `<namespace>/<serviceaccount>` or `<namespace>/<workload>` → Entra client id (`cloud.workloadIdentities`). */
  workloadIdentities?: Readonly<Record<string, string>>;
  /** The cluster's outbound addresses (`cloud.egressAddresses`). */
  egressAddresses?: readonly string[];
}

/** What the link index lends the credential edges: episodes by key, and a story's reach without them. */
export interface CredentialView {
  withKey(key: string): Episode[];
  /** The episodes joined to this one by the other explained links (its story, before cloud events). */
  reach(ep: Episode): Episode[];
}

/** Clocks of nodes and the API server differ a little: a request this much before the read still counts. */
const SKEW_MS = 60_000;
/** An Entra access token lives 60–90 minutes: vault operations with it come up to this long after the sign-in window. */
const ACCESS_TOKEN_MS = 90 * 60_000;

/** Requests a stolen service-account token is used for (verb and resource, `*` any verb). */
const SENSITIVE: readonly [verbs: readonly string[], resource: string][] = [
  [['get', 'list', 'watch'], 'secrets'],
  [['create', 'get'], 'pods/exec'],
  [['create', 'get'], 'pods/attach'],
  [['create', 'get'], 'pods/portforward'],
  [['create', 'update', 'patch'], 'rolebindings'],
  [['create', 'update', 'patch'], 'clusterrolebindings'],
  [['create', 'update', 'patch', 'escalate', 'bind'], 'roles'],
  [['create', 'update', 'patch', 'escalate', 'bind'], 'clusterroles'],
  [['create'], 'serviceaccounts/token'],
  [['impersonate'], '*'],
];

/** The paths whose read makes a story hold a credential (the sensors normalise `/run` and `/var/run` alike). */
const SA_TOKEN = /^(\/var)?\/run\/secrets\/kubernetes\.io\/serviceaccount\/token$/;
const WI_TOKEN = /^(\/var)?\/run\/secrets\/azure\/tokens\/azure-identity-token$/;

type TokenKind = 'sa' | 'wi';

/** A flagged read of a token in one episode, with what identifies the credential. */
interface TokenRead {
  kind: TokenKind;
  event: RuntimeEvent;
  cluster: string;
  namespace: string;
  pod: string;
  serviceAccount?: string;
  clientId?: string;
}

export class CredentialLinks {
  private readonly egress: CidrSet;
  private readonly reads = new WeakMap<Episode, TokenRead[]>();

  constructor(private readonly settings: CredentialSettings) {
    this.egress = new CidrSet(settings.egressAddresses ?? []);
  }

  /** Keys of an episode (prefixed `cred:`): a token read's credential, or the credential a cloud event used. */
  keys(ep: Episode): string[] {
    const cloud = cloudEvent(ep);
    if (cloud) return cloudKeys(ep, cloud);
    const out: string[] = [];
    for (const r of this.tokenReads(ep)) {
      if (r.kind === 'sa') {
        out.push(`cred:pod:${r.cluster}/${r.namespace}/${r.pod}`);
        if (r.serviceAccount) out.push(`cred:sa:${r.cluster}/${r.namespace}/${r.serviceAccount}`);
      } else if (r.clientId) out.push(`cred:wi:${r.clientId}`);
    }
    return [...new Set(out)];
  }

  /** The cloud events a token-reading episode joins, or the token-reading episodes a cloud event joins. */
  neighbours(ep: Episode, view: CredentialView): [Episode, Link][] {
    const out: [Episode, Link][] = [];
    const seen = new Set<string>();
    const cloud = cloudEvent(ep);
    for (const key of this.keys(ep))
      for (const other of view.withKey(key)) {
        if (other.id === ep.id || seen.has(other.id)) continue;
        const link = cloud ? this.join(other, ep, view) : cloudEvent(other) ? this.join(ep, other, view) : undefined;
        if (!link) continue;
        seen.add(other.id);
        out.push([other, link]);
      }
    return out;
  }

  /** Whether the cloud episode `k` continues the story of the token read in `holder`, and why. */
  private join(holder: Episode, k: Episode, view: CredentialView): Link | undefined {
    const e = cloudEvent(k);
    if (!e?.cloud) return undefined;
    if (e.source.product === 'aks') {
      const read = this.tokenReads(holder).find((r) => r.kind === 'sa');
      return read && this.apiRequest(holder, read, e, view);
    }
    const read = this.tokenReads(holder).find((r) => r.kind === 'wi');
    return read && this.identityUse(holder, read, e, view);
  }

  /** credential-used: an API request made with the service-account token the story read. */
  private apiRequest(holder: Episode, read: TokenRead, e: RuntimeEvent, view: CredentialView): Link | undefined {
    const c = e.cloud!;
    if (c.serviceAccountNamespace !== read.namespace || e.workload.cluster !== read.cluster) return undefined;
    const byPod = c.boundPod !== undefined;
    if (byPod ? c.boundPod !== read.pod : c.serviceAccountName !== read.serviceAccount) return undefined;
    if (!within(e.time, read.event.time, this.settings.windowMs)) return undefined;
    const request = [c.operation, c.resource].filter(Boolean).join(' ');
    const token = byPod ? `the token bound to pod ${read.pod}` : `service account ${c.serviceAccountName}`;
    // Without the bound pod any replica of the workload may have sent it: only an address outside the cluster is foreign.
    const foreign = c.sourceIp !== undefined && this.foreign(c.sourceIp, holder, !byPod);
    if (foreign)
      return edge(
        read.event,
        e,
        'credential-used',
        `${token} was used from ${c.sourceIp}, not the pod's address (${request})`,
      );
    if (sensitive(c.operation, c.resource) && !this.routineBefore(read, e, holder, view))
      return edge(
        read.event,
        e,
        'credential-used',
        `${token} was used for ${request}, which this account had not done before`,
      );
    return undefined;
  }

  /** A workload identity's sign-in or vault operation from the address the data went to, or from outside the cluster. */
  private identityUse(holder: Episode, read: TokenRead, e: RuntimeEvent, view: CredentialView): Link | undefined {
    const c = e.cloud!;
    const ip = c.sourceIp;
    if (!ip || !read.clientId || c.appId !== read.clientId) return undefined;
    const signIn = e.kind === 'cloud.sign-in';
    if (!within(e.time, read.event.time, this.settings.windowMs + (signIn ? 0 : ACCESS_TOKEN_MS))) return undefined;
    const sent = this.sentTo(holder, ip, view);
    const outside = !sent && this.egress.size > 0 && this.foreign(ip, holder);
    if (!sent && !outside) return undefined;
    const reason: Edge['reason'] = sent ? 'identity-used-from-exfil-destination' : 'credential-used';
    const why = sent
      ? `${ip} received data from the story and then acted as client id ${read.clientId}`
      : `client id ${read.clientId}, whose token the story read, acted from ${ip}, outside the cluster's egress addresses`;
    if (signIn) return edge(sent ?? read.event, e, reason, why);
    // A vault operation follows the sign-in that gave its token, when the story holds one from the same address.
    const before = view
      .withKey(`cred:wi:${read.clientId}`)
      .map(cloudEvent)
      .filter((x): x is RuntimeEvent => x?.kind === 'cloud.sign-in' && x.cloud?.sourceIp === ip && x.time <= e.time)
      .sort((a, b) => b.time - a.time || (a.id < b.id ? -1 : 1))
      .find((x) => within(x.time, read.event.time, this.settings.windowMs));
    if (before)
      return edge(before, e, 'credential-used', `the identity that signed in from ${ip} then used it: ${c.operation}`);
    return edge(sent ?? read.event, e, reason, why);
  }

  /** The story's connection to `ip`, if the story around the read sent anything there. */
  private sentTo(holder: Episode, ip: string, view: CredentialView): RuntimeEvent | undefined {
    if (isPrivateIp(ip)) return undefined;
    let best: RuntimeEvent | undefined;
    for (const ep of view.reach(holder))
      for (const x of ep.evidence)
        if (x.kind === 'network.connect' && x.network?.dstIp === ip && (!best || x.time < best.time)) best = x;
    return best;
  }

  /**
   * Neither the pod's own address nor the cluster's egress. A private address is foreign only when the
   * pod's own is known and `outsideOnly` is not set (the request may come from any pod of the workload).
   */
  private foreign(ip: string, holder: Episode, outsideOnly = false): boolean {
    if (holder.podIps.includes(ip) || this.egress.has(ip)) return false;
    return !isPrivateIp(ip) || (!outsideOnly && holder.podIps.length > 0);
  }

  /** The account made the same request from its own address before the read: routine, not the theft. */
  private routineBefore(read: TokenRead, e: RuntimeEvent, holder: Episode, view: CredentialView): boolean {
    const c = e.cloud!;
    const key = `cred:sa:${read.cluster}/${c.serviceAccountNamespace}/${c.serviceAccountName}`;
    return view.withKey(key).some((ep) => {
      const x = cloudEvent(ep);
      return (
        x !== undefined &&
        x.time < read.event.time - SKEW_MS &&
        x.cloud?.operation === c.operation &&
        x.cloud.resource === c.resource &&
        (x.cloud.sourceIp === undefined || !this.foreign(x.cloud.sourceIp, holder))
      );
    });
  }

  /** Flagged reads of a token in the episode, the earliest of each kind. */
  private tokenReads(ep: Episode): TokenRead[] {
    let reads = this.reads.get(ep);
    if (reads) return reads;
    reads = [];
    if (ep.workloadKey && ep.signals.length) {
      const flagged = new Set(ep.signals.map((s) => s.eventId));
      for (const e of ep.evidence) {
        if (!e.file || !flagged.has(e.id) || !e.kind.startsWith('file.')) continue;
        const kind: TokenKind | undefined = SA_TOKEN.test(e.file.path)
          ? 'sa'
          : WI_TOKEN.test(e.file.path)
            ? 'wi'
            : undefined;
        const { namespace, pod, workloadName } = e.workload;
        if (!kind || !namespace || !pod || reads.some((r) => r.kind === kind && r.event.time <= e.time)) continue;
        const serviceAccount = this.settings.serviceAccounts?.[`${namespace}/${workloadName ?? ''}`];
        const ids = this.settings.workloadIdentities ?? {};
        const clientId = (
          ids[`${namespace}/${serviceAccount ?? ''}`] ?? ids[`${namespace}/${workloadName ?? ''}`]
        )?.toLowerCase();
        reads = reads.filter((r) => r.kind !== kind);
        reads.push({ kind, event: e, cluster: ep.cluster, namespace, pod, serviceAccount, clientId });
      }
    }
    this.reads.set(ep, reads);
    return reads;
  }
}

/** The cloud audit event of a cloud episode (stage ① wraps each in an episode of its own). */
function cloudEvent(ep: Episode): RuntimeEvent | undefined {
  const e = ep.workloadKey === '' ? ep.evidence[0] : undefined;
  return e?.layer === 'cloud' && e.cloud ? e : undefined;
}

/** The credential a cloud event was made with: a service account (and its bound pod), or an Entra client id. */
function cloudKeys(ep: Episode, e: RuntimeEvent): string[] {
  const c = e.cloud!;
  if (e.source.product === 'aks') {
    if (c.principalType !== 'service-account' || !c.serviceAccountNamespace || !c.serviceAccountName) return [];
    const cluster = e.workload.cluster ?? ep.cluster;
    const keys = [`cred:sa:${cluster}/${c.serviceAccountNamespace}/${c.serviceAccountName}`];
    if (c.boundPod) keys.push(`cred:pod:${cluster}/${c.serviceAccountNamespace}/${c.boundPod}`);
    return keys;
  }
  return c.appId ? [`cred:wi:${c.appId.toLowerCase()}`] : [];
}

function within(time: number, readTime: number, windowMs: number): boolean {
  return time >= readTime - SKEW_MS && time <= readTime + windowMs;
}

function sensitive(verb: string, resource: string | undefined): boolean {
  return SENSITIVE.some(([verbs, r]) => (r === '*' || r === resource) && verbs.includes(verb));
}

function edge(from: RuntimeEvent, to: RuntimeEvent, reason: Edge['reason'], detail: string): Link {
  return { reason, detail, edge: { from: from.id, to: to.id, reason, detail } };
}
