/**
 * One HTTP client call as profiles and policy checks see it, from an OTel HTTP client span: the
 * host and port called, the method, and the path as a pattern (`url.template` variables, or dynamic
 * segments of `url.path`, become `⋯`; a query string is never part of it).
 */
import type { TraceInfo } from '../model/event.ts';
import { collapsePath, DYNAMIC } from './profile.ts';

export interface HttpCallSeen {
  host: string;
  port?: number;
  method: string;
  path: string;
  /** Made over TLS (`url.scheme` https, or port 443). */
  tls: boolean;
}

const LOCAL = /^(127\.|::1$|0\.0\.0\.0$|localhost$)/;
const TEMPLATE_VARIABLE = /^(\{[^}]*\}|:[A-Za-z_]\w*|<[^>]*>)$/;

export function httpCallOf(t: TraceInfo | undefined): HttpCallSeen | undefined {
  const host = t?.serverAddress?.replace(/\.$/, '').toLowerCase();
  if (!t?.httpMethod || !host || LOCAL.test(host)) return undefined;
  const scheme = t.urlScheme?.toLowerCase();
  const port = t.serverPort ?? (scheme === 'https' ? 443 : scheme === 'http' ? 80 : undefined);
  return {
    host,
    port,
    method: t.httpMethod,
    path: t.urlTemplate ? templatePattern(t.urlTemplate) : collapsePath(t.urlPath || '/'),
    tls: scheme === 'https' || port === 443,
  };
}

/** `/users/{id}/orders/:order` → `/users/⋯/orders/⋯`. */
function templatePattern(template: string): string {
  return template
    .split('/')
    .map((seg) => (TEMPLATE_VARIABLE.test(seg) ? DYNAMIC : seg))
    .join('/');
}
