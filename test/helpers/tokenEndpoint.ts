/**
 * A local managed identity endpoint speaking the App Service / Azure Functions protocol
 * (IDENTITY_ENDPOINT + IDENTITY_HEADER, api-version 2019-08-01), so DefaultAzureCredential takes
 * its real managed identity path in tests.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';

export interface TokenEndpoint {
  endpoint: string;
  header: string;
  requests: { resource: string; clientId?: string }[];
  /** Tokens issued, by resource. */
  issued: Map<string, string[]>;
  close(): Promise<void>;
}

export async function startTokenEndpoint(
  onIssue: (token: string, resource: string) => void = () => {},
): Promise<TokenEndpoint> {
  const header = randomBytes(16).toString('hex');
  const state: TokenEndpoint = { endpoint: '', header, requests: [], issued: new Map(), close: async () => {} };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.headers['x-identity-header'] !== header) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'missing or wrong X-IDENTITY-HEADER' }));
      return;
    }
    const resource = url.searchParams.get('resource') ?? url.searchParams.get('scope') ?? '';
    const clientId = url.searchParams.get('client_id') ?? undefined;
    state.requests.push({ resource, clientId });
    const token = `test-token-${randomBytes(8).toString('hex')}`;
    state.issued.set(resource, [...(state.issued.get(resource) ?? []), token]);
    onIssue(token, resource);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        access_token: token,
        expires_on: String(Math.floor(Date.now() / 1000) + 3600),
        resource,
        token_type: 'Bearer',
        client_id: clientId ?? '00000000-0000-0000-0000-000000000001',
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/msi/token`;
  state.close = () => new Promise((r) => server.close(() => r()));
  return state;
}
