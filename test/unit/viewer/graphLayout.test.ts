import { describe, expect, it } from 'vitest';
import { layoutSvg } from '../../../src/viewer/graphLayout.ts';
import { stylesheet } from '../../../src/viewer/page.ts';

describe('the story graph drawing', () => {
  it('draws a cloud step in its own coloured layer, after the network step that led to it', async () => {
    const svg = await layoutSvg({
      nodes: [
        { id: 'c', layer: 'cloud', label: 'sign-in of app 1b2c… from 203.0.113.50', flagged: true },
        { id: 'n', layer: 'network', label: '203.0.113.50:443', flagged: true },
      ],
      edges: [{ from: 'n', to: 'c', reason: 'identity-used-from-exfil-destination', detail: 'same address' }],
    });
    expect(svg).toContain('layer-cloud');
    const x = (id: string) => Number(new RegExp(`data-id="${id}"[^>]*transform="translate\\(([\\d.]+)`).exec(svg)?.[1]);
    expect(x('c')).toBeGreaterThan(x('n'));
    expect(stylesheet()).toMatch(/\.layer-cloud rect \{ stroke: #[0-9a-f]{6}; \}/);
  });
});
