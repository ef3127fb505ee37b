/**
 * Scenario plumbing: a scenario is the records each product would send, in arrival order.
 */
export interface ScenarioInput {
  /** Arrival time (ms): Defender alerts arrive 10-30 minutes after the activity. */
  at: number;
  /** Which endpoint/hub it would arrive on. */
  input: string;
  body: string;
}

export class ScenarioBuilder {
  private items: ScenarioInput[] = [];
  private tetragon = new Map<number, string[]>();

  /** Tetragon lines are exported in batches by the log shipper: group them per second. */
  tetragonLine(at: number, line: string, delayMs = 500): void {
    const bucket = Math.floor((at + delayMs) / 1000) * 1000;
    let list = this.tetragon.get(bucket);
    if (!list) this.tetragon.set(bucket, (list = []));
    list.push(line);
  }

  add(at: number, input: string, body: string): void {
    this.items.push({ at, input, body });
  }

  build(): ScenarioInput[] {
    const out = [...this.items];
    for (const [bucket, lines] of this.tetragon)
      out.push({ at: bucket, input: 'tetragon', body: lines.join('\n') + '\n' });
    return out.sort((a, b) => a.at - b.at || (a.input < b.input ? -1 : a.input > b.input ? 1 : 0));
  }
}

export function merge(...scenarios: ScenarioInput[][]): ScenarioInput[] {
  return scenarios.flat().sort((a, b) => a.at - b.at || (a.input < b.input ? -1 : a.input > b.input ? 1 : 0));
}
