/**
 * The observe → audit → check → graduate workflow through the CLI: an hour of traffic replayed into
 * tables, drafts for every workload, `policy check` against the replay files (through the replay
 * path) and against the tables, and `policy graduate` refusing a window shorter than --min-window.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../../src/cli/main.ts';
import { otlpRequest } from '../../../src/demo/builders.ts';
import { BASE, scenario, travelAgent, writeScenarioFile } from '../profiles/enforceScenario.ts';
import { validDocuments } from '../profiles/golden.ts';

async function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((c) => ((out += String(c)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((c) => ((err += String(c)), true));
  try {
    const code = await main(args, { CAUSEWAY_CLUSTER: 'aks-demo', CAUSEWAY_LOG_LEVEL: 'error', ...env });
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

/** The DENY lines of a check report, without the evidence lines under them. */
const denials = (report: string) => report.split('\n').filter((l) => l.startsWith('  DENY '));

describe('observe → audit → check → graduate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-policy-'));
  const path = (f: string) => join(dir, f);
  let withAttack: string;
  let benign: string;

  beforeAll(async () => {
    withAttack = writeScenarioFile(dir, scenario({ attack: true }), 'hour-with-attack.jsonl');
    benign = writeScenarioFile(dir, scenario(), 'hour.jsonl');
    // Ten minutes of learning (the default) miss the report uploads at minutes 40 and 50 …
    expect((await cli(['replay', withAttack, '--out', path('tables')])).code).toBe(0);
    // … fifty minutes see them.
    const long = { CAUSEWAY_LEARNING_PERIOD_MINUTES: '50' };
    expect((await cli(['replay', benign, '--out', path('tables-50')], long)).code).toBe(0);
    for (const [tables, out] of [
      ['tables', 'np.yaml'],
      ['tables-50', 'np-50.yaml'],
    ] as const)
      expect(
        (await cli(['profile', 'export', '--format', 'networkpolicy', '--from', path(tables), '--out', path(out)]))
          .code,
      ).toBe(0);
  });

  it('profile export writes a draft for every workload of an hour of traffic, the silent one deny-all', () => {
    const text = readFileSync(path('np.yaml'), 'utf8');
    const docs = validDocuments(text) as { metadata: { name: string }; spec: { egress: unknown[] } }[];
    expect(docs.map((d) => d.metadata.name).sort()).toEqual([
      'causeway-draft-checkout-checkout-egress',
      'causeway-draft-frontend-frontend-egress',
      'causeway-draft-kb-tools-mcp-egress',
      'causeway-draft-redis-redis-egress',
      'causeway-draft-support-agent-egress',
      'causeway-draft-travel-agent-egress',
    ]);
    expect(docs.find((d) => d.metadata.name.includes('redis'))!.spec.egress).toEqual([]);
    expect(text).toMatch(/^# 6 workload containers: 6 drafted \(1 deny-all egress\), 0 not drafted$/m);
  });

  it('policy check lists exactly the flows the drafts would deny, and exits 1 because one is benign', async () => {
    const r = await cli(['policy', 'check', path('np.yaml'), '--against', withAttack]);
    expect(r.code).toBe(1);
    expect(denials(r.out)).toEqual([
      '  DENY connect 198.51.100.99:4444/TCP: no rule allows 198.51.100.99:4444/TCP',
      '  DENY connect 10.0.40.7:9000/TCP: no rule allows 10.0.40.7:9000/TCP',
    ]);
    // The evidence: workload, process, pod, time, and the story (or none).
    expect(r.out).toMatch(
      /DENY connect 10\.0\.40\.7:9000\/TCP.*\n {7}shop\/Deployment\/checkout:checkout, process \/opt\/java\/openjdk\/bin\/java, pod checkout-\w+-\w+, 2026-11-20T10:40:00\.000Z to 2026-11-20T10:50:00\.000Z, 2 times, seen in event\n {7}no story: benign traffic the draft would break/,
    );
    expect(r.out).toMatch(
      /DENY connect 198\.51\.100\.99:4444\/TCP.*\n {7}agents\/Deployment\/kb-tools:mcp, process \/usr\/bin\/nc, .*\n {7}story [0-9a-f-]{36} \(Medium: Unprofiled process nc in agents\/kb-tools → new egress to 198\.51\.100\.99\)/,
    );
    expect(r.out).toMatch(/^Result: 1 benign flow would be denied/m);
  });

  it('policy check exits 0 when the learning window saw every benign flow', async () => {
    const r = await cli(['policy', 'check', path('np-50.yaml'), '--against', benign]);
    expect(denials(r.out)).toEqual([]);
    expect(r.out).toMatch(/^Result: nothing benign would be denied\.$/m);
    expect(r.code).toBe(0);
  });

  it('policy check reads a tables directory too: the profile deviation and the story evidence', async () => {
    const r = await cli(['policy', 'check', path('np.yaml'), '--against', path('tables')]);
    expect(r.code).toBe(1);
    expect(denials(r.out)).toEqual([
      '  DENY connect 198.51.100.99:4444/TCP: no rule allows 198.51.100.99:4444/TCP',
      '  DENY connect 10.0.40.7:9000/TCP: no rule allows 10.0.40.7:9000/TCP',
    ]);
    expect(r.out).toMatch(/seen in profile deviation\n {7}no story/);
    expect(r.out).toMatch(/seen in story evidence\n {7}story [0-9a-f-]{36} \(Medium/);
  });

  it('a CiliumNetworkPolicy check denies an HTTP call outside the methods and paths it allows', async () => {
    const cnp = path('cnp.yaml');
    expect(
      (await cli(['profile', 'export', '--format', 'ciliumnetworkpolicy', '--from', path('tables'), '--out', cnp]))
        .code,
    ).toBe(0);
    const extra = path('embeddings.jsonl');
    const at = BASE + 30 * 60_000;
    const span = {
      traceId: 'ab'.repeat(16),
      spanId: 'cd'.repeat(8),
      name: 'POST /openai/deployments/{deployment}/embeddings',
      kind: 3 as const,
      start: at,
      end: at + 300,
      attributes: {
        'http.request.method': 'POST',
        'server.address': 'contoso-openai.openai.azure.com',
        'server.port': 443,
        'url.scheme': 'https',
        'url.path': '/openai/deployments/text-embedding-3/embeddings',
      },
    };
    writeFileSync(extra, otlpRequest(travelAgent, [span]) + '\n');
    const r = await cli(['policy', 'check', cnp, '--against', withAttack, extra]);
    expect(r.code).toBe(1);
    expect(denials(r.out)).toEqual([
      '  DENY connect 198.51.100.99:4444/TCP: no rule allows 198.51.100.99:4444/TCP',
      '  DENY HTTP POST contoso-openai.openai.azure.com:443/openai/deployments/text-embedding-3/embeddings: no rule allows POST /openai/deployments/text-embedding-3/embeddings on contoso-openai.openai.azure.com:443',
      '  DENY connect 10.0.40.7:9000/TCP: no rule allows 10.0.40.7:9000/TCP',
    ]);
  });

  it('policy graduate refuses a window shorter than --min-window, and says why', async () => {
    const out = path('enforcing.yaml');
    const r = await cli(['policy', 'graduate', path('np-50.yaml'), '--against', benign, '--out', out]);
    expect(r.code).toBe(1);
    expect(existsSync(out)).toBe(false);
    expect(r.out).toMatch(
      /^ {2}- the observations of NetworkPolicy for shop\/checkout cover 59 m \(2026-11-20T10:00:00\.015Z to 2026-11-20T10:59:50\.700Z\), less than the --min-window of 7 d: keep observing and graduate later$/m,
    );
  });

  it('policy graduate refuses drafts that would deny a benign flow, whatever the window', async () => {
    const r = await cli(['policy', 'graduate', path('np.yaml'), '--against', withAttack, '--min-window', '30m']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^ {2}- 1 benign flow would be denied \(listed above\)/m);
    expect(r.out).toBe('');
  });

  it('policy graduate writes the enforcing version when the check is clean over --min-window', async () => {
    const out = path('enforcing.yaml');
    const r = await cli([
      'policy',
      'graduate',
      path('np-50.yaml'),
      '--against',
      benign,
      '--min-window',
      '30m',
      '--out',
      out,
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Graduated 6 policies to .*enforcing\.yaml: apply them to enforce\.$/m);
    const docs = validDocuments(readFileSync(out, 'utf8')) as {
      metadata: { labels?: Record<string, string>; annotations: Record<string, string> };
    }[];
    expect(docs).toHaveLength(6);
    for (const d of docs) {
      expect(d.metadata.labels?.['causeway.io/draft']).toBeUndefined();
      expect(d.metadata.annotations['causeway.io/mode']).toBeUndefined();
      expect(d.metadata.annotations['causeway.io/graduated']).toMatch(
        /^checked clean against \d+ distinct flows from \d+ observations, 2026-11-20T10:0/,
      );
    }
  });

  it('says what is wrong with a draft file without quoting it', async () => {
    const bad = path('bad.yaml');
    writeFileSync(bad, 'apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {token: c2VjcmV0}\n');
    const r = await cli(['policy', 'check', bad, '--against', benign]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /bad\.yaml: document 1 is not a NetworkPolicy \(networking\.k8s\.io\/v1\), CiliumNetworkPolicy/,
    );
    expect(r.err).not.toContain('c2VjcmV0');
    const invalid = path('invalid.yaml');
    writeFileSync(
      invalid,
      'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x, namespace: shop}\nspec: {podSelector: {matchLabels: {app: checkout}}, egress: [{to: [{ipBlock: {cidr: nowhere}}]}]}\n',
    );
    const v = await cli(['policy', 'check', invalid, '--against', benign]);
    expect(v.code).toBe(2);
    expect(v.err).toMatch(
      /invalid\.yaml: document 1 is not a valid NetworkPolicy \(\/spec\/egress\/0\/to\/0\/ipBlock\/cidr must match pattern/,
    );
    expect((await cli(['policy', 'check', path('np.yaml')])).code).toBe(2);
  });
});
