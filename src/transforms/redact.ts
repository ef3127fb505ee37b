/**
 * Redaction before anything leaves the process (DESIGN §7). Secrets in command lines, alert
 * text and paths are replaced by `[REDACTED:<tag>]`; prompts and tool arguments never leave as
 * text at all: only a hash, a length and tags (plus an opt-in, scrubbed, truncated excerpt).
 */
import type { ContentSummary, RuntimeEvent } from '../model/event.ts';
import { withoutControls } from '../common/displayText.ts';
import { sha256 } from '../common/hash.ts';

interface Detector {
  tag: string;
  pattern: RegExp;
  /** Which capture group is the secret (0 = the whole match). */
  group?: number;
}

/** Order matters: the most specific shapes first, so a SAS inside a connection string is tagged once. */
const DETECTORS: Detector[] = [
  { tag: 'private-key', pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g },
  {
    tag: 'azure-storage-connection-string',
    pattern: /DefaultEndpointsProtocol=[^;\s]+;[^\s"']*AccountKey=[^;\s"']+[^\s"']*/gi,
  },
  {
    tag: 'azure-servicebus-connection-string',
    pattern: /Endpoint=sb:\/\/?[^;\s]+;[^\s"']*SharedAccessKey=[^;\s"']+[^\s"']*/gi,
  },
  { tag: 'azure-account-key', pattern: /AccountKey=[A-Za-z0-9+/=]{20,}/gi },
  {
    tag: 'azure-sas-token',
    pattern:
      /(?:[?&]|\b)(?:sv|se|sp|sr|st|spr|skoid|sktid)=[^&\s"']+(?:&[a-z]{2,6}=[^&\s"']*)*&sig=[A-Za-z0-9%+/=]{10,}/gi,
  },
  { tag: 'azure-sas-token', pattern: /\bsig=[A-Za-z0-9%+/=]{20,}/gi },
  { tag: 'jwt', pattern: /\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g },
  { tag: 'aws-access-key', pattern: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[0-9A-Z]{16}\b/g },
  { tag: 'aws-secret-key', pattern: /aws_secret_access_key\s*[=:]\s*["']?([A-Za-z0-9/+=]{40})/gi, group: 1 },
  { tag: 'github-token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b/g },
  { tag: 'npm-token', pattern: /\bnpm_[A-Za-z0-9]{36}\b/g },
  { tag: 'slack-token', pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g },
  { tag: 'google-api-key', pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g },
  { tag: 'openai-key', pattern: /\bsk-(?:proj-|svcacct-)?[A-Za-z0-9_-]{20,}\b/g },
  { tag: 'bearer-token', pattern: /\b(?:Bearer|Basic)\s+([A-Za-z0-9._~+/=-]{12,})/g, group: 1 },
  // A keyword at the start of a word or after `_` (DB_PASSWORD=…), never inside a path
  // (`/root/.aws/credentials:` names a file, it does not assign one).
  {
    tag: 'password',
    pattern:
      /(?<![A-Za-z0-9/.\\])((?:pass(?:word|wd)?|pwd|secret|client[_-]?secret|token|api[_-]?key|apikey|access[_-]?key|auth(?:orization)?|credentials?)(?:["']?\s*[=:]\s*|\s+--?\w*\s*=?\s*(?=\S)))(["']?)([^\s"'&;,]{3,})\2/gi,
    group: 3,
  },
  // One slash or two: path normalisation collapses `//` before the redaction pass sees a value.
  { tag: 'url-credentials', pattern: /\b[a-z][a-z0-9+.-]*:\/\/?[^/\s:@]+:([^/\s@]+)@/gi, group: 1 },
];

/**
 * Cheap tests before the detectors: most strings (paths, names, ordinary commands) have none of
 * these. Case-sensitive prefixes and case-insensitive keywords are separate expressions (one
 * case-insensitive alternation of both costs several times more per character), and the keywords
 * are only looked for in strings that hold what every keyword detector needs after its keyword:
 * `=`, `:` or white space.
 */
const TRIGGER_EXACT =
  /BEGIN|eyJ|A[KS]IA|AGPA|AIDA|AROA|ANPA|gh[pousr]_|github_pat|npm_|xox|AIza|sk-|Bearer|Basic|:\/\/?[^/\s]*@/;
const TRIGGER_ANY_CASE = /sig=|pass|pwd|secret|token|key|auth|credential/i;
const KEYWORD_SEPARATOR = /[=:\s]/;

/** True when `text` may hold a secret some detector knows (every detector's match contains a trigger). */
export function maySecret(text: string): boolean {
  return TRIGGER_EXACT.test(text) || (KEYWORD_SEPARATOR.test(text) && TRIGGER_ANY_CASE.test(text));
}

export interface Redacted {
  text: string;
  tags: string[];
}

/** Replaces secrets with `[REDACTED:<tag>]`. Returns the input unchanged (same string) when clean. */
export function redactText(input: string): Redacted {
  if (!maySecret(input)) return { text: input, tags: [] };
  let text = input;
  const tags = new Set<string>();
  for (const { tag, pattern, group } of DETECTORS) {
    pattern.lastIndex = 0;
    if (!pattern.test(text)) continue;
    pattern.lastIndex = 0;
    text = text.replace(pattern, (...m: unknown[]) => {
      const whole = m[0] as string;
      const secret = group ? (m[group] as string | undefined) : whole;
      if (!secret || secret.startsWith('[REDACTED:')) return whole;
      tags.add(tag);
      if (!group) return `[REDACTED:${tag}]`;
      const at = whole.lastIndexOf(secret);
      return whole.slice(0, at) + `[REDACTED:${tag}]` + whole.slice(at + secret.length);
    });
  }
  return { text, tags: [...tags] };
}

/** Redacts and returns only the text; undefined passes through. */
export function redact(input: string | undefined): string | undefined {
  return input === undefined ? undefined : redactText(input).text;
}

/** Content tags that help an analyst without revealing content. */
function contentTags(text: string): string[] {
  const tags: string[] = [];
  if (/https?:\/\//i.test(text)) tags.push('contains-url');
  if (/\b(?:\d{1,3}\.){3}\d{1,3}\b/.test(text)) tags.push('contains-ip');
  if (/\/(?:etc|var\/run\/secrets|root|home)\//.test(text)) tags.push('contains-sensitive-path');
  if (/ignore (?:all )?(?:previous|prior|above) instructions|disregard .{0,20}instructions|system prompt/i.test(text))
    tags.push('injection-phrasing');
  if (/[\u{E0000}-\u{E007F}]/u.test(text)) tags.push('ascii-smuggling');
  if (/(?:curl|wget|nc|bash|sh)\s/.test(text)) tags.push('contains-command');
  tags.push(...argumentTags(text));
  return tags;
}

/** `%2e` → `.`, twice (double encoding), so encoded traversal reads as what the server will see. */
function percentDecoded(text: string): string {
  const once = (t: string) => t.replace(/%([0-9a-f]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  return text.includes('%') ? once(once(text)) : text;
}

const PATH_TRAVERSAL = /(?<!\.)\.\.(?:[/\\]|$)|%c0%ae|%c1%9c|%u002e/i;
const CREDENTIAL_PATH =
  /\/(?:var\/)?run\/secrets\/|\/etc\/(?:shadow|gshadow|sudoers)\b|\.ssh\/(?:id_|authorized_keys)|\.aws\/credentials|\.azure\/(?:accessTokens|msal_token_cache|azureProfile|service_principal)|\.kube\/config|\.docker\/config\.json|\.git-credentials|\.netrc\b|azure-identity-token|\/\.env(?:["'\s]|$)/i;
const METADATA_URL =
  /169\.254\.169\.254|metadata\.google\.internal|168\.63\.129\.16|fd00:ec2::254|100\.100\.100\.200|169\.254\.170\.2/i;
const CLUSTER_URL = /kubernetes\.default(?:\.svc)?\b|\.svc\.cluster\.local\b|:(?:10250|10255|2379|2380)\b/i;
const SHELL_METACHARACTERS =
  /(?:;|&&|\|\|?)\s*(?:sh|bash|zsh|dash|curl|wget|nc|ncat|socat|cat|rm|chmod|chown|python3?|perl|ruby|base64|id|whoami|uname|env|printenv)\b|\$\([^)]{1,200}\)|`[^`\n]{1,200}`|\$\{IFS\}/;

/**
 * Tool-argument tags (the protocol layer's parameter manipulation), computed on the raw text before
 * it is hashed: path traversal (plain, percent- and double-encoded, overlong UTF-8), credential
 * paths, instance-metadata and cluster-internal addresses, and shell metacharacters that chain or
 * substitute a command.
 */
export function argumentTags(raw: string): string[] {
  const text = percentDecoded(raw);
  const tags: string[] = [];
  if (PATH_TRAVERSAL.test(text) || PATH_TRAVERSAL.test(raw)) tags.push('path-traversal');
  if (CREDENTIAL_PATH.test(text)) tags.push('credential-path');
  if (METADATA_URL.test(text)) tags.push('metadata-url');
  if (CLUSTER_URL.test(text)) tags.push('cluster-url');
  if (SHELL_METACHARACTERS.test(text)) tags.push('shell-metacharacters');
  return tags;
}

/**
 * The only form in which prompts and tool arguments leave the process: sha256 of the original,
 * length, tags, and (opt-in) a truncated excerpt of the already-scrubbed text.
 */
export function summariseContent(
  value: unknown,
  options: { excerpts: boolean; excerptLength: number },
): ContentSummary | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const { text: scrubbed, tags } = redactText(text);
  const summary: ContentSummary = {
    sha256: sha256(text),
    length: text.length,
    tags: [...tags.map((t) => `contains-${t}`), ...contentTags(text)].sort(),
  };
  if (options.excerpts)
    summary.excerpt =
      scrubbed.length > options.excerptLength ? scrubbed.slice(0, options.excerptLength) + '…' : scrubbed;
  return summary;
}

/**
 * A detector's exact trigger or a control character: either means a closer look. With the
 * keyword test (only for strings with a keyword separator) this is all a clean string costs: most
 * strings of an event are clean and are left as they are.
 */
const EXACT_OR_CONTROL =
  // eslint-disable-next-line no-control-regex
  /BEGIN|eyJ|A[KS]IA|AGPA|AIDA|AROA|ANPA|gh[pousr]_|github_pat|npm_|xox|AIza|sk-|Bearer|Basic|:\/\/?[^/\s]*@|[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/;

/** Redacted and without control characters: what every attacker-influenced string becomes. */
export function scrub(s: string): string {
  if (!EXACT_OR_CONTROL.test(s) && !(KEYWORD_SEPARATOR.test(s) && TRIGGER_ANY_CASE.test(s))) return s;
  return withoutControls(redactText(s).text);
}

/** Fields that hold our own vocabulary (enums the decoders set), not record text: left as they are. */
const OWN_FIELDS: Record<string, ReadonlySet<string>> = {
  source: new Set(['product', 'format']),
  file: new Set(['operation']),
  alert: new Set(['vendor', 'severity']),
  trace: new Set(['spanKind']),
  health: new Set(['reason']),
  cloud: new Set(['principalType', 'result']),
};

/**
 * The redaction pass of stage ① (decode → normalise → redact → route): every string of the
 * normalised event that a record could have put there (names, identities, paths, command lines,
 * tool and agent names, alert text, ids and process keys built from them) is redacted and loses
 * its control characters, before anything (routing keys, signals, stories, rows) is derived from
 * the event. Content summaries are already hashes and tags; their opt-in excerpt is scrubbed when
 * made and only loses control characters here. Mutates and returns the event (it is freshly decoded).
 */
export function redactEvent<E extends RuntimeEvent>(event: E): E {
  const e = event as unknown as Record<string, unknown>;
  for (const key in e) {
    if (key === 'layer' || key === 'kind' || key === 'content') continue;
    const v = e[key];
    if (typeof v === 'string') e[key] = scrub(v);
    else if (v !== null && typeof v === 'object') scrubObject(v as Record<string, unknown>, OWN_FIELDS[key]);
  }
  const details = event.alert?.details;
  if (details) event.alert!.details = scrubKeys(details);
  if (event.content?.excerpt) event.content.excerpt = withoutControls(event.content.excerpt);
  return event;
}

/**
 * Strings come back on every event: a workload's names, a process's key, binary, command line and
 * working directory, a destination. Each short clean one is checked once and remembered (bounded;
 * a string that needed redacting is never kept, so the set holds no secret).
 */
const cleanStrings = new Set<string>();
const CLEAN_CACHE = 32_768;
const CLEAN_MAX_LENGTH = 512;

function scrubRepeated(v: string): string {
  if (cleanStrings.has(v)) return v;
  const out = scrub(v);
  if (out === v && v.length <= CLEAN_MAX_LENGTH) {
    if (cleanStrings.size >= CLEAN_CACHE) cleanStrings.clear();
    cleanStrings.add(v);
  }
  return out;
}

function scrubObject(o: Record<string, unknown> | unknown[], own?: ReadonlySet<string>, depth = 0): void {
  if (depth > 8) return;
  if (Array.isArray(o)) {
    for (let i = 0; i < o.length; i++) {
      const v = o[i];
      if (typeof v === 'string') o[i] = scrubRepeated(v);
      else if (v !== null && typeof v === 'object') scrubObject(v as Record<string, unknown>, undefined, depth + 1);
    }
    return;
  }
  for (const k in o) {
    const v = o[k];
    if (typeof v === 'string') {
      if (own === undefined || !own.has(k)) o[k] = scrubRepeated(v);
    } else if (v !== null && typeof v === 'object') scrubObject(v as Record<string, unknown>, undefined, depth + 1);
  }
}

/** Alert details are keyed by record text (Falcosidekick custom fields, Defender extended properties). */
function scrubKeys(details: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(details)) out[scrub(k)] = v;
  return out;
}
