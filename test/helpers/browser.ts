/**
 * Opens a local HTML file in Debian's headless chromium (driven by playwright-core) with the network cut off:
 * every request other than the file itself is recorded and aborted. Returns what the page logged and requested.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_FLAGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
];

export interface OpenedPage {
  readonly page: Page;
  readonly context: BrowserContext;
  readonly consoleErrors: string[];
  /** Requests for anything but the file itself (aborted). */
  readonly foreignRequests: string[];
  readonly loadMillis: number;
  close(): Promise<void>;
}

export async function openFile(file: string, viewport = { width: 1366, height: 768 }): Promise<OpenedPage> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run bash scripts/setup.sh (apt-get install -y chromium)`);
  const userDataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'wikireverse-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM, headless: true, args: ['--headless', ...CHROMIUM_FLAGS], viewport, offline: true,
  });
  const url = pathToFileURL(file).href;
  const consoleErrors: string[] = [];
  const foreignRequests: string[] = [];
  await context.route('**/*', (route) => {
    const u = route.request().url();
    if (u === url) return route.continue();
    foreignRequests.push(u);
    return route.abort();
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  const started = Date.now();
  await page.goto(url, { waitUntil: 'load' });
  const loadMillis = Date.now() - started;
  return {
    page, context, consoleErrors, foreignRequests, loadMillis,
    async close() {
      await context.close();
      await fsp.rm(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Per canvas id: how many pixels are drawn (not fully transparent). */
export async function canvasInk(page: Page): Promise<Record<string, number>> {
  // A string, not a function: this file is compiled without the DOM types.
  return page.evaluate<Record<string, number>>(`(() => {
    const out = {};
    for (const c of Array.from(document.querySelectorAll('canvas'))) {
      const ctx = c.getContext('2d');
      if (!ctx || c.width === 0 || c.height === 0) { out[c.id] = 0; continue; }
      const px = ctx.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < px.length; i += 4) if (px[i] > 0) n++;
      out[c.id] = n;
    }
    return out;
  })()`);
}
