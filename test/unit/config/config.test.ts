import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config.ts';
import { ConfigError } from '../../../src/errors.ts';

function problems(fn: () => unknown): ConfigError['problems'] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('loads the built-in defaults and says which were used', () => {
    const { config, defaultsUsed } = loadConfig({ env: {} });
    expect(config.serve).toEqual({ host: '127.0.0.1', port: 8787, maxBodyBytes: 16 * 1024 * 1024 });
    expect(config.correlation.allowedLatenessMinutes).toBeGreaterThanOrEqual(45);
    expect(defaultsUsed).toContain('cluster');
    expect(defaultsUsed).toContain('serve.port');
  });

  it('names the environment variable, the bad value and the fix for a non-numeric port', () => {
    const [p] = problems(() => loadConfig({ env: { CAUSEWAY_PORT: 'eighty' } }));
    expect(p?.setting).toBe('CAUSEWAY_PORT');
    expect(p?.problem).toContain('"eighty"');
    expect(p?.fix).toBe('use a whole number');
  });

  it('names the flag when a CLI flag is out of range', () => {
    const [p] = problems(() => loadConfig({ env: {}, flags: { 'serve.port': { value: 70000, flag: '--port' } } }));
    expect(p?.setting).toBe('--port');
    expect(p?.problem).toMatch(/<= 65535/);
  });

  it('reads the cloud workload identities and egress addresses from a file, and names each bad entry with its fix', () => {
    const dir = mkdtempSync(join(tmpdir(), 'causeway-config-'));
    const good = join(dir, 'good.yaml');
    writeFileSync(
      good,
      [
        'cloud:',
        '  workloadIdentities: { "agents/file-tools": 5d2f7a10-3c4b-4e8f-9a61-7b0c2d4e6f81 }',
        '  serviceAccounts: { "agents/file-tools": file-tools-sa }',
        '  egressAddresses: [20.31.7.16/29, 10.224.0.0/16, "2001:db8::1"]',
      ].join('\n'),
    );
    const { config } = loadConfig({ env: {}, file: good });
    expect(config.cloud.workloadIdentities).toEqual({ 'agents/file-tools': '5d2f7a10-3c4b-4e8f-9a61-7b0c2d4e6f81' });
    expect(config.cloud.egressAddresses).toHaveLength(3);

    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      [
        'cloud:',
        '  workloadIdentities: { "agents/file-tools": id-file-tools, file-tools: 5d2f7a10-3c4b-4e8f-9a61-7b0c2d4e6f81 }',
      ].join('\n'),
    );
    const found = problems(() => loadConfig({ env: {}, file: bad }));
    expect(found).toHaveLength(2);
    expect(found).toContainEqual(
      expect.objectContaining({
        setting: `${bad}: cloud.workloadIdentities["agents/file-tools"]`,
        problem: 'is not an Entra client id',
      }),
    );
    expect(found.find((p) => /is not <namespace>\/<name>/.test(p.problem))?.fix).toMatch(/"agents\/file-tools"/);

    const cidrs = problems(() =>
      loadConfig({
        env: {},
        flags: {
          'cloud.egressAddresses': {
            value: ['20.31.7.16/29', '20.31.7.300', 'nat-gw', '10.0.0.0/33'],
            flag: '--egress',
          },
        },
      }),
    );
    expect(cidrs.map((p) => p.setting)).toEqual(['--egress[1]', '--egress[2]', '--egress[3]']);
    expect(cidrs[0]?.fix).toMatch(/CIDR block/);
  });

  it('rejects an unknown key in a file, naming the file and the key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-config-'));
    const file = join(dir, 'causeway.json');
    writeFileSync(file, JSON.stringify({ serve: { prot: 9000 } }));
    const [p] = problems(() => loadConfig({ file, env: {} }));
    expect(p?.setting).toBe(`${file}: serve.prot`);
    expect(p?.fix).toMatch(/remove "prot"/);
  });

  it('reads YAML files and reports where each setting came from', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-config-'));
    const file = join(dir, 'causeway.yaml');
    writeFileSync(file, 'cluster: aks-prod\ncorrelation:\n  storyIdleMinutes: 20\n');
    const { config, origins } = loadConfig({ file, env: { CAUSEWAY_PORT: '9000' } });
    expect(config.cluster).toBe('aks-prod');
    expect(config.correlation.storyIdleMinutes).toBe(20);
    expect(config.serve.port).toBe(9000);
    expect(origins.get('cluster')).toBe(`${file}: cluster`);
    expect(origins.get('serve.port')).toBe('CAUSEWAY_PORT');
  });

  it('explains a DCR resource id given where the immutable id belongs', () => {
    const list = problems(() =>
      loadConfig({
        env: {},
        flags: {
          'sink.logAnalytics.dcrImmutableId': {
            value: '/subscriptions/x/resourceGroups/y/providers/Microsoft.Insights/dataCollectionRules/z',
            flag: '--dcr',
          },
        },
      }),
    );
    const p = list.find((x) => x.setting === '--dcr');
    expect(p?.fix).toMatch(/immutableId \(dcr-<32 hex>/);
  });

  it('selects Log Analytics when an endpoint is given and demands the DCR id', () => {
    const list = problems(() =>
      loadConfig({ env: { CAUSEWAY_LOGS_INGESTION_ENDPOINT: 'https://dcr-x.westeurope-1.ingest.monitor.azure.com' } }),
    );
    expect(list.map((p) => p.setting)).toContain('sink.logAnalytics.dcrImmutableId (CAUSEWAY_DCR_IMMUTABLE_ID)');
  });

  it('reports a missing configuration file with the setting that named it', () => {
    const [p] = problems(() => loadConfig({ env: { CAUSEWAY_CONFIG: '/nonexistent/causeway.json' } }));
    expect(p?.problem).toMatch(/does not exist/);
  });

  it('refuses a SASL password in the file: only the name of the variable that holds it', () => {
    const list = problems(() =>
      loadConfig({
        env: {},
        flags: { 'kafka.sasl': { value: { mechanism: 'plain', username: '$ConnectionString' }, flag: '--kafka-sasl' } },
      }),
    );
    expect(list.map((x) => x.fix)).toEqual(expect.arrayContaining([expect.stringMatching(/passwordEnv/)]));
    // $ConnectionString means Event Hubs, which only takes TLS.
    expect(list.map((x) => x.problem)).toEqual(expect.arrayContaining([expect.stringMatching(/only speaks TLS/)]));
  });

  it('checks Event Hubs Kafka settings: a namespace host name, TLS', () => {
    const list = problems(() =>
      loadConfig({
        env: {
          CAUSEWAY_KAFKA_SASL_MECHANISM: 'oauthbearer-entra',
          CAUSEWAY_KAFKA_EVENTHUBS_NAMESPACE: 'https://ns.servicebus.windows.net:9093',
        },
      }),
    );
    expect(list.map((x) => x.setting)).toEqual(
      expect.arrayContaining(['kafka.tls (CAUSEWAY_KAFKA_TLS)', 'CAUSEWAY_KAFKA_EVENTHUBS_NAMESPACE']),
    );
    expect(() =>
      loadConfig({
        env: {
          CAUSEWAY_KAFKA_SASL_MECHANISM: 'oauthbearer-entra',
          CAUSEWAY_KAFKA_EVENTHUBS_NAMESPACE: 'causeway-ns.servicebus.windows.net',
          CAUSEWAY_KAFKA_TLS: 'true',
        },
      }),
    ).not.toThrow();
  });
});
