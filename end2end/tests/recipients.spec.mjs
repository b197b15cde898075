// Recipients: a link made in the Share dialog, opened by someone with no account, run to its end
// (with JavaScript and without) and its answers under Results;
// a tampered copy refused; the embed code working only from the application's allowed origins.
import { test, expect } from '@playwright/test';
import { logIn, hydrated } from './helpers.mjs';

/** Generates a protected short link for Order Status Lookup through the Order Status Widget. */
async function makeLink(page, user = 'publisher') {
  await logIn(page, user);
  await page.goto('/flows/order-status-lookup');
  await hydrated(page);
  await page.getByRole('button', { name: 'Share' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Application').selectOption({ label: 'Order Status Widget' });
  await dialog.getByLabel('URL Parameters').fill('&name=Ada');
  await dialog.getByRole('switch', { name: 'Shorten URL' }).check();
  await dialog.getByRole('button', { name: 'Generate Link' }).click();
  const link = dialog.getByLabel('Link', { exact: true });
  await expect(link).toHaveValue(/\/s\//);
  return { link: await link.inputValue(), embed: await dialog.getByLabel('Embed', { exact: true }).inputValue() };
}

test('a recipient with no account opens the short link and runs the flow to its end', async ({ page, browser }) => {
  const { link } = await makeLink(page);
  const recipient = await browser.newContext();
  const tab = await recipient.newPage();
  const fetched = [];
  tab.on('request', (request) => fetched.push(request.url()));
  await tab.goto(link);
  await expect(tab).toHaveURL(/\/f\/order-widget\/order-status-lookup\/[A-Za-z0-9_-]{22}\?name=Ada&fs_kv=\d+&fs_exp=\d+&fs_sig=/);
  await expect(tab.getByRole('heading', { name: 'Order Status Lookup' })).toBeVisible();
  await expect(tab.getByText('Hello Ada, this is the order status lookup assistant.')).toBeVisible();
  // A recipient's page is its HTML and the style sheet: no script, no wasm, with JavaScript on.
  expect(await tab.locator('script').count()).toBe(0);
  expect(fetched.filter((url) => /\.(js|wasm)(\?|$)/.test(url))).toEqual([]);
  expect(fetched.filter((url) => /\.css(\?|$)/.test(url))).toHaveLength(1);

  // Until the first move the page holds the first step and nothing more.
  expect(await tab.content()).not.toContain('What would you like to do?');
  await tab.getByRole('button', { name: 'Next' }).click();
  await expect(tab.getByText('What would you like to do?')).toBeVisible();
  // The run has begun: its own page is in the address bar, so a reload does not start another.
  await expect(tab).toHaveURL(/\/r\/[A-Za-z0-9_-]{22}$/);
  await tab.getByRole('button', { name: 'Start a new request' }).click();
  await tab.getByLabel('Please enter your customer number.').fill('C-1001');
  await tab.getByRole('button', { name: 'Next' }).click();
  // Back returns to the previous step, with what was typed kept.
  await tab.getByRole('button', { name: 'Back' }).click();
  await expect(tab.getByLabel('Please enter your customer number.')).toHaveValue('C-1001');
  await tab.getByLabel('Please enter your customer number.').press('Enter');
  await tab.getByLabel('Briefly describe what you need.').fill('Where is my parcel?');
  await tab.keyboard.press('Enter');
  await expect(tab.getByText('Thank you, Ada. Your order status lookup request is registered.')).toBeVisible();
  await expect(tab.getByRole('status').filter({ hasText: 'Finished' })).toBeVisible();
  await tab.getByRole('button', { name: 'Start over' }).click();
  await expect(tab.getByText('Hello Ada, this is the order status lookup assistant.')).toBeVisible();
  await recipient.close();
});

for (const javaScript of [true, false]) {
  test(`a recipient ${javaScript ? 'with' : 'without'} JavaScript answers a question and an input, and the admin sees the answers under Results`, async ({ page, browser }) => {
    const { link } = await makeLink(page, 'admin');
    const recipient = await browser.newContext({ javaScriptEnabled: javaScript });
    const tab = await recipient.newPage();
    await tab.goto(link);
    await tab.getByRole('button', { name: 'Next' }).click();
    await tab.getByRole('button', { name: 'Start a new request' }).click();
    const customer = `C-${javaScript ? 'script' : 'forms'}-${Date.now()}`;
    await tab.getByLabel('Please enter your customer number.').fill(customer);
    await tab.getByRole('button', { name: 'Next' }).click();
    // The next input opens empty: never holding the answer just given to another step.
    await expect(tab.getByLabel('Briefly describe what you need.')).toHaveValue('');
    await tab.getByLabel('Briefly describe what you need.').fill('A <b>late</b> parcel');
    await tab.getByRole('button', { name: 'Next' }).click();
    await expect(tab.getByText('Thank you, Ada. Your order status lookup request is registered.')).toBeVisible();
    await expect(tab.getByRole('status').filter({ hasText: 'Finished' })).toBeVisible();
    await expect(tab).toHaveURL(/\/r\/[A-Za-z0-9_-]{22}$/);
    await recipient.close();

    await page.goto('/flows/order-status-lookup');
    await expect(page.getByRole('heading', { name: 'Results' })).toBeVisible();
    const row = page.getByRole('table', { name: 'Runs, newest first' }).locator('tr', { hasText: customer });
    await expect(row).toContainText('Finished');
    await expect(row).toContainText('choose: Start a new request');
    await expect(row).toContainText('details: A <b>late</b> parcel');
    await expect(row).toContainText(`customer: ${customer}`);
    await expect(row).not.toContainText(`details: ${customer}`);
    await expect(page.getByRole('link', { name: 'Export CSV' })).toHaveAttribute('href', '/flows/order-status-lookup/results.csv');
  });
}

test('a tampered copy of the link shows the "not valid" page', async ({ page, browser }) => {
  const { link } = await makeLink(page);
  const recipient = await browser.newContext();
  const tab = await recipient.newPage();
  await tab.goto(link);
  const tampered = tab.url().replace('name=Ada', 'name=Mallory');
  const response = await tab.goto(tampered);
  expect(response.status()).toBe(403);
  await expect(tab.getByRole('heading', { name: 'This link is not valid' })).toBeVisible();
  await expect(tab.getByText('Hello')).toHaveCount(0);
  await recipient.close();
});

test('the embed code runs on a page of an allowed origin and is blocked on another', async ({ page, browser }) => {
  const { embed } = await makeLink(page);
  const visitor = await browser.newContext();
  const host = await visitor.newPage();
  const blocked = [];
  host.on('console', (message) => { if (/frame-ancestors/.test(message.text())) blocked.push(message.text()); });
  const serve = (route) => route.fulfill({ contentType: 'text/html', body: `<!DOCTYPE html><title>Shop</title><h1>Shop</h1>${embed}` });
  await host.route('http://localhost:8080/embed.html', serve);
  await host.route('http://elsewhere.test/embed.html', serve);

  await host.goto('http://localhost:8080/embed.html');
  const frame = host.frameLocator('iframe[title="Order Status Lookup"]');
  await expect(frame.getByText('Hello Ada, this is the order status lookup assistant.')).toBeVisible();
  await expect(frame.getByRole('button', { name: 'Next' })).toBeVisible();
  expect(blocked).toEqual([]);

  await host.goto('http://elsewhere.test/embed.html');
  await expect.poll(() => blocked.length).toBeGreaterThan(0);
  await expect(frame.getByText('Hello Ada')).toHaveCount(0);
  await visitor.close();
});

test('a publisher revokes one short link in Shared links and only that one dies', async ({ page, browser }) => {
  const first = await makeLink(page);
  await page.getByRole('dialog').getByRole('button', { name: 'Generate Link' }).click();
  const second = await page.getByRole('dialog').getByLabel('Link', { exact: true }).inputValue();
  expect(second).not.toBe(first.link);
  const code = first.link.split('/s/')[1];

  await page.goto('/flows/order-status-lookup');
  await expect(page.getByRole('heading', { name: 'Shared links' })).toBeVisible();
  const row = page.getByRole('table', { name: 'Shared links' }).locator('tr', { hasText: code });
  await expect(row).toContainText('Active');
  await row.getByRole('button', { name: `Revoke link ${code}` }).click();
  await expect(page.getByRole('table', { name: 'Shared links' }).locator('tr', { hasText: code })).toContainText('Revoked');

  const recipient = await browser.newContext();
  const tab = await recipient.newPage();
  expect((await tab.goto(first.link)).status()).toBe(404);
  await expect(tab.getByRole('heading', { name: 'This link does not exist' })).toBeVisible();
  expect((await tab.goto(second)).status()).toBe(200);
  await expect(tab.getByText('Hello Ada, this is the order status lookup assistant.')).toBeVisible();
  await recipient.close();
});
