/**
 * Shared by the browser tests (e2e-web, e2e-xss): a fresh web build when web/ changed, a real server on the
 * generated tiny model, and headless Debian Chromium through playwright-core. Not a test file itself.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

export const ROOT = resolve(import.meta.dirname, '..');
export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = join(ROOT, 'test-artifacts', 'screenshots');

/** A skip reason for node:test when Chromium is missing, else false. */
export const skipWithoutChromium: string | false = existsSync(CHROMIUM)
  ? false
  : `Chromium not found at ${CHROMIUM}: install it with "apt-get update && apt-get install -y chromium"`;

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules') continue;
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

/** Rebuilds dist/web when it is missing or older than any file under web/ (one build at a time). */
export async function ensureWebBuild(): Promise<void> {
  const index = join(ROOT, 'dist', 'web', 'index.html');
  const lock = join(ROOT, 'dist', '.web-build-lock');
  mkdirSync(join(ROOT, 'dist'), { recursive: true });
  for (let i = 0; ; i++) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // Another test process is building; a lock older than two minutes is a leftover.
      if (i > 240 || Date.now() - statSync(lock).mtimeMs > 120_000) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    if (existsSync(index) && statSync(index).mtimeMs >= newestMtime(join(ROOT, 'web'))) return;
    const result = spawnSync(process.execPath, ['scripts/build-web.mjs'], { cwd: ROOT, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`web build failed:\n${result.stdout}\n${result.stderr}`);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Where a watched page records what must never happen. */
export interface PageWatch {
  /** Requests to any origin but the app's (`data:` URLs aside). */
  foreign: string[];
  pageErrors: string[];
  /** Dialogs, dismissed at once. */
  dialogs: string[];
}

/**
 * A desktop-sized English page on a new context that records requests leaving `origin`, page errors and
 * dialogs into those lists of `watch` that are given, with `timeoutMs` as its default timeout; with
 * `cookie` (a `name=value` session cookie), signed in on `origin`. The screenshots folder is made.
 */
export async function openWatchedPage(
  browser: Browser,
  origin: string,
  watch: Partial<PageWatch>,
  options: { timeoutMs: number; height?: number; cookie?: string },
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    locale: 'en-US',
    viewport: { width: 1280, height: options.height ?? 800 },
  });
  if (options.cookie) {
    const [name, value] = options.cookie.split('=') as [string, string];
    await context.addCookies([{ name, value, url: origin, httpOnly: true }]);
  }
  const page = await context.newPage();
  page.setDefaultTimeout(options.timeoutMs);
  const { foreign, pageErrors, dialogs } = watch;
  if (foreign) {
    page.on('request', (req) => {
      const url = req.url();
      if (!url.startsWith('data:') && new URL(url).origin !== origin) foreign.push(url);
    });
  }
  if (pageErrors) page.on('pageerror', (err) => pageErrors.push(err.message));
  if (dialogs) {
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
  }
  mkdirSync(SCREENSHOTS, { recursive: true });
  return { context, page };
}
