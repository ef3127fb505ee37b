/**
 * The story viewer in a real browser: headless Chromium (Debian's, installed by .ci/run) driven by
 * playwright-core, against a running local pipeline fed the demo scenario. Checks the list, the
 * graph (readable labels, pan and zoom, the attack path, repeated context drawn once), the causal
 * steps, the timeline and its "signals only" filter, live updates, the offline report, and that a
 * tool name and a command line carrying HTML/script render as text. Screenshots go to
 * test-artifacts/.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hex, otlpRequest, pod, proc, tetragonConnect, tetragonExec } from '../../src/demo/builders.ts';
import { demoAttack } from '../../src/demo/scenarios.ts';
import { LocalHost } from '../../src/hosts/local/localHost.ts';
import { liveStoryRows } from '../../src/sinks/tableFiles.ts';
import { renderReport } from '../../src/viewer/render.ts';
import { inProcessPipeline, MemorySink } from '../helpers/pipeline.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url).pathname;
const BASE = Date.parse('2026-11-20T10:00:00Z');
const XSS_TOOL = '<img src=x onerror=alert(1)>';
const XSS_CMD = '<script>alert(2)</script>';

let host: LocalHost;
let sink: MemorySink;
let port: number;
let browser: Browser;

/** A compromised tool whose name and command line carry markup. */
function xssScenario(): { input: string; body: string }[] {
  const tools = pod('aks-demo', 'agents', 'evil-tools', 50, { container: 'mcp' });
  const server = proc(tools, 1, '/usr/local/bin/node', '/app/server.js', BASE - 3_600_000);
  const t0 = BASE + 900_000;
  const sh = proc(tools, 666, '/bin/sh', `-c "${XSS_CMD}"`, t0 + 100, server);
  const traceId = hex('xss-trace', 32);
  return [
    { input: 'tetragon', body: `${tetragonExec(sh)}\n${tetragonConnect(sh, t0 + 200, '203.0.113.66', 443)}\n` },
    {
      input: 'otlp',
      body: otlpRequest(tools, [
        {
          traceId,
          spanId: hex('xss-span', 16),
          name: 'tools/call x',
          kind: 2,
          start: t0,
          end: t0 + 1000,
          attributes: {
            'mcp.method.name': 'tools/call',
            'gen_ai.tool.name': XSS_TOOL,
            'gen_ai.operation.name': 'execute_tool',
          },
        },
      ]),
    },
  ];
}

function launchArgs(): string[] {
  return [
    '--headless=new',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-dev-shm-usage',
  ];
}

async function newPage(): Promise<{ page: Page; dialogs: string[]; cspErrors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
  const dialogs: string[] = [];
  const cspErrors: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
  });
  return { page, dialogs, cspErrors };
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `Chromium not found at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH); .ci/run installs it`,
    );
  mkdirSync(ARTIFACTS, { recursive: true });
  sink = new MemorySink();
  host = new LocalHost({
    pipeline: inProcessPipeline(sink),
    host: '127.0.0.1',
    port: 0,
    maxBodyBytes: 16 * 1024 * 1024,
    tickMs: 60_000,
  });
  port = await host.listen();
  for (const i of demoAttack('aks-demo', BASE)) await host.submit([{ body: i.body, input: i.input }]);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: launchArgs() });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await host?.close();
});

/** Opens the demo story (the list's first row) and waits for its graph. */
async function openDemoStory(page: Page): Promise<void> {
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.locator('#stories-body tr a', { hasText: 'travel-agent' }).first().click();
  await page.waitForSelector('svg.graph');
}

/** The browser globals the page functions below use (this file compiles without the DOM library). */
declare const window: { getComputedStyle(e: unknown): { fontSize: string; opacity: string } };
type Graphic = { getScreenCTM(): { a: number } | null };

/** On-screen font size (px) of every node label: the computed size times the drawing's scale. */
function labelSizes(page: Page): Promise<number[]> {
  return page.$$eval('svg.graph text.node-label', (ts) =>
    ts.map((t) => parseFloat(window.getComputedStyle(t).fontSize) * ((t as unknown as Graphic).getScreenCTM()?.a ?? 0)),
  );
}

