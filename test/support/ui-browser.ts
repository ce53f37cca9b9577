import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * Debian's Chromium for the UI tests, as DEVELOPERS.md and LAB.md say to start it here: headless,
 * no sandbox (root), and none of the background networking this machine's closed network refuses.
 */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage'];

/** One 1400×900 page; the page's console errors and uncaught errors are pushed to `problems`. */
export async function openChromiumPage(problems: string[], opts: { readonly acceptDownloads?: boolean } = {}): Promise<{ browser: Browser; page: Page }> {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, ...(opts.acceptDownloads ? { acceptDownloads: true } : {}) });
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  return { browser, page };
}
