// Links in the wild: an application's previews and endings set in the console (a refused onward
// URL named, nothing lost), the Share dialog's preview card; an ended link leading onward at top
// level and inside an embedding site's frame; a recipient who closed the tab resuming the run,
// at top level and embedded, with one allowed invocation counted once.
import { test, expect } from '@playwright/test';
import { createServer } from 'node:http';
import { deflateSync, crc32 } from 'node:zlib';
import { logIn, hydrated } from './helpers.mjs';

/**
 * The shop: the embedding site every test frames links from (an allowed origin of the widgets
 * made here) and the pages an ending leads to, served for real, so a redirect from Flowshare
 * reaches it as it would in the world. `/embed.html?code=…` is a page with that embed code on it.
 */
let SITE;
let shop;
test.beforeAll(async () => {
  shop = createServer((request, response) => {
    const url = new URL(request.url, 'http://shop');
    const body = url.pathname === '/embed.html'
      ? `<!DOCTYPE html><title>Shop</title><h1>Shop</h1>${url.searchParams.get('code')}`
      : `<!DOCTYPE html><title>Shop page</title><h1>Shop page ${url.pathname}</h1>`;
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(body);
  });
  await new Promise((listening) => shop.listen(0, listening));
  SITE = `http://localhost:${shop.address().port}`;
});
test.afterAll(() => new Promise((closed) => shop.close(closed)));
/** Told apart from the widgets of an earlier run against the same server. */
const RUN = Date.now().toString(36).slice(-5);

/** A real PNG, `width` × `height`, of one colour: what an admin would upload as a preview. */
function png(width, height) {
  const chunk = (type, data) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'ascii');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type, 'ascii'), data])) >>> 0, 0);
    return Buffer.concat([head, data, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(width * 3, Buffer.from([11, 99, 206]))]);
  const pixels = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header), chunk('IDAT', deflateSync(pixels)), chunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * A widget of its own for one test (its endings and counts touch no other test), framed from
 * SITE, offering Order Status Lookup protected with one allowed invocation. Returns its name.
 */
async function onceWidget(page, baseURL, base) {
  const name = `${base} ${RUN}`;
  await logIn(page, 'admin', '/applications/new');
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Kind').selectOption({ label: 'Embeddable widget' });
  await page.getByLabel('Public base URL').fill(baseURL);
  await page.getByLabel('Allowed embed origins').fill(SITE);
  await page.getByRole('checkbox', { name: 'Order Status Lookup' }).check();
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toContainText('Saved');
  await page.goto('/flows/order-status-lookup/access');
  const pair = page.locator('fieldset.protection', { hasText: name });
  await pair.getByLabel('Protected').check();
  await pair.getByLabel('# Allowed Invocations').fill('1');
  await page.getByText('Save…').click();
  await page.getByRole('button', { name: 'Confirm and save' }).click();
  await expect(page.getByRole('status')).toContainText('Saved');
  return name;
}

