/** A story for the terminal: title, severity, score, and the causal chain step by step. */
import type { Story } from '../model/story.ts';
import { singleLine } from '../story/escape.ts';

const COLOUR = process.stdout.isTTY
  ? {
      High: '\x1b[31m',
      Medium: '\x1b[33m',
      Low: '\x1b[36m',
      Informational: '\x1b[37m',
      reset: '\x1b[0m',
      dim: '\x1b[2m',
    }
  : { High: '', Medium: '', Low: '', Informational: '', reset: '', dim: '' };

export function renderStory(s: Story, options: { brief?: boolean } = {}): string {
  const c = COLOUR;
  const head = `  ${c[s.severity]}[${s.severity} ${s.riskScore}]${c.reset} ${singleLine(s.title, 160)} ${c.dim}(story ${s.storyId} v${s.version})${c.reset}\n`;
  if (options.brief) return head + `      ${c.dim}chain:${c.reset} ${singleLine(s.chain, 300)}\n`;
  const lines = [
    head,
    `  ${c.dim}workloads:${c.reset} ${s.workloads.join(', ')}\n`,
    `  ${c.dim}tactics:${c.reset} ${s.tactics.join(', ')}  ${c.dim}techniques:${c.reset} ${s.techniques.join(', ')}  ${c.dim}ATLAS:${c.reset} ${s.atlasTechniques.join(', ') || '-'}\n`,
    `  ${c.dim}causal chain:${c.reset}\n`,
  ];
  const signalled = new Set(s.signals.map((x) => x.eventId));
  const steps = s.timeline.filter(
    (t) =>
      t.signals.length ||
      t.layer === 'prompt' ||
      t.layer === 'agent' ||
      t.layer === 'protocol' ||
      t.kind === 'process.exec',
  );
  for (const [i, t] of steps.slice(0, 30).entries()) {
    const mark = t.signals.length ? `${c.High}!${c.reset}` : ' ';
    lines.push(
      `   ${mark} ${String(i + 1).padStart(2)}. ${t.time.slice(11, 23)} ${t.layer.padEnd(8)} ${singleLine(t.summary, 110)}${t.signals.length ? ` ${c.dim}[${t.signals.join(', ')}]${c.reset}` : ''}\n`,
    );
  }
  if (steps.length > 30) lines.push(`      … ${steps.length - 30} more steps\n`);
  void signalled;
  lines.push(`  ${c.dim}narrative:${c.reset} ${singleLine(s.narrative, 600)}\n`);
  return lines.join('');
}
