/**
 * All sources, in detection order: the high-volume Tetragon stream first, Defender (whose
 * case-insensitive detection is the dearest) last. The cloud audit sources (AKS, Entra, Key Vault)
 * claim only resource-log records of their own categories and resource types, ahead of Defender,
 * whose Activity Log alerts also carry a resource id and a category. Auto-detection never guesses: a record no
 * source claims is rejected as `unknown-format`.
 */
import { aksAudit } from './cloud/aksAudit.ts';
import { entraSignIn } from './cloud/entraSignIn.ts';
import { keyVaultAudit } from './cloud/keyVaultAudit.ts';
import { defender } from './defender/index.ts';
import { falco } from './falco.ts';
import { kubescape } from './kubescape.ts';
import { otlp } from './otlp.ts';
import { fieldName } from '../transforms/fieldName.ts';
import type { Json, Source } from './source.ts';
import { tetragon } from './tetragon.ts';
import { toolhive } from './toolhive.ts';
import { tracee } from './tracee.ts';

export const SOURCES: readonly Source[] = [
  tetragon,
  kubescape,
  falco,
  otlp,
  toolhive,
  tracee,
  aksAudit,
  entraSignIn,
  keyVaultAudit,
  defender,
];

export type SourceName =
  'tetragon' | 'kubescape' | 'falco' | 'otel' | 'toolhive' | 'tracee' | 'aks' | 'entra' | 'keyvault' | 'defender';

/** The products of the cloud audit input (the `cloud-audit` hub or topic, `POST /cloud`). */
export const CLOUD_AUDIT_SOURCES: readonly SourceName[] = ['aks', 'entra', 'keyvault'];

export function detectSource(record: Json, only?: readonly SourceName[]): Source | undefined {
  for (const s of SOURCES) if (s.detect(record)) return !only || only.includes(s.name as SourceName) ? s : undefined;
  return undefined;
}

/**
 * A hint for an unknown record: which top-level keys it had. Keys are record text too: a key is
 * shown only when it looks like a field name (short, word characters, no secret shape), else as
 * its length, and never a value.
 */
export function describeUnknown(record: Json): string {
  const all = Object.keys(record);
  const keys = all.slice(0, 8).map(fieldName);
  return `no source recognises a record with top-level keys [${keys.join(', ')}${all.length > 8 ? ', …' : ''}]`;
}
