/**
 * One scenario being generated: the simulated cluster, the recorder, the scenario's time span and
 * the per-scenario choices every sensor is configured with (Falco's appended fields, Falcosidekick
 * or plain http_output, Kubescape HTTP or stdout). Archetypes and families describe what happens
 * through its small verbs (exec, read, connect, alerts), each with a label.
 */
import type { Label } from './labels.ts';
import { Recorder } from './recorder.ts';
import { Rng } from './rng.ts';
import { defenderAlert, type DefenderAlertSpec, type DefenderShape } from './wire/defender.ts';
import { falcoAlert, type FalcoAlertSpec, type FalcoAppend } from './wire/falco.ts';
import { kubescapeHttp, kubescapeStdout, type KubescapeAlertSpec } from './wire/kubescape.ts';
import { tetragonConnect, tetragonExec, tetragonExit, tetragonFile } from './wire/tetragon.ts';
import { World, type Proc } from './world.ts';

/** The learning period the product uses by default (signals.learningPeriodMinutes). */
export const LEARNING_MS = 10 * 60_000;

/** Something a process does after it starts, at an offset (ms) from its start. */
export type Step =
  { at: number; read: string } | { at: number; write: string } | { at: number; connect: [ip: string, port: number] };

/** A scenario in the making (see the file comment). */
export class Sim {
  readonly rng: Rng;
  readonly world: World;
  readonly rec: Recorder;
  readonly falcoAppend: FalcoAppend;
  /** Falco reaches us through Falcosidekick (uuid, duplicates on Event Hubs) or plain http_output. */
  readonly falcoSidekick: boolean;
  /** Kubescape node-agent exports through the HTTP exporter (bulked) or stdout lines. */
  readonly kubescapeStdout: boolean;
  /** Settings the pipeline needs for this scenario (`cloud.workloadIdentities`, …), by path: what an operator configures. */
  readonly config: Record<string, unknown> = {};

  constructor(
    seed: string,
    readonly start: number,
    readonly end: number,
  ) {
    this.rng = new Rng(seed);
    this.world = new World(this.rng.fork('world'), start);
    this.rec = new Recorder(this.rng.fork('delays'));
    const c = this.rng.fork('sensors');
    this.falcoAppend = { pidTs: c.chance(0.6), fullId: c.chance(0.6), ppid: c.chance(0.5) };
    this.falcoSidekick = c.chance(0.7);
    this.kubescapeStdout = c.chance(0.35);
  }

  get cluster() {
    return this.world.cluster;
  }

  exec(p: Proc, label: Label, probe = false): void {
    this.rec.tetragon(tetragonExec(p, this.rng, { probe }), label);
  }

  exit(p: Proc, at: number, label: Label, status = 0): void {
    this.rec.tetragon(tetragonExit(p, at, this.rng, status), label);
  }

  read(p: Proc, at: number, path: string, label: Label): void {
    this.rec.tetragon(tetragonFile(p, at, path, this.rng, 'read'), label);
  }

  write(p: Proc, at: number, path: string, label: Label): void {
    this.rec.tetragon(tetragonFile(p, at, path, this.rng, 'write'), label);
  }

  connect(p: Proc, at: number, ip: string, port: number, label: Label): void {
    this.rec.tetragon(tetragonConnect(p, at, ip, port, this.rng), label);
  }

  /**
   * A short-lived process: exec, its steps, exit after `lifetime` ms. Steps and the exit take
   * `label`, or `stepLabel`/`exitLabel` when an attack wants them as facts and parts.
   */
  run(
    p: Proc,
    label: Label,
    options: {
      steps?: Step[];
      lifetime?: number;
      probe?: boolean;
      stepLabel?: Label;
      exitLabel?: Label;
      status?: number;
    } = {},
  ): number {
    this.exec(p, label, options.probe);
    let last = p.start;
    for (const s of options.steps ?? []) {
      const at = p.start + s.at;
      last = Math.max(last, at);
      const l = options.stepLabel ?? label;
      if ('read' in s) this.read(p, at, s.read, l);
      else if ('write' in s) this.write(p, at, s.write, l);
      else this.connect(p, at, s.connect[0], s.connect[1], l);
    }
    const exitAt = Math.max(last + this.rng.int(2, 40), p.start + (options.lifetime ?? this.rng.int(5, 400)));
    if (options.lifetime !== Infinity) this.exit(p, exitAt, options.exitLabel ?? label, options.status);
    return exitAt;
  }

  /** Kubescape alerts of one container: one bulked POST, or one stdout line each. */
  kubescape(alerts: KubescapeAlertSpec[], label: Label, delayMs?: number): void {
    const first = alerts[0];
    if (!first) return;
    if (this.kubescapeStdout) {
      for (const a of alerts) this.rec.kubescape(kubescapeStdout(a, this.rng), a.at, label, delayMs);
      return;
    }
    this.rec.kubescape(kubescapeHttp(alerts, this.rng), Math.min(...alerts.map((a) => a.at)), label, delayMs);
  }

  /** A cloud audit record (test/corpus/wire/cloud.ts). */
  cloud(wire: { body: string; key: string }, time: number, label: Label, delayMs?: number): void {
    this.rec.cloud(wire, time, label, delayMs);
  }

  falco(spec: FalcoAlertSpec, label: Label, delayMs?: number): void {
    const wire = falcoAlert(spec, this.falcoAppend, this.falcoSidekick, this.rng);
    this.rec.falco(wire, spec.at, label, this.falcoSidekick && this.rng.chance(0.8), delayMs);
  }

  defender(spec: DefenderAlertSpec, label: Label, shape: DefenderShape, delayMs?: number): void {
    this.rec.defender(defenderAlert(spec, shape, this.rng), spec.start, label, delayMs);
  }

  /** Defender's export shape for this alert (all three are seen on real hubs). */
  defenderShape(): DefenderShape {
    return this.rng.pick(['flat', 'flat', 'arm', 'la'] as const);
  }
}
