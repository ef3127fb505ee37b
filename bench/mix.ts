/**
 * A realistic event mix for benchmarks: hundreds of pods emitting Tetragon exec/exit/file/connect
 * lines (the volume), benign agent and MCP traffic, and attack scenarios sprinkled in, each in
 * its own cluster so each makes one story. Generated in chunks so millions of events never sit in
 * memory at once.
 */
import {
  pod,
  proc,
  tetragonConnect,
  tetragonExec,
  tetragonExit,
  tetragonFile,
  type Pod,
  type Proc,
} from '../src/demo/builders.ts';
import { benign, cast, demoAttack } from '../src/demo/scenarios.ts';
import { compromisedTool } from '../test/scenario/scenarios.ts';

export interface Chunk {
  /** Messages in arrival order (Tetragon lines batched, spans and alerts as their own messages). */
  messages: { body: string; input: string; completesAttack: boolean }[];
  events: number;
  bytes: number;
  attacks: number;
}

const BINARIES = [
  '/usr/bin/wget',
  '/bin/ls',
  '/usr/bin/find',
  '/usr/local/bin/healthcheck',
  '/usr/bin/date',
  '/bin/cat',
  '/usr/bin/awk',
  '/usr/bin/python3',
];
const FILES = [
  '/app/config/application.yaml',
  '/etc/resolv.conf',
  '/etc/hosts',
  '/usr/share/zoneinfo/UTC',
  '/app/data/cache.db',
  '/etc/ssl/certs/ca-certificates.crt',
];
const INTERNAL = ['10.0.20.10', '10.0.31.5', '10.0.12.4', '10.0.40.7', '10.96.0.1'];
const PUBLIC = ['151.101.1.69', '140.82.112.3', '20.42.65.92'];

export class Mix {
  private readonly pods: Pod[];
  private readonly live = new Map<Pod, Proc[]>();
  private readonly mains = new Map<Pod, Proc>();
  private t: number;
  private seed = 12345;
  private attackNo = 0;
  private pid = 100;

  constructor(options: { pods: number; start: number }) {
    this.t = options.start;
    this.pods = Array.from({ length: options.pods }, (_, i) =>
      pod('aks-bench', `team-${i % 20}`, `svc-${Math.floor(i / 5)}`, i),
    );
    for (const p of this.pods)
      this.mains.set(p, proc(p, 1, '/usr/local/bin/app', '--serve', options.start - 3_600_000));
  }

  private rand(): number {
    this.seed = (Math.imul(this.seed, 1103515245) + 12345) >>> 0;
    return this.seed / 2 ** 32;
  }

  /** `events` events at `ratePerSec` of event time; an attack every `attackEvery` events. */
  chunk(events: number, options: { ratePerSec: number; attackEvery: number; agentShare: number }): Chunk {
    const out: Chunk = { messages: [], events: 0, bytes: 0, attacks: 0 };
    let batch: string[] = [];
    const flushBatch = () => {
      if (!batch.length) return;
      const body = batch.join('\n') + '\n';
      out.messages.push({ body, input: 'tetragon', completesAttack: false });
      out.bytes += body.length;
      batch = [];
    };
    const step = 1000 / options.ratePerSec;
    while (out.events < events) {
      this.t += step;
      if (out.events > 0 && out.events % options.attackEvery === 0) {
        flushBatch();
        out.attacks++;
        this.attackNo++;
        const scenario =
          this.attackNo % 2
            ? demoAttack(`aks-attack-${this.attackNo}`, this.t, { alertDelayMs: 1000 })
            : compromisedTool(`aks-attack-${this.attackNo}`, this.t);
        // Only the attack's own records (benign traffic comes from the mix itself); Tetragon
        // batches mix both, so they are filtered line by line.
        const benignRecord = (r: string) =>
          r.includes('"shop"') || r.includes('support-agent') || r.includes('kb-tools');
        const own = scenario
          .map((m) =>
            m.input === 'tetragon'
              ? {
                  ...m,
                  body:
                    m.body
                      .split('\n')
                      .filter((l) => l && !benignRecord(l))
                      .join('\n') + '\n',
                }
              : m,
          )
          .filter((m) => m.body.trim() !== '' && !benignRecord(m.body));
        own.forEach((m, i) => {
          out.messages.push({ body: m.body, input: m.input, completesAttack: i === own.length - 1 });
          out.bytes += m.body.length;
          out.events += m.input === 'tetragon' ? m.body.split('\n').length - 1 : 1;
        });
        continue;
      }
      if (this.rand() < options.agentShare) {
        flushBatch();
        const agentTraffic = benign(
          cast(`aks-agents-${Math.floor(this.rand() * 50)}`),
          this.t,
          20_000,
          `bench-${out.events}-${this.attackNo}`,
        ).filter((m) => m.input === 'otlp');
        for (const m of agentTraffic.slice(0, 4)) {
          out.messages.push({ body: m.body, input: m.input, completesAttack: false });
          out.bytes += m.body.length;
          out.events++;
        }
        continue;
      }
      const p = this.pods[Math.floor(this.rand() ** 1.5 * this.pods.length)]!;
      const procs = this.live.get(p) ?? [];
      const r = this.rand();
      let line: string;
      if (r < 0.35 || procs.length === 0) {
        const child = proc(
          p,
          this.pid++,
          BINARIES[Math.floor(this.rand() * BINARIES.length)]!,
          '-q --once',
          this.t,
          this.mains.get(p),
        );
        procs.push(child);
        if (procs.length > 8) procs.shift();
        this.live.set(p, procs);
        line = tetragonExec(child);
      } else if (r < 0.7) {
        const done = procs.shift()!;
        line = tetragonExit(done, this.t);
      } else if (r < 0.85) {
        line = tetragonFile(this.mains.get(p)!, this.t, FILES[Math.floor(this.rand() * FILES.length)]!);
      } else {
        const dest =
          this.rand() < 0.9
            ? INTERNAL[Math.floor(this.rand() * INTERNAL.length)]!
            : PUBLIC[Math.floor(this.rand() * PUBLIC.length)]!;
        line = tetragonConnect(this.mains.get(p)!, this.t, dest, dest.startsWith('10.') ? 5432 : 443);
      }
      batch.push(line);
      out.events++;
      if (batch.length >= 500) flushBatch();
    }
    flushBatch();
    return out;
  }
}
