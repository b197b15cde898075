// Shared steps: signing in as one of the documented demo users, through the real login form.
import { expect } from '@playwright/test';

export const USERS = {
  admin: 'demo-admin-pass',
  publisher: 'demo-publisher-pass',
  viewer: 'demo-viewer-pass',
};

export async function logIn(page, name, next = '/flows') {
  await page.goto(`/login?next=${encodeURIComponent(next)}`);
  await page.getByLabel('User name').fill(name);
  await page.getByLabel('Password').fill(USERS[name]);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
}

/**
 * Waits until the page's wasm has hydrated its islands (the frontend sets the flag last), so typed
 * input reaches the reactive handlers. Only for tests that run with JavaScript on.
 */
export async function hydrated(page) {
  await page.waitForFunction(() => window.__flowshare_hydrated === true);
  await page.waitForLoadState('networkidle');
}
