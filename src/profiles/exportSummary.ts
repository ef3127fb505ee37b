/**
 * The comment an export starts with: which workloads got which draft, what each allows, how much
 * its profile saw, and what could not be expressed or was refused by its class. Values come from
 * sensors, so control characters are replaced before they reach the file or a terminal.
 */
import { coverageText, describeProfile, destinationText, isThin } from './draftMetadata.ts';
import type { DraftOutcome, PolicyFormat } from './policy.ts';
import type { Egress } from './profile.ts';
import { singleLine } from '../story/escape.ts';

const KIND: Record<PolicyFormat, string> = {
  networkpolicy: 'NetworkPolicy',
  ciliumnetworkpolicy: 'CiliumNetworkPolicy',
  seccomp: 'SeccompProfile',
};

export function exportSummary(
  outcomes: readonly DraftOutcome[],
  format: PolicyFormat,
  sources: readonly string[],
): string {
  const drafted = outcomes.filter((o) => o.doc);
  const network = format !== 'seccomp';
  const denyAll = network ? drafted.filter((o) => !o.profile.egress.length).length : 0;
  const lines: string[] = [
    `Causeway draft ${KIND[format]} policies, audit mode${sources.length ? `, from ${sources.join(', ')}` : ''}`,
    `${plural(outcomes.length, 'workload container')}: ${drafted.length} drafted${network ? ` (${denyAll} deny-all egress)` : ''}, ${outcomes.length - drafted.length} not drafted`,
    '',
  ];
  for (const o of outcomes) {
    const what = !o.doc
      ? 'not drafted'
      : network
        ? o.profile.egress.length
          ? plural(new Set(o.profile.egress.map(destinationText)).size, 'destination')
          : 'deny-all egress'
        : plural(o.profile.syscalls.length, 'syscall');
    lines.push(
      `${describeProfile(o.profile)}: ${o.profileClass.profileClass} (${o.profileClass.from}); ${what}; ${coverageText(o.profile)}`,
    );
  }
  if (network) {
    const destinations = [...new Set(drafted.flatMap((o) => o.profile.egress.map(destinationWithCalls)))].sort();
    lines.push('', `Destinations (${destinations.length}):`, ...destinations.map((d) => `  ${d}`));
    const noDns = drafted.filter((o) => !o.notes.dnsAllowed).map((o) => describeProfile(o.profile));
    if (noDns.length)
      lines.push(
        '',
        `No DNS lookups seen, so kube-dns is not allowed, for: ${noDns.join(', ')}`,
        '  (eBPF sensors report connections, not lookups: allow kube-dns by hand if these resolve names)',
      );
  }
  const unexpressed = outcomes.flatMap((o) => [
    ...o.notes.notExpressible.map((n) => `${describeProfile(o.profile)}: ${n}`),
    ...o.notes.refused.map((n) => `${describeProfile(o.profile)}: refused ${n}`),
    ...(o.skipped ? [`${describeProfile(o.profile)}: ${o.skipped}`] : []),
  ]);
  if (unexpressed.length)
    lines.push('', 'Could not be expressed, or refused by class:', ...unexpressed.map((u) => `  ${u}`));
  const thin = outcomes.filter((o) => isThin(o.profile)).map((o) => describeProfile(o.profile));
  if (thin.length) lines.push('', `Thin profiles (review before relying on them): ${thin.join(', ')}`);
  // Newlines and other control characters from sensor values never reach the file or a terminal.
  return lines.map((l) => (l ? `# ${/^ */.exec(l)![0]}${singleLine(l, 4000)}` : '#')).join('\n') + '\n';
}

function destinationWithCalls(e: Egress): string {
  const calls = e.http?.map((h) => `${h.method} ${h.path}`).join(', ');
  return calls ? `${destinationText(e)} [${calls}]` : destinationText(e);
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
