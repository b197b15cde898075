// What each page costs on the wire, as Chromium counts it (DevTools: `Network.loadingFinished`'s
// `encodedDataLength`, headers included), cold cache, 360 px wide; and the time until a recipient
// can use the first step on a throttled phone profile. Run by scripts/bench-weight.sh, which
// starts the release server and passes its address.
//   node scripts/bench-weight.mjs http://127.0.0.1:PORT
import { chromium } from '../end2end/node_modules/playwright-core/index.mjs';

const base = process.argv[2];
if (!base) throw new Error('usage: node scripts/bench-weight.mjs BASE_URL');
const KB = 1024;
const targets = {
  'console: sign-in, then Flows': 200 * KB,
  'console: repeat visit (static files)': 10 * KB,
  'recipient: first open': 30 * KB,
  'recipient: repeat open': 6 * KB,
  'recipient: a step, JavaScript on': 4 * KB,
  'recipient: a step, JavaScript off': 4 * KB,
  'recipient: refusal page': 30 * KB,
};
const PHONE_READY_TARGET_MS = 1000;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--disable-quic'],
});

/** A fresh browser profile (cold cache) at a phone's width. */
async function freshTab(options = {}) {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, ...options });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  const seen = new Map();
  cdp.on('Network.responseReceived', ({ requestId, type, response }) => {
    seen.set(requestId, { type, url: response.url, status: response.status, bytes: 0 });
  });
  cdp.on('Network.loadingFinished', ({ requestId, encodedDataLength }) => {
    const entry = seen.get(requestId);
    if (entry) entry.bytes = encodedDataLength;
  });
  // A redirect's own response is reported with the request that follows it.
  cdp.on('Network.requestWillBeSent', ({ requestId, redirectResponse }) => {
    if (redirectResponse) {
      seen.set(`${requestId}:${redirectResponse.url}`, {
        type: 'Document', url: redirectResponse.url, status: redirectResponse.status,
        bytes: redirectResponse.encodedDataLength ?? 0,
      });
    }
  });
  /** Everything transferred while `action` ran, by kind. */
  async function measure(action) {
    seen.clear();
    await action();
    await page.waitForLoadState('networkidle');
    const byKind = {};
    let total = 0;
    for (const { type, url, bytes } of seen.values()) {
      const kind = /\.wasm(\?|$)/.test(url) ? 'wasm' : /\.js(\?|$)/.test(url) ? 'script'
        : /\.css(\?|$)/.test(url) ? 'css' : type === 'Document' ? 'html' : type.toLowerCase();
      byKind[kind] = (byKind[kind] ?? 0) + bytes;
      total += bytes;
    }
    return { total, byKind, requests: seen.size };
  }
  return { context, page, cdp, measure };
}

const rows = [];
function report(name, { total, byKind, requests }, onlyStatic = false) {
  const counted = onlyStatic ? (byKind.css ?? 0) + (byKind.script ?? 0) + (byKind.wasm ?? 0) : total;
  rows.push({ name, counted, total, byKind, requests });
}

