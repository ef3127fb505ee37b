/** A story for the terminal: title, severity, score, and the causal steps, one per line. */
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

/** The story in a few lines (brief: title and chain) for `replay` and `serve`. Values are made one-line and control-free. */
export function renderStory(s: Story, options: { brief?: boolean } = {}): string {
  const c = COLOUR;
  const head = `  ${c[s.severity]}[${s.severity} ${s.riskScore}]${c.reset} ${singleLine(s.title, 160)} ${c.dim}(story ${s.storyId} v${s.version})${c.reset}\n`;
  if (options.brief) return head + `      ${c.dim}chain:${c.reset} ${singleLine(s.chain, 300)}\n`;
  const lines = [
    head,
    `  ${c.dim}workloads:${c.reset} ${s.workloads.map((w) => singleLine(w, 120)).join(', ')}\n`,
    `  ${c.dim}tactics:${c.reset} ${s.tactics.join(', ')}  ${c.dim}techniques:${c.reset} ${s.techniques.join(', ')}  ${c.dim}ATLAS:${c.reset} ${s.atlasTechniques.join(', ') || '-'}\n`,
    `  ${c.dim}what happened:${c.reset}\n`,
  ];
  const flagged = / — (?!repeated )/;
  for (const step of s.narrative.split('\n').filter(Boolean)) {
    const line = singleLine(step, 220);
    const mark = flagged.test(line) ? `${c.High}!${c.reset}` : ' ';
    lines.push(`   ${mark} ${line}\n`);
  }
  if (s.summarised.note) lines.push(`  ${c.dim}summarised:${c.reset} ${singleLine(s.summarised.note, 300)}\n`);
  return lines.join('');
}
