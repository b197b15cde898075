// The Share dialog, end to end: a publisher makes a protected short link with parameters and its
// embed code, copies them, and sees each application change what the dialog offers.
import { test, expect } from '@playwright/test';
import { logIn, hydrated } from './helpers.mjs';

async function openShare(page, flow = 'order-status-lookup') {
  await page.goto(`/flows/${flow}`);
  await hydrated(page);
  await page.getByRole('button', { name: 'Share' }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toBeVisible();
  return dialog;
}

test.beforeEach(async ({ page }) => {
  await logIn(page, 'publisher');
});

test('choosing each application updates protection, summary and Embed', async ({ page }) => {
  const dialog = await openShare(page);
  await expect(dialog).toHaveAccessibleName('Share “Order Status Lookup”');
  const application = dialog.getByLabel('Application');
  const protect = dialog.getByRole('switch', { name: 'Protect URL' });

  await application.selectOption({ label: 'Customer Help Centre' });
  await expect(protect).not.toBeChecked();
  await expect(dialog.getByText(/^Links go through/)).toContainText('Open: links carry no token');
  await expect(dialog.getByText(/^Links go through/)).toContainText('A web page: no Embed code.');
  await expect(dialog.getByRole('note')).toContainText('regenerate the application key');

  await application.selectOption({ label: 'Order Status Widget' });
  await expect(protect).toBeChecked();
  await expect(dialog.getByText(/^Links go through/)).toContainText('Protected: expires after 1 day, 5 invocations, URL parameters validated.');
  await expect(dialog.getByText(/^Links go through/)).toContainText('Embed code applies.');
  await expect(dialog.getByRole('note')).toHaveCount(0);
  await expect(dialog.getByLabel('Width')).toHaveValue('400');
});

test('invalid URL parameters are explained as they are typed', async ({ page }) => {
  const dialog = await openShare(page);
  const params = dialog.getByLabel('URL Parameters');
  const generate = dialog.getByRole('button', { name: 'Generate Link' });
  const cases = [
    ['&a=1&a=2', 'URL parameters: parameter "a" appears more than once.'],
    ['&fs_sig=x', 'URL parameters: parameter name "fs_sig" is reserved for the link itself (names starting with "fs_").'],
    ['&na me=1', 'URL parameters: parameter name "na me" may contain only letters A-Z and a-z, digits, \'_\', \'.\' and \'-\'.'],
    ['&=1', 'URL parameters: parameter 1 has an empty name.'],
  ];
  for (const [text, message] of cases) {
    await params.fill(text);
    await expect(dialog.getByRole('alert')).toHaveText(message);
    await expect(params).toHaveAttribute('aria-invalid', 'true');
    await expect(generate).toBeDisabled();
  }
  await params.fill('&name=Ada Lovelace&topic=a%26b');
  await expect(dialog.getByRole('alert')).toHaveText('');
  await expect(generate).toBeEnabled();
  await expect(dialog.getByTestId('share-preview')).toContainText('?name=Ada%20Lovelace&topic=a%26b&fs_kv=');
});

test('a protected short link with two parameters, its embed code, and Copy', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const dialog = await openShare(page);
  await dialog.getByLabel('Application').selectOption({ label: 'Order Status Widget' });
  await dialog.getByLabel('URL Parameters').fill('&name=Ada&order=A-17');
  const shorten = dialog.getByRole('switch', { name: 'Shorten URL' });
  await expect(shorten).not.toBeChecked();
  await shorten.check();
  await dialog.getByLabel('Height').fill('520');
  await dialog.getByRole('button', { name: 'Generate Link' }).click();

  const link = dialog.getByLabel('Link', { exact: true });
  await expect(link).toHaveValue(/^http:\/\/127\.0\.0\.1:\d+\/s\/[2-9a-hjkmnp-z]{11}$/);
  const embed = dialog.getByLabel('Embed', { exact: true });
  const linkText = await link.inputValue();
  await expect(embed).toHaveValue(`<iframe src="${linkText}" title="Order Status Lookup" width="400" height="520" loading="lazy" allow="clipboard-write" referrerpolicy="no-referrer" style="border:0"></iframe>`);

  await expect(dialog.getByRole('img', { name: `QR code of ${linkText}` })).toBeVisible();
  const download = dialog.getByRole('link', { name: 'Download QR code (SVG)' });
  await expect(download).toHaveAttribute('download', 'flowshare-link-qr.svg');
  await expect(download).toHaveAttribute('href', /^data:image\/svg\+xml/);
  await dialog.getByRole('button', { name: 'Copy Link' }).click();
  await expect(dialog.getByRole('button', { name: 'Copy Link' })).toHaveText('Copied');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(linkText);
  await dialog.getByRole('button', { name: 'Copy Embed' }).click();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toContain('<iframe src=');
});

test('Close and Esc close the dialog, focus returns to Share, and it opens again', async ({ page }) => {
  let dialog = await openShare(page);
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole('button', { name: 'Share' })).toBeFocused();
  await page.getByRole('button', { name: 'Share' }).click();
  await expect(dialog).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(page.getByRole('button', { name: 'Share' })).toBeFocused();
  dialog = await openShare(page);
  await expect(dialog.getByLabel('Application')).toBeFocused();
});

test('Generate Link shows progress and cannot be pressed twice', async ({ page }) => {
  const dialog = await openShare(page);
  await expect(dialog.getByRole('switch', { name: 'Shorten URL' })).not.toBeChecked();
  const generate = dialog.getByRole('button', { name: /Generate Link|Generating…/ });
  await generate.dblclick();
  await expect(dialog.getByLabel('Link', { exact: true })).toHaveValue(/\/f\/help-centre\/order-status-lookup\/[A-Za-z0-9_-]{22}\?fs_kv=\d+$/);
});
