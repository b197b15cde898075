// The Flows page and the Details tab, as a console user meets them.
import { test, expect } from '@playwright/test';
import { logIn, hydrated } from './helpers.mjs';

test('a visitor without a session is sent to sign in, then back where they were going', async ({ page }) => {
  await page.goto('/flows?q=refund');
  await expect(page).toHaveURL(/\/login\?next=/);
  await page.getByLabel('User name').fill('viewer');
  await page.getByLabel('Password').fill('demo-viewer-pass');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/flows\?q=refund$/);
  await expect(page.getByRole('link', { name: 'Returns and Refunds' })).toBeVisible();
});

test('a wrong password is refused with a message', async ({ page }) => {
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('User name').fill('admin');
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toHaveText('Wrong user name or password.');
  await expect(page).toHaveURL(/\/login/);
});

test('typing three letters in Search narrows the list and puts the query in the URL', async ({ page }) => {
  await logIn(page, 'viewer');
  await expect(page.getByRole('heading', { name: 'Flows' })).toBeVisible();
  const rows = page.getByRole('table', { name: 'Flows' }).locator('tbody tr');
  await expect(rows).toHaveCount(25);
  await hydrated(page);
  await page.getByRole('searchbox', { name: 'Search' }).pressSequentially('ord', { delay: 40 });
  await expect(page).toHaveURL(/\?q=ord$/);
  await expect(page.getByRole('link', { name: 'Order Status Lookup' })).toBeVisible();
  await expect(rows).not.toHaveCount(25);
  for (const name of await rows.locator('td:first-child').allInnerTexts()) {
    expect(name.toLowerCase()).toContain('ord');
  }
});

test('a bookmarked search survives a reload', async ({ page }) => {
  await logIn(page, 'viewer');
  await page.goto('/flows?q=refund');
  await page.reload();
  await expect(page.getByRole('searchbox', { name: 'Search' })).toHaveValue('refund');
  await expect(page.getByRole('table', { name: 'Flows' }).locator('tbody tr')).toHaveCount(1);
  await expect(page.getByRole('link', { name: 'Returns and Refunds' })).toBeVisible();
});

test('a search that finds nothing says so, and HTML in it stays text', async ({ page }) => {
  await logIn(page, 'viewer');
  await page.goto('/flows?q=' + encodeURIComponent('<img src=x onerror=alert(1)>'));
  await expect(page.getByRole('status').filter({ hasText: 'No flows match' })).toHaveText('No flows match “<img src=x onerror=alert(1)>”.');
});

test('sorting by name and paging move through the list', async ({ page }) => {
  await logIn(page, 'viewer');
  await page.getByRole('link', { name: /^Name/ }).click();
  await expect(page).toHaveURL(/sort=name&dir=asc/);
  const first = page.getByRole('table', { name: 'Flows' }).locator('tbody tr').first().locator('td').first();
  await expect(first).toHaveText('Account Closure');
  await page.getByRole('link', { name: 'Next →' }).click();
  await expect(page).toHaveURL(/page=2/);
  await expect(page.getByText(/^Page 2 of 2/)).toBeVisible();
});

test('clicking a flow opens its Details tab with an enabled Share button', async ({ page }) => {
  await logIn(page, 'publisher');
  await page.goto('/flows?q=order%20status');
  await page.getByRole('link', { name: 'Order Status Lookup' }).click();
  await expect(page.getByRole('heading', { name: 'Order Status Lookup', level: 1 })).toBeVisible();
  await expect(page.getByRole('tab', { name: 'Details' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('button', { name: 'Share' })).toBeEnabled();
  await expect(page.getByRole('cell', { name: 'Customer Help Centre' })).toBeVisible();
});

test('Share is disabled, with the reason, on a Draft flow and on other flow types', async ({ page }) => {
  await logIn(page, 'publisher');
  await page.goto('/flows/gift-card-balance');
  const share = page.getByRole('button', { name: 'Share' });
  await expect(share).toBeDisabled();
  await expect(share).toHaveAccessibleDescription('Only published flows can be shared. Publish this flow first.');
  await page.goto('/flows/main-ivr-menu');
  await expect(page.getByRole('button', { name: 'Share' })).toBeDisabled();
  await expect(page.getByText('To share other flow types, use the designer.')).toBeVisible();
});

test('signing out ends the session @no-js', async ({ page }) => {
  await logIn(page, 'admin');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login/);
  await page.goto('/flows');
  await expect(page).toHaveURL(/\/login\?next=/);
});

test('without JavaScript, the pages render with data and Enter searches @no-js', async ({ page }) => {
  await logIn(page, 'viewer');
  await expect(page.getByRole('table', { name: 'Flows' }).locator('tbody tr')).toHaveCount(25);
  await page.getByRole('searchbox', { name: 'Search' }).fill('refund');
  await page.getByRole('searchbox', { name: 'Search' }).press('Enter');
  await expect(page).toHaveURL(/\?q=refund$/);
  await expect(page.getByRole('link', { name: 'Returns and Refunds' })).toBeVisible();
});