/** A protected full link of Order Status Lookup through `application`, made in the Share dialog. */
async function share(page, application, params = '&name=Ada') {
  await page.goto('/flows/order-status-lookup');
  await hydrated(page);
  await page.getByRole('button', { name: 'Share' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Application').selectOption({ label: application });
  await dialog.getByLabel('URL Parameters').fill(params);
  await dialog.getByRole('button', { name: 'Generate Link' }).click();
  const link = dialog.getByLabel('Link', { exact: true });
  await expect(link).toHaveValue(/fs_sig=/);
  const made = { link: await link.inputValue(), embed: await dialog.getByLabel('Embed', { exact: true }).inputValue() };
  await dialog.getByRole('button', { name: 'Close' }).click();
  return made;
}

/** Saves one ending on the application's link pages form. */
async function setEnding(page, slug, ending, { redirect, message = '', url = '', reason = false }) {
  await page.goto(`/applications/${slug}/link-pages`);
  const group = page.getByRole('group', { name: ending });
  await group.getByRole('radio', { name: redirect ? 'Redirect to a URL' : "Flowshare's page" }).check();
  await group.getByLabel(/^Message/).fill(message);
  await group.getByLabel(/^URL/).fill(url);
  await group.getByRole('checkbox').setChecked(reason);
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toContainText('Saved the link pages');
}

/** The shop's page with `embed` on it. */
function embedPage(embed) {
  return `${SITE}/embed.html?code=${encodeURIComponent(embed)}`;
}

function slugOf(name) {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

test('an admin sets a preview and endings; a refused onward URL is named and nothing typed is lost', async ({ page, baseURL }) => {
  const name = await onceWidget(page, baseURL, 'Preview Widget');
  const slug = slugOf(name);
  await page.goto('/applications');
  await page.getByRole('link', { name: `Link pages of ${name}` }).click();
  await expect(page.getByRole('heading', { name: `Link pages of ${name}` })).toBeVisible();
  await hydrated(page);

  await page.getByLabel('Preview title').fill('Your order, one tap away');
  await page.getByLabel('Preview description').fill('See where your parcel is & what happens next.');
  const usedUp = page.getByRole('group', { name: 'Used up' });
  await usedUp.getByRole('radio', { name: 'Redirect to a URL' }).check();
  await usedUp.getByLabel(/^URL/).fill('javascript:alert(document.cookie)');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('alert')).toHaveText('Nothing was saved: see the fields marked below.');
  await expect(usedUp.getByText('The onward URL must be a whole https:// address')).toBeVisible();
  await expect(page.getByLabel('Preview title')).toHaveValue('Your order, one tap away');
  await expect(usedUp.getByLabel(/^URL/)).toHaveValue('javascript:alert(document.cookie)');
  await expect(usedUp.getByRole('radio', { name: 'Redirect to a URL' })).toBeChecked();

  await usedUp.getByLabel(/^URL/).fill(`${SITE}/ended`);
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toContainText(`Saved the link pages of ${slug}`);

  // An image: too small is refused by name; a good one is shown and kept.
  await page.goto(`/applications/${slug}/link-pages`);
  await hydrated(page);
  const file = page.locator('#preview-image-file');
  await file.setInputFiles({ name: 'tiny.png', mimeType: 'image/png', buffer: png(64, 64) });
  await expect(page.getByText('The image is 64 × 64 pixels')).toBeVisible();
  await file.setInputFiles({ name: 'card.png', mimeType: 'image/png', buffer: png(1200, 630) });
  await expect(page.getByText('Image saved')).toBeVisible();
  const image = page.getByRole('img', { name: 'The preview image' });
  await expect(image).toBeVisible();
  expect(await image.evaluate((img) => img.naturalWidth)).toBe(1200);

  // The Share dialog shows the card a chat app will show.
  await page.goto('/flows/order-status-lookup');
  await hydrated(page);
  await page.getByRole('button', { name: 'Share' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Application').selectOption({ label: name });
  const card = dialog.getByTestId('share-preview-card');
  await expect(card).toContainText('Your order, one tap away');
  await expect(card).toContainText('See where your parcel is & what happens next.');
  await expect(card).toContainText('127.0.0.1');
  expect(await card.locator('img').evaluate((img) => img.naturalWidth)).toBe(1200);
});

for (const embedded of [false, true]) {
  const where = embedded ? 'inside an embedding site\'s frame' : 'at top level';
  test(`an ended link leads where its application says, ${where}`, async ({ page, browser, baseURL }) => {
    const name = await onceWidget(page, baseURL, embedded ? 'Ending Widget Framed' : 'Ending Widget Top');
    const slug = slugOf(name);
    await setEnding(page, slug, 'Used up', { redirect: true, url: `${SITE}/ended?src=sms`, reason: true });
    await setEnding(page, slug, 'Disabled (revoked, or the key was regenerated)', {
      redirect: false, message: 'This offer has moved.\nBook a call instead.', url: `${SITE}/book`,
    });
    const { link, embed } = await share(page, name, '&name=Ada&customer=C-90210');

    // The one allowed start, by someone else.
    const first = await browser.newContext();
    const tab = await first.newPage();
    await tab.goto(link);
    await tab.getByRole('button', { name: 'Next' }).click();
    await expect(tab.getByText('What would you like to do?')).toBeVisible();
    await first.close();

    /** Opens the link as a new recipient would, and returns the frame or page showing it. */
    const open = async () => {
      const context = await browser.newContext();
      const visitor = await context.newPage();
      if (!embedded) {
        await visitor.goto(link);
        return { context, view: visitor, url: () => visitor.url() };
      }
      await visitor.goto(embedPage(embed));
      const frame = visitor.frameLocator('iframe[title="Order Status Lookup"]');
      const url = () => visitor.frames().find((f) => f !== visitor.mainFrame()).url();
      return { context, view: frame, url };
    };

    // Used up: a redirect to the shop, with the reason and nothing of the link.
    let { context, view, url } = await open();
    await expect(view.getByRole('heading', { name: 'Shop page /ended' })).toBeVisible();
    expect(url()).toBe(`${SITE}/ended?src=sms&reason=used-up`);
    await context.close();

    // Switched to Flowshare's page with the application's words and a link onward.
    await setEnding(page, slug, 'Used up', { redirect: false, message: 'All booked.', url: `${SITE}/waitlist` });
    ({ context, view } = await open());
    await expect(view.getByRole('heading', { name: 'This link has been used up' })).toBeVisible();
    await expect(view.getByText('All booked.')).toBeVisible();
    await view.getByRole('link', { name: 'Continue to localhost' }).click();
    await expect(view.getByRole('heading', { name: 'Shop page /waitlist' })).toBeVisible();
    await context.close();

    // Disabled (the link revoked): the page with the application's words, then a redirect.
    await page.goto('/flows/order-status-lookup');
    const id = new URL(link).pathname.split('/').pop();
    const row = page.getByRole('table', { name: 'Shared links' }).locator('tr', { hasText: name }).first();
    await row.getByRole('button', { name: /^Revoke link/ }).click();
    await expect(page.getByRole('table', { name: 'Shared links' }).locator('tr', { hasText: name }).first()).toContainText('Revoked');
    ({ context, view } = await open());
    await expect(view.getByRole('heading', { name: 'This link has been disabled' })).toBeVisible();
    await expect(view.getByText('This offer has moved.')).toBeVisible();
    await expect(view.getByText('Book a call instead.')).toBeVisible();
    await expect(view.getByRole('link', { name: 'Continue to localhost' })).toHaveAttribute('href', `${SITE}/book`);
    await context.close();
    await setEnding(page, slug, 'Disabled (revoked, or the key was regenerated)', { redirect: true, url: `${SITE}/gone` });
    ({ context, view, url } = await open());
    await expect(view.getByRole('heading', { name: 'Shop page /gone' })).toBeVisible();
    expect(url()).toBe(`${SITE}/gone`);
    expect(url()).not.toContain(id);
    await context.close();
  });
}

for (const embedded of [false, true]) {
  const where = embedded ? 'inside an embedding site\'s frame' : 'at top level';
  test(`a recipient who closed the tab goes on where the run was, counted once, ${where}`, async ({ page, browser, baseURL }) => {
    const name = await onceWidget(page, baseURL, embedded ? 'Resume Widget Framed' : 'Resume Widget Top');
    const { link, embed } = await share(page, name);
    const recipient = await browser.newContext();
    const openIn = async (tab) => {
      if (!embedded) {
        await tab.goto(link);
        return tab;
      }
      await tab.goto(embedPage(embed));
      return tab.frameLocator('iframe[title="Order Status Lookup"]');
    };

    let tab = await recipient.newPage();
    let view = await openIn(tab);
    await view.getByRole('button', { name: 'Next' }).click();
    await view.getByRole('button', { name: 'Start a new request' }).click();
    await expect(view.getByLabel('Please enter your customer number.')).toBeVisible();
    await tab.close();

    // The same browser opens the link again: the run goes on at the step it stood at.
    tab = await recipient.newPage();
    view = await openIn(tab);
    await expect(view.getByLabel('Please enter your customer number.')).toBeVisible();
    if (!embedded) {
      // The run's token stays in its cookie, out of the address bar.
      expect(tab.url()).toBe(link);
    }
    await view.getByLabel('Please enter your customer number.').fill('C-1001');
    await view.getByRole('button', { name: 'Next' }).click();
    await expect(view.getByLabel('Briefly describe what you need.')).toBeVisible();
    // Start over stays within the same run.
    await view.getByRole('button', { name: 'Start over' }).click();
    await expect(view.getByText('Hello Ada, this is the order status lookup assistant.')).toBeVisible();

    // Another browser has no run here, and the one allowed start is spent.
    const other = await browser.newContext();
    const otherTab = await other.newPage();
    const otherView = await openIn(otherTab);
    await expect(otherView.getByRole('heading', { name: 'This link has been used up' })).toBeVisible();
    await other.close();
    await recipient.close();

    // Counted once.
    await page.goto('/flows/order-status-lookup');
    const row = page.getByRole('table', { name: 'Shared links' }).locator('tr', { hasText: name }).first();
    await expect(row).toContainText('1 / 1');
  });
}
