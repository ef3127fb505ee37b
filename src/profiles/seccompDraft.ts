/**
 * A Security Profiles Operator `SeccompProfile` draft: the syscalls recorded, everything else
 * logged (`SCMP_ACT_LOG`) until it graduates to `SCMP_ACT_ERRNO`. Seccomp cannot name executables,
 * so the process allow-list the class permits travels as an annotation: `causeway policy check`
 * evaluates it, but nothing in the kernel enforces it. Agents lose shells and high-risk syscalls.
 */
import { ANNOTATIONS, describeProfile, draftMetadata } from './draftMetadata.ts';
import type { DraftNotes } from './networkPolicyDraft.ts';
import type { Profile } from './profile.ts';
import { allowedExecutables, HIGH_RISK_SYSCALLS, type ResolvedClass } from './profileClass.ts';

export class NothingToDraft extends Error {
  override name = 'NothingToDraft';
}

export function seccompDraft(p: Profile, c: ResolvedClass): { doc: Record<string, unknown>; notes: DraftNotes } {
  if (!p.syscalls.length)
    throw new NothingToDraft(
      `profile ${describeProfile(p)} has no syscalls: the sensors that built it do not report them (import the workload's Kubescape ApplicationProfile, which records them)`,
    );
  const notes: DraftNotes = { notExpressible: [], refused: [] };
  const agent = c.profileClass === 'autonomous-agent' || c.profileClass === 'chat-agent';
  const syscalls = [...p.syscalls].sort().filter((s) => !(agent && HIGH_RISK_SYSCALLS.has(s)));
  const refusedSyscalls = p.syscalls.filter((s) => agent && HIGH_RISK_SYSCALLS.has(s)).sort();
  if (refusedSyscalls.length) notes.refused.push(`syscalls ${refusedSyscalls.join(', ')} (${c.profileClass})`);
  const exes = allowedExecutables(p, c.profileClass);
  if (exes.refused.length) notes.refused.push(`executables ${exes.refused.join(', ')} (${c.profileClass})`);
  const extra: Record<string, string> = {
    [ANNOTATIONS.allowedExecutables]: exes.allowed.join(','),
  };
  if (notes.refused.length) extra[ANNOTATIONS.refused] = notes.refused.join('; ');
  return {
    doc: {
      apiVersion: 'security-profiles-operator.x-k8s.io/v1beta1',
      kind: 'SeccompProfile',
      metadata: draftMetadata(p, 'seccomp', c, extra),
      spec: {
        // Audit: everything not listed is logged, not refused.
        defaultAction: 'SCMP_ACT_LOG',
        disabled: false,
        architectures: ['SCMP_ARCH_X86_64'],
        syscalls: [{ action: 'SCMP_ACT_ALLOW', names: syscalls }],
      },
    },
    notes,
  };
}
