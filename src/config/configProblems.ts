/**
 * What is wrong with a configuration, in the user's words: every problem names the setting as it
 * was written (the variable, the flag or `file: path`), the value's shape and the fix.
 */
import type { ErrorObject } from 'ajv';
import { isCidr } from '../common/ipAddress.ts';
import type { ConfigProblem } from '../errors.ts';
import { describeErrors, validator } from '../schemas.ts';
import type { CausewayConfig } from './config.ts';
import { ENVIRONMENT } from './environment.ts';

export function schemaProblems(config: Record<string, unknown>, origins: Map<string, string>): ConfigProblem[] {
  const validate = validator('config', 'causeway.config.schema.json');
  if (validate(config)) return [];
  const errors = validate.errors ?? [];
  const cloudMaps = errors.filter((e) => CLOUD_MAP.test(e.instancePath));
  const problems = cloudMapProblems(cloudMaps, origins);
  return problems.concat(
    errors
      .filter((e) => !cloudMaps.includes(e))
      .map((e) => {
        const path = e.instancePath.slice(1).replaceAll('/', '.');
        const extra =
          e.keyword === 'additionalProperties'
            ? String((e.params as { additionalProperty: string }).additionalProperty)
            : '';
        const fullPath = extra ? (path ? `${path}.${extra}` : extra) : path;
        const setting = originName(origins, fullPath);
        const fix =
          fullPath === 'pipeline.ingestWorkers'
            ? 'use "auto" (one worker per core but one) or a whole number from 0 (everything on one thread) to 64'
            : e.keyword === 'additionalProperties'
              ? `remove "${extra}" or correct its spelling (see schemas/config/causeway.config.schema.json for the known settings)`
              : e.keyword === 'enum'
                ? `use one of: ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`
                : e.keyword === 'pattern' && fullPath.endsWith('dcrImmutableId')
                  ? 'use the DCR immutableId (dcr-<32 hex>, shown as "Immutable Id" on the DCR overview), not its resource id'
                  : e.keyword === 'pattern' && fullPath.endsWith('endpoint')
                    ? 'use the https:// logs ingestion endpoint of the DCR (properties.endpoints.logsIngestion) or its DCE'
                    : e.keyword === 'type'
                      ? `use ${(e.params as { type: string }).type === 'integer' ? 'a whole number' : `a ${String((e.params as { type: string }).type)}`}`
                      : e.keyword === 'minimum' || e.keyword === 'maximum'
                        ? `use a value ${e.keyword === 'minimum' ? 'of at least' : 'of at most'} ${String((e.params as { limit: number }).limit)}`
                        : `use a value that matches schemas/config/causeway.config.schema.json (${e.keyword})`;
        return {
          setting,
          problem: `${describeErrors([e]).replace(/^\S+\s/, '')} (got ${JSON.stringify(getPath(config, fullPath))})`,
          fix,
        };
      }),
  );
}

/** The cloud settings keyed by `<namespace>/<name>`: JSON pointers there hold a `/` in the key. */
const CLOUD_MAP = /^\/cloud\/(workloadIdentities|serviceAccounts)(\/|$)/;

/** One problem per bad key or value of cloud.workloadIdentities / cloud.serviceAccounts, named as written. */
function cloudMapProblems(errors: readonly ErrorObject[], origins: Map<string, string>): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const e of errors) {
    const [, , map, ...rest] = e.instancePath.split('/');
    // Where the map came from (a file names each of its entries; a flag or variable the whole map).
    const base = `cloud.${map}`;
    const origin = [...origins].find(([p, o]) => (p === base || p.startsWith(`${base}.`)) && o !== 'default')?.[1];
    const setting = !origin
      ? base
      : origin.includes(': ')
        ? `${origin.slice(0, origin.indexOf(': '))}: ${base}`
        : origin;
    const key = e.propertyName ?? (e.params as { propertyName?: string }).propertyName;
    if (e.keyword === 'propertyNames') continue; // its nested pattern error says it
    if (key !== undefined || rest.length === 0)
      out.push({
        setting,
        problem: `the key ${JSON.stringify(key ?? '')} is not <namespace>/<name>`,
        fix: `name each entry by the namespace and the ${map === 'workloadIdentities' ? 'service account (or workload)' : 'workload'}, in lower case, e.g. "agents/file-tools"`,
      });
    else
      out.push({
        setting: `${setting}["${rest.join('/').replaceAll('~1', '/').replaceAll('~0', '~')}"]`,
        problem: map === 'workloadIdentities' ? 'is not an Entra client id' : 'is not a service-account name',
        fix:
          map === 'workloadIdentities'
            ? 'use the application (client) id, a GUID like 5d2f7a10-3c4b-4e8f-9a61-7b0c2d4e6f81 (the azure.workload.identity/client-id annotation of the service account)'
            : 'use the name of the service account (lower-case letters, digits, - and .)',
      });
  }
  return out;
}

