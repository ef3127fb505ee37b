/**
 * A kafkajs client from the validated configuration: Apache Kafka (plaintext or TLS, SASL
 * PLAIN/SCRAM) or Azure Event Hubs' Kafka endpoint (`<namespace>.servicebus.windows.net:9093`,
 * TLS, SASL OAUTHBEARER with an Entra token from @azure/identity, or SASL PLAIN with the username
 * `$ConnectionString`). Secrets are read from the environment variable the config names.
 * kafkajs logs go through our logger.
 */
import type { TokenCredential } from '@azure/identity';
import { Kafka, logLevel, type KafkaConfig, type LogEntry, type SASLOptions } from 'kafkajs';
import type { CausewayConfig } from '../../config/config.ts';
import { ConfigError } from '../../errors.ts';
import type { Logger } from '../../telemetry/log.ts';

/** Refresh the Entra token this long before it expires. */
const TOKEN_REFRESH_MARGIN_MS = 5 * 60_000;

export interface KafkaClientOptions {
  config: CausewayConfig;
  env: Record<string, string | undefined>;
  logger: Logger;
  /** For oauthbearer-entra; DefaultAzureCredential (managed identity) when not given. */
  credential?: TokenCredential;
}

export async function kafkaClient(options: KafkaClientOptions): Promise<Kafka> {
  return new Kafka(await kafkaSettings(options));
}

export async function kafkaSettings({ config, env, logger, credential }: KafkaClientOptions): Promise<KafkaConfig> {
  const k = config.kafka;
  const brokers = k.brokers ?? (k.sasl?.eventHubsNamespace ? [`${k.sasl.eventHubsNamespace}:9093`] : undefined);
  if (!brokers)
    throw new ConfigError([
      {
        setting: 'kafka.brokers (CAUSEWAY_KAFKA_BROKERS)',
        problem: 'no Kafka brokers are configured',
        fix: 'set CAUSEWAY_KAFKA_BROKERS=host:9092[,host:9092] (or kafka.sasl.eventHubsNamespace for Event Hubs)',
      },
    ]);
  return {
    clientId: k.clientId,
    brokers,
    ssl: k.tls,
    sasl: await sasl(config, env, credential),
    // Event Hubs asks for request.timeout.ms >= 60000 (reference/azure-platform.md §4.7).
    requestTimeout: k.sasl?.eventHubsNamespace ? 60_000 : 30_000,
    connectionTimeout: 10_000,
    retry: { initialRetryTime: 300, retries: 8 },
    logLevel: logLevel.WARN,
    logCreator: () => (entry: LogEntry) => {
      const { message, ...fields } = entry.log;
      logger.event(
        entry.level <= logLevel.ERROR ? 'error' : entry.level === logLevel.WARN ? 'warn' : 'debug',
        'kafka.client',
        { message, ...fields, namespace: entry.namespace },
      );
    },
  };
}

async function sasl(
  config: CausewayConfig,
  env: Record<string, string | undefined>,
  credential: TokenCredential | undefined,
): Promise<SASLOptions | undefined> {
  const s = config.kafka.sasl;
  if (!s) return undefined;
  if (s.mechanism === 'oauthbearer-entra') {
    const cred =
      credential ??
      new (await import('@azure/identity')).DefaultAzureCredential(
        config.sink.logAnalytics.managedIdentityClientId
          ? { managedIdentityClientId: config.sink.logAnalytics.managedIdentityClientId }
          : {},
      );
    const scope = `https://${s.eventHubsNamespace}/.default`;
    let cached: { value: string; expiresOn: number } | undefined;
    return {
      mechanism: 'oauthbearer',
      oauthBearerProvider: async () => {
        if (!cached || cached.expiresOn - Date.now() < TOKEN_REFRESH_MARGIN_MS) {
          const token = await cred.getToken(scope);
          if (!token)
            throw new Error(
              `no Entra token for ${scope}: give the identity an Azure Event Hubs Data role on the namespace`,
            );
          cached = { value: token.token, expiresOn: token.expiresOnTimestamp };
        }
        return { value: cached.value };
      },
    };
  }
  const password = env[s.passwordEnv!];
  if (!password)
    throw new ConfigError([
      {
        setting: `kafka.sasl.passwordEnv (${s.passwordEnv})`,
        problem: `the environment variable ${s.passwordEnv} is empty or not set`,
        fix: `export ${s.passwordEnv} with the password (for Event Hubs: the namespace connection string, username $ConnectionString)`,
      },
    ]);
  const username = s.username ?? '';
  if (s.mechanism === 'plain') return { mechanism: 'plain', username, password };
  return s.mechanism === 'scram-sha-256'
    ? { mechanism: 'scram-sha-256', username, password }
    : { mechanism: 'scram-sha-512', username, password };
}
