/** Kafka client settings from the configuration: Apache Kafka and Event Hubs' Kafka endpoint. */
import type { AccessToken, TokenCredential } from '@azure/identity';
import type { OauthbearerProviderResponse, SASLOptions } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config.ts';
import { isConfigError } from '../../../src/errors.ts';
import { kafkaSettings } from '../../../src/hosts/kafka/client.ts';
import { chunks } from '../../../src/hosts/kafka/publisher.ts';
import { silentLogger } from '../../../src/telemetry/log.ts';

const config = (env: Record<string, string>) => loadConfig({ env }).config;

describe('Kafka client settings', () => {
  it('Event Hubs with Entra: broker on 9093, TLS, OAUTHBEARER tokens for the namespace scope, cached until near expiry', async () => {
    const scopes: string[] = [];
    let issued = 0;
    const credential: TokenCredential = {
      async getToken(scope): Promise<AccessToken> {
        scopes.push(String(scope));
        return { token: `token-${++issued}`, expiresOnTimestamp: Date.now() + 3_600_000 };
      },
    };
    const settings = await kafkaSettings({
      config: config({
        CAUSEWAY_KAFKA_SASL_MECHANISM: 'oauthbearer-entra',
        CAUSEWAY_KAFKA_EVENTHUBS_NAMESPACE: 'causeway-ns.servicebus.windows.net',
        CAUSEWAY_KAFKA_TLS: 'true',
      }),
      env: {},
      logger: silentLogger,
      credential,
    });
    expect(settings.brokers).toEqual(['causeway-ns.servicebus.windows.net:9093']);
    expect(settings.ssl).toBe(true);
    expect(settings.requestTimeout).toBeGreaterThanOrEqual(60_000);
    const sasl = settings.sasl as Extract<SASLOptions, { mechanism: 'oauthbearer' }>;
    expect(sasl.mechanism).toBe('oauthbearer');
    const first: OauthbearerProviderResponse = await sasl.oauthBearerProvider();
    const second = await sasl.oauthBearerProvider();
    expect([first.value, second.value]).toEqual(['token-1', 'token-1']);
    expect(scopes).toEqual(['https://causeway-ns.servicebus.windows.net/.default']);
  });

  it('Event Hubs with a connection string: SASL PLAIN, username $ConnectionString, the secret read from the named variable', async () => {
    const settings = await kafkaSettings({
      config: config({
        CAUSEWAY_KAFKA_BROKERS: 'causeway-ns.servicebus.windows.net:9093',
        CAUSEWAY_KAFKA_TLS: 'true',
        CAUSEWAY_KAFKA_SASL_MECHANISM: 'plain',
        CAUSEWAY_KAFKA_SASL_USERNAME: '$ConnectionString',
        CAUSEWAY_KAFKA_SASL_PASSWORD_ENV: 'EH_CONN',
      }),
      env: { EH_CONN: 'Endpoint=sb://causeway-ns.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=s' },
      logger: silentLogger,
    });
    expect(settings.sasl).toEqual({
      mechanism: 'plain',
      username: '$ConnectionString',
      password: expect.stringContaining('SharedAccessKey=s'),
    });
  });

  it('names the variable when the SASL secret is missing, and the brokers setting when none are set', async () => {
    const missing = await kafkaSettings({
      config: config({
        CAUSEWAY_KAFKA_BROKERS: 'kafka:9092',
        CAUSEWAY_KAFKA_SASL_MECHANISM: 'scram-sha-512',
        CAUSEWAY_KAFKA_SASL_USERNAME: 'causeway',
        CAUSEWAY_KAFKA_SASL_PASSWORD_ENV: 'KAFKA_PASSWORD',
      }),
      env: {},
      logger: silentLogger,
    }).catch((e: unknown) => e);
    expect(isConfigError(missing) && missing.problems[0]!.setting).toBe('kafka.sasl.passwordEnv (KAFKA_PASSWORD)');
    const none = await kafkaSettings({ config: config({}), env: {}, logger: silentLogger }).catch((e: unknown) => e);
    expect(isConfigError(none) && none.problems[0]!.setting).toBe('kafka.brokers (CAUSEWAY_KAFKA_BROKERS)');
  });

  it('splits a publish into requests under the 1 MB batch limit of brokers and Event Hubs', () => {
    const messages = Array.from({ length: 40 }, (_, i) => ({ key: String(i), value: 'x'.repeat(100_000) }));
    const parts = chunks(messages);
    expect(parts.flat()).toEqual(messages);
    for (const p of parts) expect(p.reduce((n, m) => n + m.value.length, 0)).toBeLessThan(600_000);
  });
});
