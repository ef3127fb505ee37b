/**
 * Normalisation shared by every decoder: container ids, paths, IPs, times, process keys.
 * Pure functions on the hot path: no allocation beyond the result.
 */

const CONTAINER_PREFIX = /^[a-z0-9-]+:\/\//;

/**
 * `containerd://<64hex>`, `docker://…`, `cri-o://…` → bare lowercase id. Tetragon's `docker` field
 * (31 chars) and Falco's `container.id` (12 chars) are prefixes of the full id; the workload stage
 * matches them to full ids it has seen (see workload/containerIds.ts).
 */
export function normaliseContainerId(id: unknown): string | undefined {
  if (typeof id !== 'string' || id === '' || id === 'host') return undefined;
  // Container ids repeat on every event of a pod: remember the last few normalised ones.
  const known = CONTAINER_IDS.get(id);
  if (known !== undefined) return known || undefined;
  const bare = id.replace(CONTAINER_PREFIX, '').toLowerCase();
  const normalised = /^[0-9a-f]{6,64}$/.test(bare) ? bare : '';
  if (CONTAINER_IDS.size >= 4096) CONTAINER_IDS.clear();
  CONTAINER_IDS.set(id, normalised);
  return normalised || undefined;
}

const CONTAINER_IDS = new Map<string, string>();

/** Tetragon syscall hooks report `etc/passwd`; collapse `//`, `/./`, and resolve `..` textually. */
export function normalisePath(path: unknown): string | undefined {
  if (typeof path !== 'string' || path === '') return undefined;
  let p = path.charCodeAt(0) === 47 ? path : '/' + path;
  if (p.includes('//') || p.includes('/.')) {
    const out: string[] = [];
    for (const seg of p.split('/')) {
      if (seg === '' || seg === '.') continue;
      if (seg === '..') out.pop();
      else out.push(seg);
    }
    p = '/' + out.join('/');
  }
  return p;
}

/** Lower-cases IPv6, strips brackets, zone ids and the IPv4-mapped prefix. */
export function normaliseIp(ip: unknown): string | undefined {
  if (typeof ip !== 'string' || ip === '') return undefined;
  let v = ip.trim();
  if (v.startsWith('[') && v.endsWith(']')) v = v.slice(1, -1);
  const zone = v.indexOf('%');
  if (zone > 0) v = v.slice(0, zone);
  v = v.toLowerCase();
  if (v.startsWith('::ffff:') && v.includes('.')) v = v.slice(7);
  return /^[0-9a-f:.]+$/.test(v) && (v.includes('.') || v.includes(':')) ? v : undefined;
}

/**
 * A transport protocol name (`tcp`, `IPPROTO_UDP`, `ICMPv6`) → upper case without the IPPROTO_
 * prefix; anything that is not a short protocol token is dropped (upper-casing free text would
 * also turn a secret into a shape the redactor does not know).
 */
export function normaliseProtocol(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const p = value
    .trim()
    .replace(/^IPPROTO_/i, '')
    .toUpperCase();
  return /^[A-Z][A-Z0-9]{0,9}$/.test(p) ? p : undefined;
}

/** RFC 3339 (any fraction length) → epoch ms; undefined when unparseable. */
export function parseTime(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? nanosOrMillis(value) : undefined;
  if (typeof value !== 'string' || value === '') return undefined;
  const fast = parseUtc(value);
  if (fast !== undefined) return fast;
  if (/^\d+$/.test(value)) return nanosOrMillis(Number(value));
  // Date.parse handles up to millisecond fractions; trim longer ones (nanoseconds) first.
  const trimmed = value.replace(/(\.\d{3})\d+/, '$1');
  const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(trimmed) ? trimmed : trimmed + 'Z');
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * The common shape, `YYYY-MM-DDTHH:MM:SS[.fraction]Z`, by hand: every sensor event has one and
 * Date.parse (after trimming nanoseconds) costs more than the rest of the event's time handling.
 */
function parseUtc(v: string): number | undefined {
  const n = v.length;
  if (
    n < 20 ||
    v.charCodeAt(n - 1) !== 90 /* Z */ ||
    v.charCodeAt(4) !== 45 ||
    v.charCodeAt(10) !== 84 ||
    v.charCodeAt(13) !== 58
  )
    return undefined;
  let ms = 0;
  if (n > 20 && v.charCodeAt(19) === 46 /* . */) {
    for (let i = 20, scale = 100; i < 23; i++, scale /= 10) {
      const c = v.charCodeAt(i) - 48;
      if (c >= 0 && c <= 9) ms += c * scale;
      else break;
    }
  } else if (n !== 20) return undefined;
  const year = digits(v, 0, 4);
  let t = Date.UTC(
    year,
    digits(v, 5, 2) - 1,
    digits(v, 8, 2),
    digits(v, 11, 2),
    digits(v, 14, 2),
    digits(v, 17, 2),
    ms,
  );
  // Date.UTC reads years 0–99 as 1900–1999: Go's zero time (0001-01-01) would become 1901.
  if (year < 100 && !Number.isNaN(t)) t = new Date(t).setUTCFullYear(year);
  return Number.isNaN(t) ? undefined : t;
}

function digits(v: string, at: number, count: number): number {
  let n = 0;
  for (let i = at; i < at + count; i++) {
    const c = v.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return NaN;
    n = n * 10 + c;
  }
  return n;
}

/** Epoch numbers of unknown unit: ns (OTLP, Falco evt.time), µs, ms or s, by magnitude. */
function nanosOrMillis(n: number): number {
  if (n > 1e17) return Math.floor(n / 1e6);
  if (n > 1e14) return Math.floor(n / 1e3);
  if (n > 1e11) return Math.floor(n);
  return Math.floor(n * 1000);
}

/** OTLP `startTimeUnixNano` (string or number, fixed64) → epoch ms. */
export function nanosToMillis(value: unknown): number | undefined {
  if (typeof value === 'string' && /^\d+$/.test(value)) {
    // Beyond 2^53 as a number, so slice the string instead of parsing it whole.
    return value.length > 6 ? Number(value.slice(0, -6)) : 0;
  }
  if (typeof value === 'number' && Number.isFinite(value)) return Math.floor(value / 1e6);
  return undefined;
}

/** Process key when the source has no exec_id: never the pid alone (pids are reused). */
export function processKey(
  node: string | undefined,
  containerId: string | undefined,
  pid: number,
  discriminator: string | number | undefined,
): string {
  return `pk:${node ?? '-'}|${containerId?.slice(0, 12) ?? '-'}|${pid}|${discriminator ?? '-'}`;
}
