// What an admin does to run sharing for real: protect a flow for an application, watch a limited
// link get used up, and kill earlier links by regenerating the application's key.
import { test, expect } from '@playwright/test';
import { logIn, hydrated } from './helpers.mjs';

/** Access Protection saves behind a confirmation that says what saving changes. */
async function saveAccess(page) {
  await page.getByText('Save…').click();
  await expect(page.getByText('Links already shared keep the expiry and limit')).toBeVisible();
  await page.getByRole('button', { name: 'Confirm and save' }).click();
}

async function generate(page) {
  await page.goto('/flows/returns-and-refunds');
  await hydrated(page);
  await page.getByRole('button', { name: 'Share' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Application').selectOption({ label: 'Customer Help Centre' });
  await expect(dialog.getByText(/^Links go through/)).toContainText('Protected: expires after 1 day, 2 invocations');
  await dialog.getByRole('button', { name: 'Generate Link' }).click();
  const link = await dialog.getByLabel('Link', { exact: true }).inputValue();
  await dialog.getByRole('button', { name: 'Close' }).click();
  return link;
}

/** A recipient opens the link in a fresh browser and acts on the first step. */
async function startAsRecipient(browser, link) {
  const context = await browser.newContext();
  const tab = await context.newPage();
  await tab.goto(link);
  await tab.getByRole('button', { name: 'Me', exact: true }).click();
  return { context, tab };
}

test('protect with 2 invocations and 1 day, use up a link, regenerate the key', async ({ page, browser }) => {
  await logIn(page, 'admin');
  await page.goto('/flows/returns-and-refunds');
  await page.getByRole('tab', { name: 'Access Protection' }).click();
  const help = page.getByRole('group', { name: /Customer Help Centre/ });
  await help.getByRole('radio', { name: 'Protected' }).check();
  await help.getByLabel('# Allowed Invocations').fill('two');
  await saveAccess(page);
  await expect(page.getByRole('alert').first()).toContainText('Some values were not saved');
  await expect(page.getByRole('group', { name: /Customer Help Centre/ }).getByLabel('# Allowed Invocations')).toHaveValue('two');
  await page.getByRole('group', { name: /Customer Help Centre/ }).getByLabel('# Allowed Invocations').fill('2');
  await page.getByRole('group', { name: /Customer Help Centre/ }).getByLabel('URL Expiration').fill('1');
  await page.getByRole('group', { name: /Customer Help Centre/ }).getByRole('combobox', { name: 'Unit' }).selectOption('days');
  await saveAccess(page);
  await expect(page.getByRole('status')).toHaveText('Saved. Links generated from now on follow these settings.');

  const link = await generate(page);
  for (let i = 0; i < 2; i++) {
    const { context, tab } = await startAsRecipient(browser, link);
    await expect(tab.getByText('What is your name?')).toBeVisible();
    await context.close();
  }
  // Both starts are used: the third recipient is told so as soon as the link opens.
  const third = await (await browser.newContext()).newPage();
  const response = await third.goto(link);
  expect(response.status()).toBe(410);
  await expect(third.getByRole('heading', { name: 'This link has been used up' })).toBeVisible();

  const earlier = await generate(page);
  await page.getByRole('link', { name: 'Applications' }).click();
  const row = page.getByRole('row', { name: /Customer Help Centre/ });
  await row.getByText('Regenerate key…').click();
  await row.getByRole('button', { name: 'Regenerate the key of Customer Help Centre' }).click();
  await expect(page.getByRole('status')).toContainText('A new key is in place for help-centre');
  const fresh = await generate(page);

  const visitor = await (await browser.newContext()).newPage();
  await visitor.goto(earlier);
  await expect(visitor.getByRole('heading', { name: 'This link has been disabled' })).toBeVisible();
  await visitor.goto(fresh);
  await expect(visitor.getByText('is this about you or someone else?')).toBeVisible();
});

test('an admin creates an application; a refused form keeps what was typed @no-js', async ({ page, browserName }, testInfo) => {
  const name = testInfo.project.name === 'no-javascript' ? 'Kiosk Page' : 'Partner Widget';
  await logIn(page, 'admin');
  await page.goto('/applications');
  await page.getByRole('link', { name: 'New application' }).click();
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Kind').selectOption({ label: 'Web page' });
  await page.getByLabel('Public base URL').fill('partner.example.com');
  await page.getByLabel('Allowed embed origins').fill('https://partner.example.com');
  await page.getByRole('checkbox', { name: 'Order Status Lookup' }).check();
  await page.getByRole('button', { name: 'Save' }).click();

  await expect(page.getByRole('alert')).toHaveText('Nothing was saved: see the fields marked below.');
  await expect(page.getByText('The base URL must start with http:// or https://')).toBeVisible();
  await expect(page.getByText('a web page has none')).toBeVisible();
  await expect(page.getByLabel('Name')).toHaveValue(name);
  await expect(page.getByRole('checkbox', { name: 'Order Status Lookup' })).toBeChecked();

  await page.getByLabel('Public base URL').fill('https://partner.example.com');
  await page.getByLabel('Allowed embed origins').fill('');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toContainText('Saved');
  await expect(page.getByRole('link', { name: `Edit ${name}` })).toBeVisible();
  await page.goto('/flows/order-status-lookup');
  await expect(page.getByRole('cell', { name })).toBeVisible();
});