export function crossFieldProblems(config: CausewayConfig, origins: Map<string, string>): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const la = config.sink.logAnalytics;
  if (config.sink.type === 'logAnalytics') {
    if (!la.endpoint)
      problems.push({
        setting: originName(origins, 'sink.logAnalytics.endpoint'),
        problem: 'the Log Analytics sink needs the logs ingestion endpoint',
        fix: 'set --logs-ingestion-endpoint or CAUSEWAY_LOGS_INGESTION_ENDPOINT to the DCR logsIngestion endpoint',
      });
    if (!la.dcrImmutableId)
      problems.push({
        setting: originName(origins, 'sink.logAnalytics.dcrImmutableId'),
        problem: 'the Log Analytics sink needs the DCR immutable id',
        fix: 'set --dcr or CAUSEWAY_DCR_IMMUTABLE_ID to the DCR immutableId (dcr-<32 hex>)',
      });
  }
  if (config.kafka.sasl?.mechanism === 'oauthbearer-entra' && !config.kafka.sasl.eventHubsNamespace) {
    problems.push({
      setting: originName(origins, 'kafka.sasl.eventHubsNamespace'),
      problem: 'OAUTHBEARER with Entra needs the Event Hubs namespace to request a token for',
      fix: 'set kafka.sasl.eventHubsNamespace to <namespace>.servicebus.windows.net',
    });
  }
  const eventHubs =
    config.kafka.sasl?.eventHubsNamespace !== undefined ||
    config.kafka.sasl?.username === '$ConnectionString' ||
    (config.kafka.brokers ?? []).some((b) => b.includes('.servicebus.'));
  if (eventHubs && !config.kafka.tls) {
    problems.push({
      setting: originName(origins, 'kafka.tls'),
      problem: "Event Hubs' Kafka endpoint only speaks TLS (port 9093)",
      fix: 'set kafka.tls true (CAUSEWAY_KAFKA_TLS=true) and use <namespace>.servicebus.windows.net:9093',
    });
  }
  if (
    config.kafka.sasl?.eventHubsNamespace !== undefined &&
    !/^[a-z0-9][a-z0-9-]{4,48}\.servicebus\.(windows\.net|chinacloudapi\.cn|usgovcloudapi\.net)$/i.test(
      config.kafka.sasl.eventHubsNamespace,
    )
  ) {
    problems.push({
      setting: originName(origins, 'kafka.sasl.eventHubsNamespace'),
      problem: `is not an Event Hubs namespace host name (got ${JSON.stringify(config.kafka.sasl.eventHubsNamespace)})`,
      fix: 'use <namespace>.servicebus.windows.net, without scheme or port',
    });
  }
  if (config.kafka.sasl && config.kafka.sasl.mechanism !== 'oauthbearer-entra' && !config.kafka.sasl.passwordEnv) {
    problems.push({
      setting: originName(origins, 'kafka.sasl.passwordEnv'),
      problem: `SASL ${config.kafka.sasl.mechanism} needs a password`,
      fix: 'set kafka.sasl.passwordEnv to the NAME of the environment variable that holds it (the secret itself never goes in the file)',
    });
  }
  config.cloud.egressAddresses.forEach((cidr, i) => {
    if (isCidr(cidr)) return;
    problems.push({
      setting: `${originName(origins, 'cloud.egressAddresses')}[${i}]`,
      problem: 'is not an IP address or CIDR block',
      fix: 'use an IPv4 or IPv6 address (20.50.1.7) or a CIDR block (20.50.1.0/28, 10.224.0.0/16)',
    });
  });
  return problems;
}

/** The user-facing name of a setting: the env var or flag that set it, else `file: path`, else the path. */
export function originName(origins: Map<string, string>, path: string): string {
  const origin = origins.get(path);
  if (!origin || origin === 'default') {
    const env = Object.entries(ENVIRONMENT).find(([, s]) => s.path === path)?.[0];
    return env ? `${path} (${env})` : path;
  }
  return origin;
}

function getPath(target: Record<string, unknown>, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>(
      (node, part) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined),
      target,
    );
}
