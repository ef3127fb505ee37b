/**
 * Bench section 5: the same events through a real Apache Kafka broker (KRaft, on this machine)
 * and `causeway run` consumer processes, against the in-process pipeline on the same messages;
 * then one consumer process against two. Throughput is events from the first produce to the
 * moment every group has committed everything, so it includes producing, the broker, three
 * stage hops and the table writes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectClients } from '../src/hosts/kafka/kafkaStages.ts';
import { childCpuMs, cpuMs } from './hosts.ts';
import { InProcessPipeline } from '../src/pipeline/inProcess.ts';
import { repoPath } from '../src/repoPath.ts';
import { SignalEngine } from '../src/signals/engine.ts';
import { LocalTableSink } from '../src/sinks/localTables.ts';
import { silentLogger } from '../src/telemetry/log.ts';
import { startKafkaBroker } from '../test/helpers/kafkaBroker.ts';
import {
  createRawTopics,
  kafkaConfig,
  kafkaOf,
  produceFlush,
  produceInputs,
  waitUntilDrained,
} from '../test/helpers/kafkaRun.ts';
import { Mix } from './mix.ts';

const now = () => performance.now();

export async function kafkaBench(scale: number, line: (s: string) => void, fmt: (n: number) => string): Promise<void> {
  let broker;
  try {
    broker = await startKafkaBroker({ throughput: true });
  } catch (e) {
    line(`5. Kafka section skipped: ${(e as Error).message.split('\n')[0]}`);
    return;
  }
  const kafka = kafkaOf(broker.brokers, 'causeway-bench');
  const { admin, producer } = await connectClients(kafka);
  try {
    const mix = new Mix({ pods: 500, start: Date.parse('2026-11-20T10:00:00Z') });
    const chunk = mix.chunk(Math.round(100_000 * scale), {
      ratePerSec: 20_000,
      attackEvery: 10_000,
      agentShare: 0.004,
    });
    const messages = chunk.messages.map((m) => ({ body: m.body, input: m.input }));

    const config = kafkaConfig(broker.brokers, 'bench-inproc', { CAUSEWAY_CLUSTER: 'aks-bench' });
    const dir = mkdtempSync(join(tmpdir(), 'cw-bench-'));
    const pipeline = new InProcessPipeline({
      config,
      signals: SignalEngine.load(),
      sink: new LocalTableSink(join(dir, 'tables')),
      logger: silentLogger,
      host: 'bench',
      clock: () => 0,
    });
    let t = now();
    const cpu0 = cpuMs();
    for (const m of messages) await pipeline.submit([m]);
    await pipeline.flush();
    const inProcess = (chunk.events / (now() - t)) * 1000;
    const inProcessCpu = cpuMs() - cpu0;
    const consumerCpu: number[] = [];
    rmSync(dir, { recursive: true, force: true });

    const through: number[] = [];
    const produced: number[] = [];
    for (const consumers of [1, 2]) {
      const name = `bench-${consumers}`;
      const cfg = kafkaConfig(broker.brokers, name, { CAUSEWAY_CLUSTER: 'aks-bench', CAUSEWAY_STORY_PARTITIONS: '2' });
      await createRawTopics(admin, cfg);
      const work = mkdtempSync(join(tmpdir(), `cw-${name}-`));
      const file = join(work, 'causeway.json');
      writeFileSync(file, JSON.stringify({ kafka: { topics: cfg.kafka.topics } }));
      const env = {
        CAUSEWAY_KAFKA_BROKERS: broker.brokers.join(','),
        CAUSEWAY_KAFKA_GROUP_PREFIX: cfg.kafka.groupPrefix,
        CAUSEWAY_KAFKA_TICK_SECONDS: '0',
        CAUSEWAY_KAFKA_SNAPSHOT_SECONDS: '1',
        CAUSEWAY_STORY_PARTITIONS: '2',
        CAUSEWAY_CLUSTER: 'aks-bench',
        CAUSEWAY_STATE_DIR: join(work, 'state'),
        CAUSEWAY_LOG_LEVEL: 'error',
      };
      const procs = Array.from({ length: consumers }, (_, i) =>
        runProcess(file, { ...env, CAUSEWAY_DATA_DIR: join(work, `p${i}`) }),
      );
      try {
        await Promise.all(procs.map((p) => p.ready));
        await waitForMembers(admin, cfg.kafka.groupPrefix, consumers);
        const startCpu = procs.map((p) => childCpuMs(p.child.pid!) ?? NaN);
        t = now();
        await produceInputs(producer, cfg, messages);
        await produceFlush(producer, admin, cfg);
        produced.push((chunk.events / (now() - t)) * 1000);
        await waitUntilDrained(admin, cfg, 600_000);
        through.push((chunk.events / (now() - t)) * 1000);
        consumerCpu.push(procs.reduce((n, p, i) => n + (childCpuMs(p.child.pid!) ?? NaN) - startCpu[i]!, 0));
      } finally {
        for (const p of procs) p.child.kill('SIGTERM');
        await Promise.all(procs.map((p) => p.exited));
        rmSync(work, { recursive: true, force: true });
      }
    }
    line(
      `5. through a real Kafka broker (KRaft, same machine), ${fmt(chunk.events)} events, ${(chunk.bytes / 1e6).toFixed(0)} MB, produce → 3 stages → tables:`,
    );
    line(
      `   in process ${fmt(inProcess)} events/s · 1 consumer process ${fmt(through[0]!)} events/s · ratio ${(through[0]! / inProcess).toFixed(2)} (producing alone: ${fmt(produced[0]!)} events/s)`,
    );
    const perEvent = (ms: number) => ((ms * 1000) / chunk.events).toFixed(1);
    line(
      `   CPU per event: in process ${perEvent(inProcessCpu)} µs · Kafka host (1 consumer process) ${perEvent(consumerCpu[0]!)} µs · ratio ${(consumerCpu[0]! / inProcessCpu).toFixed(2)} (target ≤ 1.5)`,
    );
    const perCpuSecond = (ms: number) => chunk.events / (ms / 1000);
    line(
      `   events per consumer CPU second (all threads: ingest workers included): Kafka host ${fmt(perCpuSecond(consumerCpu[0]!))} · in process ${fmt(perCpuSecond(inProcessCpu))} · ratio ${(perCpuSecond(consumerCpu[0]!) / perCpuSecond(inProcessCpu)).toFixed(2)}`,
    );
    line(
      `   2 consumer processes ${fmt(through[1]!)} events/s · 2 vs 1 consumer ${(through[1]! / through[0]!).toFixed(2)} (2 cores shared with the broker and the producer)`,
    );
  } finally {
    await producer.disconnect();
    await admin.disconnect();
    await broker.stop();
  }
}

/** `causeway run` from the compiled sources, as the Kafka host is deployed. */
function runProcess(
  configFile: string,
  env: Record<string, string>,
): { child: ChildProcess; ready: Promise<void>; exited: Promise<void> } {
  const main = repoPath('dist', 'src', 'cli', 'main.js');
  const script = `const { main } = await import(${JSON.stringify(main)}); process.exitCode = await main(['run', '--config', ${JSON.stringify(configFile)}, '--port', '0']);`;
  const child = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir=' + process.env.BENCH_CPU_PROF] : []),
      '--max-semi-space-size=64',
      '--input-type=module',
      '-e',
      script,
    ],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Causeway is running')) resolve();
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    void exited.then(() => reject(new Error(`causeway run exited:\n${out}`)));
  });
  return { child, ready, exited };
}

/** Until every stage group is stable with `n` members, so timing starts with the work. */
async function waitForMembers(
  admin: ReturnType<ReturnType<typeof kafkaOf>['admin']>,
  prefix: string,
  n: number,
): Promise<void> {
  const groups = ['ingest', 'workload', 'story'].map((s) => `${prefix}-${s}`);
  for (const deadline = Date.now() + 120_000; Date.now() < deadline;) {
    const { groups: described } = await admin.describeGroups(groups);
    if (described.every((g) => g.state === 'Stable' && g.members.length === n)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`consumer groups ${groups.join(', ')} did not reach ${n} members`);
}
