/**
 * Would this SeccompProfile, enforcing, refuse what the container was seen doing? Syscalls are
 * judged as if the draft had graduated (an audit default of `SCMP_ACT_LOG` becomes
 * `SCMP_ACT_ERRNO`); executables against the draft's process allow-list annotation.
 */
import { ANNOTATIONS } from './draftMetadata.ts';
import type { DraftDocument } from './draftDocument.ts';
import type { Verdict } from './egressVerdict.ts';
import type { ObservedFlow } from './observedFlow.ts';
import { pathCovered } from './profile.ts';

const PERMISSIVE = new Set(['SCMP_ACT_ALLOW']);
const AUDIT = new Set(['SCMP_ACT_LOG', 'SCMP_ACT_TRACE', 'SCMP_ACT_NOTIFY']);

export function seccompVerdict(draft: DraftDocument, flow: ObservedFlow): Verdict {
  const spec = (draft.doc.spec ?? {}) as { defaultAction?: string; syscalls?: { action?: string; names?: string[] }[] };
  if (flow.kind === 'exec') {
    const list = ((draft.doc.metadata ?? {}) as { annotations?: Record<string, string> }).annotations?.[
      ANNOTATIONS.allowedExecutables
    ];
    if (list === undefined) return { outcome: 'allow' };
    const allowed = list.split(',').filter(Boolean);
    const exe = flow.executable ?? '';
    return allowed.some((a) => a === exe || pathCovered(a, exe))
      ? { outcome: 'allow' }
      : { outcome: 'deny', reason: `${exe} is not in the process allow-list (${ANNOTATIONS.allowedExecutables})` };
  }
  if (flow.kind !== 'syscall') return { outcome: 'allow' };
  const wanted = flow.syscalls ?? [];
  const actionOf = (name: string): string => {
    const entry = spec.syscalls?.find((s) => s.names?.includes(name));
    const action = entry?.action ?? spec.defaultAction ?? 'SCMP_ACT_ERRNO';
    return AUDIT.has(action) ? 'SCMP_ACT_ERRNO' : action;
  };
  if (wanted.some((s) => PERMISSIVE.has(actionOf(s)))) return { outcome: 'allow' };
  return {
    outcome: 'deny',
    reason: `${wanted.join(' / ')} ${wanted.length > 1 ? 'are' : 'is'} not allowed (the default would refuse ${wanted.length > 1 ? 'them' : 'it'} once enforcing)`,
  };
}