// A protected, shortened link, made the way the Share dialog makes one.
async function makeLink() {
  const login = await fetch(`${base}/api/login`, {
    method: 'POST', redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'name=publisher&password=demo-publisher-pass',
  });
  const cookie = login.headers.get('set-cookie').split(';')[0];
  const made = await fetch(`${base}/api/generate_link`, {
    method: 'POST',
    headers: { cookie, origin: base, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'flow=order-status-lookup&application=order-widget&params=%26name%3DAda&protect=true&shorten=true',
  });
  if (!made.ok) throw new Error(`generating a link: ${made.status} ${await made.text()}`);
  const link = await made.json();
  const local = new URL(link.full_url);
  return `${base}${local.pathname}${local.search}`;
}

// The console: sign in, then the Flows page, then the Share dialog; a repeat visit after.
{
  const { context, page, measure } = await freshTab();
  const signIn = await measure(async () => {
    await page.goto(`${base}/login`);
    await page.waitForFunction(() => window.__flowshare_hydrated === true);
  });
  const flows = await measure(async () => {
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password').fill('demo-admin-pass');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/flows/);
    await page.waitForFunction(() => window.__flowshare_hydrated === true);
  });
  report('console: sign-in, then Flows', {
    total: signIn.total + flows.total,
    byKind: Object.fromEntries(['html', 'css', 'script', 'wasm', 'fetch', 'other'].map((k) =>
      [k, (signIn.byKind[k] ?? 0) + (flows.byKind[k] ?? 0)]).filter(([, v]) => v)),
    requests: signIn.requests + flows.requests,
  });
  const share = await measure(async () => {
    await page.goto(`${base}/flows/order-status-lookup`);
    await page.waitForFunction(() => window.__flowshare_hydrated === true);
    await page.getByRole('button', { name: 'Share' }).first().click();
    await page.getByRole('dialog').waitFor();
  });
  report('console: a flow and its Share dialog', share);
  const again = await measure(async () => {
    await page.goto(`${base}/flows`);
    await page.waitForFunction(() => window.__flowshare_hydrated === true);
  });
  report('console: repeat visit (static files)', again, true);
  await context.close();
}

const link = await makeLink();

// A recipient: the first open, a repeat open, a step with JavaScript; a step without.
{
  const { context, page, measure } = await freshTab();
  report('recipient: first open', await measure(() => page.goto(link)));
  report('recipient: repeat open', await measure(() => page.goto(link)));
  report('recipient: a step, JavaScript on', await measure(async () => {
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByText('What would you like to do?').waitFor();
  }));
  await context.close();
}
{
  const { context, page, measure } = await freshTab({ javaScriptEnabled: false });
  await page.goto(link);
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByText('What would you like to do?').waitFor();
  report('recipient: a step, JavaScript off', await measure(async () => {
    await page.getByRole('button', { name: 'Start a new request' }).click();
    await page.getByLabel('Please enter your customer number.').waitFor();
  }));
  await context.close();
}
{
  const { context, page, measure } = await freshTab();
  const tampered = link.replace(/name=Ada/, 'name=Eve');
  report('recipient: refusal page', await measure(() => page.goto(tampered)));
  await context.close();
}

// Until the first step can be used, on a throttled phone: 1.6 Mbit/s down, 150 ms round trip,
// the CPU slowed four times; a cold cache each time, the median of five.
const readyTimes = [];
for (let i = 0; i < 5; i++) {
  const { context, page, cdp } = await freshTab();
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency: 150, downloadThroughput: (1.6 * 1000 * 1000) / 8,
    uploadThroughput: (750 * 1000) / 8,
  });
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  const started = Date.now();
  await page.goto(link, { waitUntil: 'commit' });
  await page.getByRole('button', { name: 'Next' }).waitFor({ state: 'visible' });
  // Usable: the step is shown, styled (the style sheet blocks rendering) and the page loaded.
  await page.waitForLoadState('load');
  readyTimes.push(Date.now() - started);
  await context.close();
}
readyTimes.sort((a, b) => a - b);
const ready = readyTimes[2];

await browser.close();

const kb = (bytes) => `${(bytes / KB).toFixed(1)} KB`;
console.log(`${'page'.padEnd(40)} ${'on the wire'.padStart(12)} ${'target'.padStart(9)}  requests  by kind`);
let over = 0;
for (const { name, counted, byKind, requests } of rows) {
  const target = targets[name];
  const mark = target === undefined ? '' : counted <= target ? 'ok' : 'OVER';
  if (mark === 'OVER') over++;
  const kinds = Object.entries(byKind).map(([k, v]) => `${k} ${kb(v)}`).join(', ');
  console.log(`${name.padEnd(40)} ${kb(counted).padStart(12)} ${(target ? `≤ ${kb(target)}` : '').padStart(9)} ${mark.padStart(4)} ${String(requests).padStart(5)}     ${kinds}`);
}
const readyMark = ready <= PHONE_READY_TARGET_MS ? 'ok' : 'OVER';
if (readyMark === 'OVER') over++;
console.log(`${'recipient: first step usable, phone'.padEnd(40)} ${`${ready} ms`.padStart(12)} ${`≤ ${PHONE_READY_TARGET_MS} ms`.padStart(9)} ${readyMark.padStart(4)}        (median of ${readyTimes.join(', ')} ms)`);
process.exit(over === 0 ? 0 : 1);
