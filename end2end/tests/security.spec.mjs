// What the console's pages let run: only the scripts Flowshare sent. A link crafted to reflect
// script into a console page shows the text instead, and a script that gets into a page anyway is
// blocked by the page's policy and reported.
import { test, expect } from '@playwright/test';
import { logIn, hydrated } from './helpers.mjs';

/** Records every policy violation a page reports, from before its first script runs. */
async function watchViolations(page) {
  await page.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__violations.push({ directive: e.effectiveDirective, sample: e.sample });
    });
  });
}

test('a link that reflects script into the application form shows it as text and runs nothing', async ({ page }) => {
  await watchViolations(page);
  await logIn(page, 'admin');
  const payload = '</textarea><script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">';
  let dialogs = 0;
  page.on('dialog', (d) => { dialogs += 1; d.dismiss(); });
  await page.goto(`/applications/new?refill=1&name=${encodeURIComponent('</title><script>window.__pwned = 3</script>')}&embed_origins=${encodeURIComponent(payload)}`);
  await expect(page.getByLabel('Allowed embed origins')).toHaveValue(payload);
  await expect(page.getByLabel('Name')).toHaveValue('</title><script>window.__pwned = 3</script>');
  expect(await page.evaluate(() => window.__pwned)).toBeUndefined();
  expect(await page.locator('img[src="x"]').count()).toBe(0);
  expect(dialogs).toBe(0);
});

test('a console page blocks and reports a script it did not send, and runs its own', async ({ page }) => {
  await watchViolations(page);
  await logIn(page, 'publisher');
  await page.goto('/flows/order-status-lookup');
  await hydrated(page);
  // The page's own islands work under the policy, with nothing reported.
  await page.getByRole('button', { name: 'Share' }).click();
  await expect(page.getByRole('dialog')).toBeVisible();
  expect(await page.evaluate(() => window.__violations)).toEqual([]);

  const reported = await page.evaluate(() => new Promise((resolve) => {
    document.addEventListener('securitypolicyviolation', (e) => resolve(e.effectiveDirective), { once: true });
    const injected = document.createElement('script');
    injected.textContent = 'window.__injected = true';
    document.body.append(injected);
    setTimeout(() => resolve('no report'), 3000);
  }));
  expect(reported).toBe('script-src-elem');
  expect(await page.evaluate(() => window.__injected)).toBeUndefined();
});
