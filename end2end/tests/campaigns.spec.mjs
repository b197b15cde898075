// Links for campaigns, end to end: an admin makes an API key and sees its secret once; a
// publisher saves a campaign from the Share dialog, uploads a CSV of recipients, watches the links
// being made, downloads them, and a recipient opens one.
import { test, expect } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { logIn, hydrated } from './helpers.mjs';

test('an admin creates an API key and sees its secret once', async ({ page }) => {
  await logIn(page, 'admin', '/api-keys');
  await page.getByRole('link', { name: 'API keys' }).click();
  await hydrated(page);
  const name = `CRM ${Date.now()}`;
  await page.getByLabel('Name').fill(name);
  await expect(page.getByRole('checkbox', { name: /links:create/ })).toBeChecked();
  await page.getByRole('checkbox', { name: /links:read/ }).check();
  await page.getByRole('checkbox', { name: 'Order Status Widget' }).check();
  await page.getByRole('button', { name: 'Create key' }).click();
  const secretField = page.getByLabel('API key', { exact: true });
  await expect(secretField).toHaveValue(/^fsk_[A-Za-z0-9]{8}_[A-Za-z0-9_-]{43}$/);
  await expect(page.getByText('Copy this key now: it is shown this once.')).toBeVisible();
  const secret = await secretField.inputValue();
  const prefix = secret.slice(4, 12);

  // Listed by its prefix, and never shown again.
  await page.getByRole('link', { name: 'Done: show it in the list' }).click();
  const row = page.getByRole('row', { name: new RegExp(name) });
  await expect(row).toContainText(`fsk_${prefix}_…`);
  await expect(row).toContainText('links:create links:read');
  await expect(row).toContainText('order-widget');
  expect(await page.content()).not.toContain(secret);

  // The key works through the API, then is revoked from the page.
  const made = await page.request.post('/api/v1/links', {
    headers: { authorization: `Bearer ${secret}` },
    data: { campaign: 'order-status-by-sms', params: 'name=Ada' },
  });
  expect(made.status()).toBe(201);
  await row.getByRole('button', { name: `Revoke API key ${name}` }).click();
  await expect(page.getByRole('row', { name: new RegExp(name) })).toContainText('Revoked');
  const refused = await page.request.post('/api/v1/links', {
    headers: { authorization: `Bearer ${secret}` },
    data: { campaign: 'order-status-by-sms' },
  });
  expect(refused.status()).toBe(401);
});

test('the API page shows curl examples on this server', async ({ page, baseURL }) => {
  await logIn(page, 'viewer', '/api');
  await expect(page.getByRole('heading', { name: 'API', exact: true })).toBeVisible();
  await expect(page.getByText(`curl -sS -X POST '${baseURL}/api/v1/links'`).first()).toBeVisible();
  await expect(page.getByRole('link', { name: '/api/v1/openapi.json' })).toBeVisible();
});

test('a publisher saves a campaign from the Share dialog', async ({ page }) => {
  await logIn(page, 'publisher', '/flows/order-status-lookup');
  await hydrated(page);
  await page.getByRole('button', { name: 'Share' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Application').selectOption({ label: 'Order Status Widget' });
  await dialog.getByLabel('URL Parameters').fill('&source=email');
  await dialog.getByRole('switch', { name: 'Shorten URL' }).check();
  await dialog.getByText('Save as campaign', { exact: true }).first().click();
  const name = `Email reminders ${Date.now()}`;
  await dialog.getByLabel('Campaign name').fill(name);
  await dialog.getByRole('button', { name: 'Save as campaign' }).click();
  const slug = name.toLowerCase().replace(/ /g, '-');
  await expect(dialog.getByRole('status')).toContainText(`Saved campaign “${name}”`);
  await expect(dialog.getByRole('status')).toContainText(slug);
  // The same name again is refused, with the reason.
  await dialog.getByRole('button', { name: 'Save as campaign' }).click();
  await expect(dialog.locator('.save-campaign').getByRole('alert')).toContainText('exists already');

  await page.reload();
  const row = page.getByRole('row', { name: new RegExp(name) });
  await expect(row).toContainText(slug);
  await expect(row).toContainText('source=email');
  await expect(row).toContainText('Protected, shortened');
});

test('a CSV upload is checked whole, makes a link per row, and downloads with them', async ({ page }) => {
  await logIn(page, 'publisher', '/flows/order-status-lookup');
  await hydrated(page);
  const row = page.getByRole('row', { name: /Order status by SMS/ });
  const file = row.getByLabel('Upload a CSV of recipients for campaign Order status by SMS');

  // A bad row: named by its line, nothing made.
  await file.setInputFiles({ name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from('name,customer\nAda,1\nGrace\n') });
  await expect(row.getByRole('status')).toContainText('No link was made: 1 rows cannot make one.');
  await expect(row.getByRole('status')).toContainText('Line 3: it has 1 fields, the header has 2');
  // A file that is not UTF-8, refused before it is sent.
  await file.setInputFiles({ name: 'latin1.csv', mimeType: 'text/csv', buffer: Buffer.from([0x6e, 0x61, 0x6d, 0x65, 0x0a, 0x47, 0x72, 0xe2, 0x63, 0x65, 0x0a]) });
  await expect(row.getByRole('status')).toContainText('The file is not UTF-8 text (line 2 is not)');

  // A good file: progress, then Download CSV.
  await file.setInputFiles({ name: 'recipients.csv', mimeType: 'text/csv', buffer: Buffer.from('name,customer\nAda,1\n"Hopper, Grace",2\n') });
  await expect(row.getByRole('status')).toContainText('2 links made.');
  const downloading = page.waitForEvent('download');
  await row.getByRole('link', { name: 'Download CSV' }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe('order-status-by-sms-links.csv');
  const csv = readFileSync(await download.path(), 'utf8').trim().split('\n');
  expect(csv[0]).toBe('name,customer,link,short_url,full_url');
  expect(csv).toHaveLength(3);
  const [, , link, , full] = csv[1].split(',');
  expect(link).toMatch(/\/s\/[2-9a-hjkmnp-z]{11}$/);
  expect(full).toContain('?source=sms&name=Ada&customer=1&');

  // A recipient opens one.
  await page.goto(link);
  await expect(page.getByText('Hello Ada, this is the order status lookup assistant.')).toBeVisible();
});
