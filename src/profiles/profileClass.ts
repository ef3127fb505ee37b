/**
 * How strict a workload's drafts are. An autonomous agent acts on model output without a person in
 * the loop, so its drafts are the strictest: no wildcard egress, no shell in its process allow-list,
 * none of the syscalls no agent needs. A read-only chat agent gets the same network policy and no
 * tool execution at all (only its own entrypoint processes). MCP servers and ordinary services get
 * exactly what was observed.
 */
import type { Profile } from './profile.ts';

export type ProfileClass = 'autonomous-agent' | 'chat-agent' | 'mcp-server' | 'service';
export const PROFILE_CLASSES: readonly ProfileClass[] = ['autonomous-agent', 'chat-agent', 'mcp-server', 'service'];

/** The pod label that names a workload's class (the configuration wins over it). */
export const CLASS_LABEL = 'causeway.io/profile-class';

/** A class and where it came from, for the draft's annotations and the export summary. */
export interface ResolvedClass {
  profileClass: ProfileClass;
  from: 'config' | 'label' | 'inferred';
}

/**
 * The class of a profile's workload: `profiles.classes` (`namespace/name` keys, `*` for any run of
 * characters; the most specific key wins), else the pod label, else inferred: a workload seen calling
 * tools is an agent, and an agent of unknown kind is treated as autonomous (the strictest).
 */
export function classOf(profile: Profile, classes: Readonly<Record<string, ProfileClass>> = {}): ResolvedClass {
  const id = `${profile.identity.namespace}/${profile.identity.workloadName}`;
  const match = Object.entries(classes)
    .filter(([pattern]) => globMatches(pattern, id))
    .sort(([a], [b]) => specificity(b) - specificity(a))[0];
  if (match) return { profileClass: match[1], from: 'config' };
  const label = profile.podLabels?.[CLASS_LABEL];
  if (label && (PROFILE_CLASSES as readonly string[]).includes(label))
    return { profileClass: label as ProfileClass, from: 'label' };
  return { profileClass: profile.tools.length ? 'autonomous-agent' : 'service', from: 'inferred' };
}

function globMatches(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map(escapeRegex).join('.*')}$`);
  return re.test(value);
}

/** Literal characters count: `agents/travel-agent` beats `agents/*`. */
function specificity(pattern: string): number {
  return pattern.replaceAll('*', '').length;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Whether the class forbids wildcard egress (any address, any name under a pattern). */
export function forbidsWildcardEgress(c: ProfileClass): boolean {
  return c === 'autonomous-agent' || c === 'chat-agent';
}

const SHELLS = new Set(['sh', 'bash', 'dash', 'ash', 'zsh', 'ksh', 'mksh', 'csh', 'tcsh', 'fish', 'busybox', 'pwsh']);

/** `/bin/sh`, `/usr/bin/bash`, `busybox` (which is every shell): the interpreters an injected prompt reaches for. */
export function isShell(executable: string): boolean {
  return SHELLS.has(executable.split('/').pop() ?? '');
}

/**
 * Syscalls no agent needs and every container escape or credential theft uses: left out of an agent's
 * seccomp allow-list even when they were seen (they are listed in the draft as refused).
 */
export const HIGH_RISK_SYSCALLS: ReadonlySet<string> = new Set([
  'add_key',
  'bpf',
  'chroot',
  'delete_module',
  'finit_module',
  'init_module',
  'kexec_file_load',
  'kexec_load',
  'keyctl',
  'mount',
  'open_by_handle_at',
  'perf_event_open',
  'pivot_root',
  'process_vm_readv',
  'process_vm_writev',
  'ptrace',
  'request_key',
  'setns',
  'umount2',
  'unshare',
  'userfaultfd',
]);

/** The process allow-list a class permits from what the profile saw, and what it left out. */
export function allowedExecutables(profile: Profile, c: ProfileClass): { allowed: string[]; refused: string[] } {
  const seen = [...profile.executables].sort();
  const keep = (x: string): boolean => {
    if (c === 'service' || c === 'mcp-server') return true;
    if (isShell(x)) return false;
    // A chat agent runs no tools: only the processes that are the workload itself.
    return c === 'autonomous-agent' || (profile.entrypoints ?? []).includes(x);
  };
  return { allowed: seen.filter(keep), refused: seen.filter((x) => !keep(x)) };
}