describe('story viewer', () => {
  it('lists stories with severity, score, workloads, layers and times', async () => {
    const { page, dialogs, cspErrors } = await newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    const row = page.locator('#stories-body tr').first();
    await expect.poll(() => row.locator('td').nth(0).textContent()).toBe('High');
    expect(await row.locator('td').nth(3).textContent()).toContain('aks-demo/agents/Deployment/file-tools');
    expect(await row.locator('td').nth(4).textContent()).toBe(
      'prompt · agent · protocol · process · file · network · alert',
    );
    await page.screenshot({ path: `${ARTIFACTS}viewer-list.png`, fullPage: true });
    expect(dialogs).toEqual([]);
    expect(cspErrors).toEqual([]);
    await page.close();
  });

  it('shows the demo story: the causal graph by layer with edges labelled by reason, and the timeline', async () => {
    const { page, dialogs, cspErrors } = await newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.locator('#stories-body tr a').first().click();
    await page.waitForSelector('svg.graph');
    const layers = await page.$$eval('svg.graph g.node', (gs) => [
      ...new Set(gs.map((g) => [...g.classList].find((c) => c.startsWith('layer-')))),
    ]);
    expect(layers).toEqual(
      expect.arrayContaining([
        'layer-prompt',
        'layer-agent',
        'layer-tool',
        'layer-process',
        'layer-file',
        'layer-network',
        'layer-alert',
      ]),
    );
    const reasons = await page.$$eval('svg.graph text.edge-label', (ts) => [...new Set(ts.map((t) => t.textContent))]);
    expect(reasons).toEqual(
      expect.arrayContaining(['prompted', 'called', 'ran-in-tool', 'spawned', 'accessed', 'connected', 'alerted']),
    );
    const steps = await page.$$eval('ol.timeline li', (lis) => lis.map((l) => l.textContent ?? ''));
    expect(steps.some((s) => s.includes('cat read /var/run/secrets/azure/tokens/azure-identity-token'))).toBe(true);
    expect(steps.some((s) => s.includes('curl connected to 203.0.113.50:443'))).toBe(true);
    expect(await page.locator('table.evidence tbody tr').count()).toBeGreaterThan(10);
    await page.screenshot({ path: `${ARTIFACTS}viewer-story.png`, fullPage: true });
    await page.locator('.graph-view').screenshot({ path: `${ARTIFACTS}viewer-graph.png` });
    expect(dialogs).toEqual([]);
    expect(cspErrors).toEqual([]);
    await page.close();
  });

  it('draws the graph readably: labels of 11 px or more on screen, in an area that pans and zooms by mouse and keyboard', async () => {
    const { page, cspErrors } = await newPage();
    await openDemoStory(page);
    expect(Math.min(...(await labelSizes(page)))).toBeGreaterThanOrEqual(11);
    const view = page.locator('.graph-view');
    const size = () => view.evaluate((v) => ({ scroll: v.scrollWidth, client: v.clientWidth, left: v.scrollLeft }));
    // The drawing is not shrunk to the panel: it is wider than the area, which scrolls.
    expect((await size()).scroll).toBeGreaterThan((await size()).client);
    const box = (await view.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 - 300, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    expect((await size()).left).toBeGreaterThan(100);
    const svgWidth = () => page.locator('svg.graph').evaluate((s) => s.getBoundingClientRect().width);
    const before = await svgWidth();
    await view.focus();
    await page.keyboard.press('+');
    expect(await svgWidth()).toBeGreaterThan(before * 1.2);
    expect(await view.getAttribute('data-zoom')).toBe('1.25');
    await page.keyboard.press('0');
    expect(await svgWidth()).toBeCloseTo(before, 0);
    await page.locator('.graph-tools button[data-zoom="out"]').click();
    expect(await view.getAttribute('data-zoom')).toBe('0.8');
    await page.mouse.move(box.x + 200, box.y + 100);
    await page.keyboard.down('Control');
    await page.mouse.wheel(0, -200);
    await page.keyboard.up('Control');
    await expect.poll(() => view.getAttribute('data-zoom')).toBe('1');
    expect(cspErrors).toEqual([]);
    await page.close();
  });

  it('marks the attack path over context and draws repeated model calls once', async () => {
    const { page } = await newPage();
    await openDemoStory(page);
    const onPath = await page.$$eval('svg.graph g.node.on-path text.node-label', (ts) => ts.map((t) => t.textContent));
    expect(onPath).toEqual(
      expect.arrayContaining([
        '/var/run/secrets/azure/tokens/azure-identity-token',
        '203.0.113.50:443',
        'MCP read_file',
      ]),
    );
    expect(await page.locator('svg.graph g.node.flagged').count()).toBeGreaterThanOrEqual(5);
    expect(await page.locator('svg.graph polyline.edge.on-path').count()).toBeGreaterThanOrEqual(8);
    const context = await page.$$eval('svg.graph g.node.context text.node-label', (ts) => ts.map((t) => t.textContent));
    expect(context).toContain('model call to gpt-4o × 4');
    const opacity = (selector: string) =>
      page
        .locator(selector)
        .first()
        .evaluate((g) => Number(window.getComputedStyle(g).opacity));
    expect(await opacity('svg.graph g.node.context')).toBeLessThan(await opacity('svg.graph g.node.on-path'));
    await page.close();
  });

  it('shows the causal steps and filters the timeline to signals only', async () => {
    const { page } = await newPage();
    await openDemoStory(page);
    const steps = await page.$$eval('ol.steps li', (lis) => lis.map((l) => l.textContent ?? ''));
    expect(steps[0]).toMatch(/Defender for AI: prompt injection/);
    expect(steps.some((s) => /cat read \S+azure-identity-token \(accessed, from step \d+\)/.test(s))).toBe(true);
    const visible = () => page.locator('ol.timeline li:visible').count();
    const all = await visible();
    await page.locator('label', { hasText: 'Signals only' }).click();
    const flagged = await page.locator('ol.timeline li.flagged').count();
    expect(await visible()).toBe(flagged);
    expect(flagged).toBeLessThan(all);
    expect(flagged).toBeGreaterThanOrEqual(5);
    // Evidence cells are cut to their column; the whole value is on hover.
    const cmd = page.locator('table.evidence td.wide[title*="azure-identity-token"]').first();
    expect(await cmd.getAttribute('title')).toMatch(/^\/bin\/sh -c /);
    await page.screenshot({ path: `${ARTIFACTS}viewer-story-signals-only.png`, fullPage: true });
    await page.close();
  });

  it('updates the list live and renders an XSS attempt in a tool name and a command line as text', async () => {
    const { page, dialogs, cspErrors } = await newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    const before = await page.locator('#stories-body tr').count();
    for (const i of xssScenario()) await host.submit([{ body: i.body, input: i.input }]);
    await expect.poll(() => page.locator('#stories-body tr').count(), { timeout: 15_000 }).toBeGreaterThan(before);
    // Alert titles drop markup characters (story/escape.ts); the page body shows the raw name as text.
    const link = page.locator('#stories-body tr a', { hasText: 'onerror=alert(1)' });
    await expect.poll(() => link.count(), { timeout: 15_000 }).toBe(1);
    await link.click();
    await page.waitForSelector('svg.graph');
    const text = await page.locator('body').innerText();
    expect(text).toContain(XSS_TOOL);
    expect(text).toContain(XSS_CMD);
    expect(await page.locator('img').count()).toBe(0);
    // Only the same-origin graph script, no script the page's values could have brought.
    expect(await page.$$eval('script', (s) => s.map((x) => x.getAttribute('src')))).toEqual(['/static/graph.js']);
    await page.screenshot({ path: `${ARTIFACTS}viewer-xss-story.png`, fullPage: true });
    expect(dialogs).toEqual([]);
    expect(cspErrors).toEqual([]);
    await page.close();
  });

  it('writes one self-contained HTML report that opens offline, with no script and the same stories', async () => {
    const stories = liveStoryRows(sink.rows('CausewayStories_CL'));
    const evidence = new Map<string, ReturnType<MemorySink['rows']>>();
    for (const r of sink.rows('CausewayEvidence_CL'))
      evidence.set(String(r.StoryId), [...(evidence.get(String(r.StoryId)) ?? []), r]);
    const file = `${ARTIFACTS}report.html`;
    writeFileSync(file, await renderReport(stories, evidence, 'e2e'));
    const { page, dialogs, cspErrors } = await newPage();
    await page.goto(`file://${file}`);
    expect(await page.locator('article.story').count()).toBe(stories.length);
    expect(await page.locator('svg.graph').count()).toBe(stories.length);
    expect(await page.$$eval('script', (s) => s.length)).toBe(0);
    expect(await page.locator('body').innerText()).toContain(XSS_TOOL);
    expect(await page.locator('.graph-tools').count()).toBe(0);
    expect(Math.min(...(await labelSizes(page)))).toBeGreaterThanOrEqual(11);
    const demo = page.locator('article.story').first();
    expect(await demo.locator('h1').textContent()).toBe(
      'Prompt injection in travel-agent → workload-identity token read through read_file → sent to 203.0.113.50',
    );
    expect(await demo.locator('ol.steps li').count()).toBeGreaterThanOrEqual(8);
    expect(await demo.locator('svg.graph g.node.on-path').count()).toBeGreaterThan(5);
    const flagged = await demo.locator('ol.timeline li.flagged').count();
    await demo.locator('label', { hasText: 'Signals only' }).click();
    expect(await demo.locator('ol.timeline li:visible').count()).toBe(flagged);
    await page.screenshot({ path: `${ARTIFACTS}viewer-report.png`, fullPage: true });
    expect(dialogs).toEqual([]);
    expect(cspErrors).toEqual([]);
    await page.close();
  });
});
