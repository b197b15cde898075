// The link inspector: a publisher pastes a link they made and sees that it opens and everything
// about it, revokes it from there and sees why it no longer opens; a viewer sees the finding alone.
import { test, expect } from '@playwright/test';
import { logIn, hydrated } from './helpers.mjs';

test('a publisher inspects a link, revokes it there, and a viewer sees only why it does not open @no-js', async ({ page, browser }, testInfo) => {
  await logIn(page, 'publisher');
  await page.goto('/flows/returns-and-refunds');
  let link;
  if (testInfo.project.name === 'no-javascript') {
    // Without script the Share dialog cannot open: make the link through the API's twin, the
    // server function the dialog calls.
    const made = await page.request.post('/api/generate_link', {
      form: { flow: 'returns-and-refunds', application: 'help-centre', params: '&name=Ada&order=A-17', protect: 'true', shorten: 'true' },
      headers: { origin: new URL(page.url()).origin },
    });
    expect(made.ok()).toBeTruthy();
    link = (await made.json()).short_url;
  } else {
    await hydrated(page);
    await page.getByRole('button', { name: 'Share' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Application').selectOption({ label: 'Customer Help Centre' });
    await dialog.getByLabel('URL Parameters').fill('&name=Ada&order=A-17');
    await dialog.getByRole('switch', { name: 'Protect URL' }).check();
    await dialog.getByRole('switch', { name: 'Shorten URL' }).check();
    await dialog.getByRole('button', { name: 'Generate Link' }).click();
    link = await dialog.getByLabel('Link', { exact: true }).inputValue();
    await dialog.getByRole('button', { name: 'Close' }).click();
  }
  expect(link).toMatch(/\/s\//);

  await page.getByRole('link', { name: 'Inspect link' }).click();
  await page.getByLabel('Link').fill(link);
  await page.getByRole('button', { name: 'Inspect' }).click();
  await expect(page.getByRole('heading', { name: 'Opens' })).toBeVisible();
  await expect(page.getByTestId('finding')).toHaveText('This link opens: a recipient sees its flow\'s first step.');
  const params = page.getByRole('table', { name: 'Parameters' });
  await expect(params.locator('tr', { hasText: 'order' })).toContainText('A-17');
  await expect(params.locator('tr', { hasText: 'order' })).toContainText('yes: changing it breaks the link');

  await page.getByText('Revoke…').click();
  await page.getByRole('button', { name: /^Revoke link/ }).click();
  await page.goto(`/inspect?link=${encodeURIComponent(link)}`);
  await expect(page.getByRole('heading', { name: 'Revoked' })).toBeVisible();
  await expect(page.getByTestId('finding')).toContainText('This link was revoked on');

  const viewerContext = await browser.newContext({ javaScriptEnabled: testInfo.project.name !== 'no-javascript' });
  const viewer = await viewerContext.newPage();
  await logIn(viewer, 'viewer', `/inspect?link=${encodeURIComponent(link)}`);
  await expect(viewer.getByRole('heading', { name: 'Revoked' })).toBeVisible();
  await expect(viewer.getByRole('table', { name: 'Parameters' })).toHaveCount(0);
  await expect(viewer.getByText('A-17')).toHaveCount(0);
  await viewerContext.close();
});
