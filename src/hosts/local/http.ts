/** HTTP plumbing of the local host: bodies read within a limit, responses with the strict headers. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SERVED_CSP } from '../../viewer/page.ts';

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  send(res, status, 'application/json', JSON.stringify(body), headers);
}

/** Every response carries the strict CSP and no-sniff, whatever it is. */
export function send(
  res: ServerResponse,
  status: number,
  type: string,
  text: string | Buffer,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    ...headers,
    'content-type': type,
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'content-security-policy': SERVED_CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  res.end(text);
}

/**
 * Reads a body up to `max` bytes; answers early on Content-Length and stops keeping bytes past the
 * limit. `reserve` is asked for every chunk kept (the host's budget of bytes in flight): when it
 * refuses, the rest is drained and the body is `busy`; the caller releases what it granted.
 */
export function readBody(
  req: IncomingMessage,
  max: number,
  reserve: (bytes: number) => boolean = () => true,
): Promise<Buffer | 'too-large' | 'busy'> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) {
    req.resume();
    return Promise.resolve('too-large');
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused: 'too-large' | 'busy' | undefined;
    req.on('data', (c: Buffer) => {
      if (refused) return;
      size += c.length;
      if (size > max) refused = 'too-large';
      else if (!reserve(c.length)) refused = 'busy';
      else chunks.push(c);
      if (refused) chunks.length = 0;
    });
    req.on('end', () => resolve(refused ?? Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
