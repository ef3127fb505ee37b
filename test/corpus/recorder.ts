/**
 * Collects the records of one scenario with their ground truth. Each record keeps its event time
 * and the delivery delay its product really has (log shipper, span batching, Kubescape bulking,
 * Defender's 10–30 minutes); the arrival orders in arrival.ts decide from these when it arrives.
 * Labels go to a side map keyed like the evidence rows (labels.ts), never into the records.
 */
import type { Label, LabelMap } from './labels.ts';
import type { Rng } from './rng.ts';
import type { WireLine } from './wire/tetragon.ts';

/** The input (endpoint, hub or topic) a record arrives on. */
export type InputName = 'tetragon' | 'otlp' | 'kubescape' | 'falco' | 'defender' | 'cloud';

/** One record as a product would deliver it, with what the arrival orders need. */
export interface CorpusRecord {
  /** Event time (ms) of the earliest event the record carries. */
  time: number;
  /** How long after `time` the product would deliver it, in the realistic arrival order. */
  delayMs: number;
  input: InputName;
  /** One JSON document (or one JSON line for Tetragon). */
  body: string;
  /** A vendor or prompt alert (the arrival orders move these). */
  alert: boolean;
  /** Label keys of the events it decodes into. */
  keys: string[];
}

/** The records of a scenario, in generation order, and their labels. */
export class Recorder {
  readonly records: CorpusRecord[] = [];
  readonly labels: LabelMap = new Map();

  constructor(private readonly rng: Rng) {}

  /** One Tetragon line; the log shipper delivers it within seconds. */
  tetragon(w: WireLine, label: Label): void {
    this.add(
      { time: w.time, delayMs: this.rng.int(500, 4_000), input: 'tetragon', body: w.line, alert: false, keys: [w.key] },
      label,
    );
  }

  /** One OTLP request, exported by the batch span processor after its last span ends. */
  otlp(request: { body: string; keys: string[] }, time: number, exportAt: number, labels: Label | Label[]): void {
    this.add(
      {
        time,
        delayMs: exportAt - time + this.rng.int(1_000, 5_000),
        input: 'otlp',
        body: request.body,
        alert: false,
        keys: request.keys,
      },
      labels,
    );
  }

  /** A Kubescape POST or stdout line; bulking holds alerts up to ~10 s. */
  kubescape(wire: { body: string; keys: string[] }, time: number, labels: Label | Label[], delayMs?: number): void {
    this.add(
      {
        time,
        delayMs: delayMs ?? this.rng.int(1_000, 10_000),
        input: 'kubescape',
        body: wire.body,
        alert: true,
        keys: wire.keys,
      },
      labels,
    );
  }

  /** A Falco alert; Falcosidekick's Event Hub output sends it twice (`duplicate`). */
  falco(wire: { body: string; key: string }, time: number, label: Label, duplicate: boolean, delayMs?: number): void {
    const delay = delayMs ?? this.rng.int(200, 2_000);
    this.add({ time, delayMs: delay, input: 'falco', body: wire.body, alert: true, keys: [wire.key] }, label);
    if (duplicate)
      this.add(
        { time, delayMs: delay + this.rng.int(5, 400), input: 'falco', body: wire.body, alert: true, keys: [wire.key] },
        label,
      );
  }

  /** A Defender alert: continuous export delivers it 10–30 minutes after the activity. */
  defender(wire: { body: string; key: string }, time: number, label: Label, delayMs?: number): void {
    this.add(
      {
        time,
        delayMs: delayMs ?? this.rng.int(10 * 60_000, 30 * 60_000),
        input: 'defender',
        body: wire.body,
        alert: true,
        keys: [wire.key],
      },
      label,
    );
  }

  /**
   * A cloud audit record (kube-audit, an Entra sign-in, a Key Vault AuditEvent): Diagnostic Settings
   * deliver resource logs within minutes, sign-ins up to a quarter of an hour late.
   */
  cloud(wire: { body: string; key: string }, time: number, label: Label, delayMs?: number): void {
    this.add(
      {
        time,
        delayMs: delayMs ?? this.rng.int(60_000, 5 * 60_000),
        input: 'cloud',
        body: wire.body,
        alert: false,
        keys: [wire.key],
      },
      label,
    );
  }

  add(record: CorpusRecord, labels: Label | Label[]): void {
    record.keys.forEach((key, i) => {
      const label = Array.isArray(labels) ? labels[i] : labels;
      if (label === undefined)
        throw new Error(`record on ${record.input} has ${record.keys.length} events but fewer labels`);
      const before = this.labels.get(key);
      if (before !== undefined && JSON.stringify(before) !== JSON.stringify(label))
        throw new Error(
          `label key ${key} was given two different labels: the generator built two records with one native id`,
        );
      this.labels.set(key, label);
    });
    this.records.push(record);
  }
}
