/** schemas/tables is the single source of truth: every row builder writes exactly its columns. */
import { describe, expect, it } from 'vitest';
import { demoAttack } from '../../src/demo/scenarios.ts';
import { deadLetterRow, healthRow, upstreamHealthRow } from '../../src/sinks/rows.ts';
import { TABLE_NAMES, tableSchema } from '../../src/sinks/tables.ts';
import { validator } from '../../src/schemas.ts';
import { runScenario } from '../helpers/pipeline.ts';
import { checkRow } from '../helpers/checkRow.ts';

describe('table schemas', () => {
  it('are valid against schemas/table.schema.json, have TimeGenerated and the DESIGN key columns', () => {
    const validate = validator('table.schema.json');
    for (const t of TABLE_NAMES) {
      const schema = tableSchema(t);
      expect(validate(schema), JSON.stringify(validate.errors)).toBe(true);
      expect(schema.columns[0]).toMatchObject({ name: 'TimeGenerated', type: 'datetime' });
    }
    const names = (t: (typeof TABLE_NAMES)[number]) => tableSchema(t).columns.map((c) => c.name);
    expect(names('CausewayStories_CL')).toEqual(
      expect.arrayContaining([
        'StoryId',
        'Version',
        'StoryTitle',
        'Severity',
        'RiskScore',
        'Namespace',
        'Pod',
        'Layers',
        'Tactics',
        'Techniques',
        'AtlasTechniques',
        'Entities',
        'Timeline',
        'Graph',
        'Narrative',
      ]),
    );
    expect(names('CausewayEvidence_CL')).toEqual(
      expect.arrayContaining([
        'EvidenceId',
        'StoryId',
        'Layer',
        'Kind',
        'Source',
        'Namespace',
        'Pod',
        'ContainerId',
        'TargetProcessName',
        'TargetProcessCommandLine',
        'TargetProcessId',
        'ParentProcessId',
        'TargetFilePath',
        'DstIpAddr',
        'DstPortNumber',
        'DstDomain',
        'ToolName',
        'McpMethod',
        'TraceId',
        'AlertType',
        'AlertName',
      ]),
    );
  });
});

describe('row builders', () => {
  it('write story and evidence rows with exactly the schema columns and types', async () => {
    const run = await runScenario(demoAttack('aks-demo', Date.parse('2026-11-20T10:00:00Z')));
    const stories = run.sink.rows('CausewayStories_CL');
    const evidence = run.sink.rows('CausewayEvidence_CL');
    expect(stories.length).toBeGreaterThan(0);
    expect(evidence.length).toBeGreaterThan(10);
    for (const r of stories) checkRow('CausewayStories_CL', r);
    for (const r of evidence) checkRow('CausewayEvidence_CL', r);
  });

  it('write dead-letter and health rows with exactly the schema columns', () => {
    checkRow(
      'CausewayPipeline_CL',
      deadLetterRow(
        {
          time: 0,
          stage: 'ingest',
          reasonCode: 'malformed-json',
          reason: 'x',
          sourceFormat: 'unknown',
          input: 'f',
          sizeBytes: 3,
          payloadSha256: 'a'.repeat(64),
        },
        'test',
      ),
    );
    checkRow('CausewayPipeline_CL', healthRow(0, 'test', 'workload', { evictions: 1 }));
    checkRow(
      'CausewayPipeline_CL',
      upstreamHealthRow(
        {
          id: 'x',
          layer: 'health',
          kind: 'health.upstream-loss',
          time: 0,
          source: { product: 'tetragon', format: 'tetragon.json', nativeId: 'x' },
          workload: { node: 'n' },
          health: { reason: 'tetragon-export-rate-limit', count: 5 },
        },
        'test',
      ),
    );
  });
});
