// The approval workflow in the browser: Draft → Published → Approved through the UI, Share follows,
// and the audit log shows who did what.
import { test, expect } from '@playwright/test';
import { logIn } from './helpers.mjs';

test('a flow moves Draft → Published → Approved through the UI and becomes shareable', async ({ page }) => {
  await logIn(page, 'publisher');
  await page.goto('/flows/event-registration');
  await expect(page.getByRole('button', { name: 'Share' })).toBeDisabled();
  await page.getByRole('button', { name: 'Publish' }).click();
  await expect(page.getByText('Published', { exact: true }).first()).toBeVisible();
  await expect(page.getByText('Only approved flows can be shared.', { exact: false })).toBeVisible();
  await page.getByRole('button', { name: 'Sign out' }).click();

  await logIn(page, 'admin', '/flows/event-registration');
  await page.getByRole('button', { name: 'Reject' }).click();
  await expect(page.getByRole('alert')).toHaveText('Say why the flow is rejected: the comment is required.');
  await page.getByLabel('Comment').fill('Ready for customers.');
  await page.getByRole('button', { name: 'Approve' }).click();
  await expect(page.getByText('Reviewer\'s comment: “Ready for customers.”')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Share' })).toBeEnabled();

  await page.getByRole('link', { name: 'Audit log' }).click();
  await page.getByRole('searchbox', { name: 'Search' }).fill('event-registration');
  await page.getByRole('searchbox', { name: 'Search' }).press('Enter');
  const rows = page.getByRole('table', { name: 'Audit log' }).locator('tbody tr');
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(0)).toContainText('admin');
  await expect(rows.nth(0)).toContainText('Flow approved');
  await expect(rows.nth(1)).toContainText('publisher');
  await expect(rows.nth(1)).toContainText('Flow published');
});
