// The installed .vsix as a user meets it: the extension's details page in the Extensions view shows the icon, the
// README with its pictures (shipped inside the .vsix and resolved relative to the installed extension, offline too)
// and a Changelog tab.
import * as assert from 'node:assert/strict';
import type { Frame } from 'playwright-core';
import { findFrame, screenshot, useVsCode } from '../harness';

describe('marketplace: the installed extension details page', function () {
  const vsc = useVsCode({ trusted: true, viewport: { width: 1400, height: 1000 } });

  async function openDetails(): Promise<void> {
    const page = vsc.page;
    await page.keyboard.press('Control+Shift+X');
    const search = page.locator('.extensions-viewlet .suggest-input-container');
    await search.waitFor({ timeout: 30_000 });
    await search.click(); // the search box is a small editor: click its container, its text layer takes the events
    await page.keyboard.press('Control+A');
    await page.keyboard.type('@installed Socket Lab');
    const item = page.locator('.extensions-viewlet .extension-list-item', { hasText: 'Socket Lab' }).first();
    await item.waitFor({ timeout: 30_000 });
    await item.click();
    await page.locator('.extension-editor .header .name', { hasText: 'Socket Lab' }).waitFor({ timeout: 30_000 });
  }

  /** Widths of every <img> in the README webview once all of them finished loading (0 = broken). */
  async function readmeImageWidths(frame: Frame): Promise<{ src: string; width: number }[]> {
    await frame.waitForFunction(
      () => {
        const imgs = Array.from(document.images);
        return imgs.length > 0 && imgs.every((i) => i.complete);
      },
      undefined,
      { timeout: 30_000 },
    );
    return frame.evaluate(() => Array.from(document.images).map((i) => ({ src: i.src, width: i.naturalWidth })));
  }

  it('shows the icon, the README with its pictures loaded, and a Changelog tab', async () => {
    const page = vsc.page;
    await openDetails();

    const icon = page.locator('.extension-editor .header .icon-container img.icon');
    await icon.waitFor({ timeout: 30_000 });
    await page.waitForFunction(
      () => {
        const img = document.querySelector<HTMLImageElement>('.extension-editor .header .icon-container img.icon');
        return !!img && img.complete;
      },
      undefined,
      { timeout: 30_000 },
    );
    const iconWidth = await icon.evaluate((img: HTMLImageElement) => img.naturalWidth);
    assert.ok(iconWidth >= 128, `the icon should load at 128 px or more, got naturalWidth ${iconWidth}`);

    const readme = await findFrame(page, 'h1#socket-lab, h1');
    assert.match(await readme.locator('body').innerText(), /Socket Lab/);
    const images = await readmeImageWidths(readme);
    assert.ok(images.length >= 3, `README should show its pictures, found ${images.length}`);
    const broken = images.filter((i) => i.width === 0).map((i) => i.src);
    assert.deepEqual(broken, [], 'every README picture loads from the installed extension');

    const tabs = await page.locator('.extension-editor .navbar .action-label').allInnerTexts();
    assert.ok(tabs.some((t) => /changelog/i.test(t)), `a Changelog tab, got: ${tabs.join(', ')}`);
    await screenshot(page, 'marketplace-details');

    await page.locator('.extension-editor .navbar .action-label', { hasText: /changelog/i }).click();
    const changelog = await findFrame(page, 'h1#changelog, h2');
    await changelog.locator('text=/Unreleased/').first().waitFor({ timeout: 30_000 });
    await screenshot(page, 'marketplace-changelog');
  });
});
