/**
 * The configs shipped in deploy/ say only what the versions they name accept (key sets written from
 * each component's published config schema, sources in the fixture), and point at endpoints
 * Causeway serves, in the encodings it reads.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ENDPOINTS } from '../../../src/hosts/local/localHost.ts';
import { loadConfig } from '../../../src/config/config.ts';

type Tree = true | { [key: string]: Tree };
type Yaml = Record<string, unknown>;

const ROOT = new URL('../../../', import.meta.url).pathname;
const KEYS = JSON.parse(readFileSync(ROOT + 'test/fixtures/otlp-protobuf/deploy-config-keys.json', 'utf8')) as {
  otelcol: {
    deprecatedTypes: Record<string, string>;
    top: Tree;
    receivers: Record<string, Tree>;
    processors: Record<string, Tree>;
    exporters: Record<string, Tree>;
    extensions: Record<string, Tree>;
  };
  falcosidekick: { values: Tree };
  kubescape: { values: Tree };
};
const read = (path: string) => parse(readFileSync(ROOT + path, 'utf8')) as Yaml;
const COLLECTOR_CONFIGS = readdirSync(ROOT + 'deploy/otel-collector').map((f) => `deploy/otel-collector/${f}`);

/** Every key path in `value` that `tree` does not allow. */
function unknownKeys(value: unknown, tree: Tree, path = ''): string[] {
  if (tree === true || value === null || typeof value !== 'object') return [];
  if (Array.isArray(value)) {
    const item = (tree as Record<string, Tree>)['[]'];
    return item ? value.flatMap((v, i) => unknownKeys(v, item, `${path}[${i}]`)) : [`${path} (not a list)`];
  }
  return Object.entries(value as Yaml).flatMap(([k, v]) => {
    const sub = (tree as Record<string, Tree>)[k] ?? (tree as Record<string, Tree>)['*'];
    return sub === undefined ? [`${path}.${k}`] : unknownKeys(v, sub, `${path}.${k}`);
  });
}

/** `type/name` → type. */
const typeOf = (id: string) => id.split('/')[0]!;

describe('deploy/otel-collector', () => {
  it('the key check refuses what current releases refuse', () => {
    const old = { exporters: { kafka: { topic: 'agent-telemetry', encoding: 'otlp_json' } } };
    expect(unknownKeys(old.exporters.kafka, KEYS.otelcol.exporters.kafka!)).toEqual(['.topic', '.encoding']);
    expect(KEYS.otelcol.deprecatedTypes.otlphttp).toBe('otlp_http');
  });

  it('ships the two configs the README points at', () => {
    expect(COLLECTOR_CONFIGS).toEqual(
      expect.arrayContaining(['deploy/otel-collector/otlp-http.yaml', 'deploy/otel-collector/kafka-eventhubs.yaml']),
    );
  });

  for (const file of COLLECTOR_CONFIGS) {
    it(`${file}: every component and key is one the Collector version accepts`, () => {
      const config = read(file);
      expect(unknownKeys(config, KEYS.otelcol.top)).toEqual([]);
      for (const kind of ['receivers', 'processors', 'exporters', 'extensions'] as const) {
        for (const [id, settings] of Object.entries((config[kind] as Yaml | undefined) ?? {})) {
          const type = typeOf(id);
          expect(KEYS.otelcol.deprecatedTypes[type], `${kind}.${id} uses a deprecated type name`).toBeUndefined();
          const tree = KEYS.otelcol[kind][type];
          expect(tree, `${kind}.${id}: no such component type`).toBeDefined();
          expect(unknownKeys(settings, tree!, `${kind}.${id}`)).toEqual([]);
        }
      }
    });

    it(`${file}: pipelines use only defined components, with k8sattributes before batch`, () => {
      const config = read(file);
      const service = config.service as { extensions?: string[]; pipelines: Record<string, Record<string, string[]>> };
      for (const ext of service.extensions ?? []) expect(Object.keys(config.extensions as Yaml)).toContain(ext);
      for (const pipeline of Object.values(service.pipelines)) {
        for (const kind of ['receivers', 'processors', 'exporters'] as const)
          for (const id of pipeline[kind] ?? [])
            expect(Object.keys(config[kind] as Yaml), `${kind} ${id}`).toContain(id);
        const processors = (pipeline.processors ?? []).map(typeOf);
        expect(processors.indexOf('k8sattributes')).toBeLessThan(processors.indexOf('batch'));
      }
    });
  }

  it('otlp-http.yaml posts protobuf, gzip, to the host and port Causeway serves OTLP on', () => {
    const exporter = (read('deploy/otel-collector/otlp-http.yaml').exporters as Yaml).otlp_http as Yaml;
    const url = new URL(exporter.endpoint as string);
    // The exporter appends /v1/traces to a bare endpoint.
    expect(url.pathname).toBe('/');
    expect(ENDPOINTS['/v1/traces']?.accept).toEqual(['otel']);
    expect(url.port).toBe(String(loadConfig().config.serve.port));
    expect(exporter).toMatchObject({ encoding: 'proto', compression: 'gzip' });
  });

  it('kafka-eventhubs.yaml sends traces to agent-telemetry as otlp_json, keyed by trace id', () => {
    const kafka = (read('deploy/otel-collector/kafka-eventhubs.yaml').exporters as Yaml).kafka as Yaml;
    expect(kafka.traces).toEqual({ topic: loadConfig().config.kafka.topics.telemetry, encoding: 'otlp_json' });
    expect(kafka.partition_traces_by_id).toBe(true);
    // Top-level topic/encoding fail validation in current releases.
    expect(kafka.topic).toBeUndefined();
    expect(kafka.encoding).toBeUndefined();
    expect((kafka.producer as Yaml).compression).toBe('none');
  });
});

describe('deploy/falcosidekick and deploy/kubescape', () => {
  for (const file of ['deploy/falcosidekick/values.yaml', 'deploy/falcosidekick/values-eventhubs.yaml']) {
    it(`${file}: only Falcosidekick chart values`, () => {
      expect(unknownKeys(read(file), KEYS.falcosidekick.values)).toEqual([]);
    });
  }

  it('Falcosidekick posts to /falco and names the cluster in a custom field Causeway reads', () => {
    const config = read('deploy/falcosidekick/values.yaml').config as {
      customfields: string;
      webhook: { address: string };
    };
    expect(ENDPOINTS[new URL(config.webhook.address).pathname]?.accept).toEqual(['falco']);
    // CUSTOMFIELDS is split on commas, then on the colon (falcosidekick config.go).
    const fields = Object.fromEntries(config.customfields.split(',').map((kv) => kv.split(':')));
    expect(fields.cluster).toMatch(/^[\w-]+$/);
  });

  it('deploy/kubescape/values.yaml: only chart values, and an exporter url Causeway serves alerts on', () => {
    const values = read('deploy/kubescape/values.yaml');
    expect(unknownKeys(values, KEYS.kubescape.values)).toEqual([]);
    const exporter = ((values.nodeAgent as Yaml).config as Yaml).httpExporterConfig as { url: string };
    // The node-agent appends /v1/runtimealerts to the url.
    expect(ENDPOINTS[new URL(exporter.url).pathname.replace(/\/$/, '') + '/v1/runtimealerts']?.accept).toEqual([
      'kubescape',
    ]);
  });

  it('the README points at every shipped file', () => {
    const readme = readFileSync(ROOT + 'README.md', 'utf8');
    for (const file of [
      ...COLLECTOR_CONFIGS,
      'deploy/falcosidekick/values.yaml',
      'deploy/falcosidekick/values-eventhubs.yaml',
      'deploy/kubescape/values.yaml',
    ])
      expect(readme).toContain(file);
  });
});
