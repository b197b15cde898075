// Several instances, proven: two `flowshare serve` processes on one PostgreSQL database.
//   node scripts/instances.mjs BINARY DATABASE_URL
// Shows that a link made on one opens on the other; that revocation and key regeneration on one are
// refused by the other within 1 s; that exactly N of N+50 racing starts succeed across both; that a
// sign-in lock made on one holds on the other; and that SIGTERM under load loses no acknowledged
// link (every link a client got back opens after a restart). Exits non-zero on the first failure.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import assert from 'node:assert/strict';

const [binary, databaseUrl] = process.argv.slice(2);
if (!binary || !databaseUrl) {
  console.error('usage: node scripts/instances.mjs BINARY DATABASE_URL');
  process.exit(2);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const freePort = () =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

const children = new Set();
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));
process.on('unhandledRejection', (err) => {
  console.error(err);
  process.exit(1);
});

/** Starts one instance and waits until it answers /readyz. */
async function start(name, port, extraEnv = {}) {
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(binary, ['serve', '--listen', `127.0.0.1:${port}`, '--public-url', base], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      FLOWSHARE_COOKIE_SECRET: 'instances-test-cookie-secret-0123456789',
      // The whole test comes from 127.0.0.1; the limits are not what it is about.
      FLOWSHARE_LIMIT_LINK_GENERATIONS_PER_USER: 'off',
      FLOWSHARE_LIMIT_RUN_STARTS_PER_IP: 'off',
      FLOWSHARE_LIMIT_SIGN_INS_PER_IP: 'off',
      RUST_LOG: 'warn',
      ...extraEnv,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr.on('data', (d) => (log += d));
  children.add(child);
  child.on('exit', () => children.delete(child));
  for (let i = 0; i < 240; i++) {
    try {
      if ((await fetch(`${base}/readyz`)).ok) return { name, base, child, log: () => log };
    } catch {}
    if (child.exitCode !== null) break;
    await sleep(250);
  }
  throw new Error(`${name} did not become ready:\n${log}`);
}

/** Calls a server function the way the console's pages do. */
async function call(base, endpoint, form, cookie) {
  const headers = { 'content-type': 'application/x-www-form-urlencoded', origin: base };
  if (cookie) headers.cookie = cookie;
  const res = await fetch(`${base}/api/${endpoint}`, {
    method: 'POST',
    headers,
    body: new URLSearchParams(form).toString(),
    redirect: 'manual',
  });
  return { status: res.status, body: await res.text(), headers: res.headers };
}

async function logIn(base, name, password) {
  const res = await call(base, 'login', { name, password });
  const set = res.headers.get('set-cookie');
  assert.ok(set, `no session for ${name} on ${base}: ${res.status} ${res.body}`);
  return set.split(';')[0];
}

async function generate(base, cookie, application) {
  const res = await call(
    base,
    'generate_link',
    { flow: 'order-status-lookup', application, params: 'name=Ada', protect: 'true', shorten: 'true' },
    cookie,
  );
  assert.equal(res.status, 200, res.body);
  return JSON.parse(res.body);
}

/** A link's path and query, to open on any instance. */
const local = (url) => {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
};
const open = async (base, url) => (await fetch(`${base}${local(url)}`, { redirect: 'manual' })).status;

/** Milliseconds until `base` answers `url` with `status` (fails after 5 s). */
async function untilStatus(base, url, status) {
  const began = Date.now();
  while (Date.now() - began < 5_000) {
    if ((await open(base, url)) === status) return Date.now() - began;
    await sleep(10);
  }
  throw new Error(`${base}${local(url)} never answered ${status}`);
}

const step = (text) => console.log(`  - ${text}`);

const a = await start('A', await freePort(), { FLOWSHARE_DEMO: 'true' });
const b = await start('B', await freePort());
step(`two instances up: ${a.base}, ${b.base}`);

// A link made on one opens on the other, full and short.
const publisher = await logIn(a.base, 'publisher', 'demo-publisher-pass');
const link = await generate(a.base, publisher, 'help-centre');
assert.equal(await open(b.base, link.full_url), 200);
assert.equal(await open(b.base, link.short_url), 302);
step('a link made on A opens on B (full 200, short 302)');

// Revocation on A is refused by B within 1 s.
const linkId = new URL(link.full_url).pathname.split('/').pop();
assert.equal(await open(b.base, link.full_url), 200, 'B has it cached');
const revoked = await call(a.base, 'revoke_link', { slug: 'order-status-lookup', link: linkId }, publisher);
assert.equal(revoked.status, 200, revoked.body);
const revokeMs = await untilStatus(b.base, link.full_url, 410);
assert.ok(revokeMs < 1_000, `revocation reached B after ${revokeMs} ms`);
step(`revocation on A refused by B after ${revokeMs} ms`);

// Key regeneration on A is refused by B within 1 s.
const admin = await logIn(a.base, 'admin', 'demo-admin-pass');
const before = await generate(a.base, publisher, 'help-centre');
assert.equal(await open(b.base, before.full_url), 200);
const regenerated = await call(a.base, 'regenerate_key', { application: 'help-centre' }, admin);
assert.equal(regenerated.status, 200, regenerated.body);
const keyMs = await untilStatus(b.base, before.full_url, 410);
assert.ok(keyMs < 1_000, `the new key reached B after ${keyMs} ms`);
step(`key regeneration on A refused by B after ${keyMs} ms`);

// Exactly N of N+50 racing starts succeed across both (the order widget allows 5).
const limited = await generate(a.base, publisher, 'order-widget');
const u = new URL(limited.full_url);
const racers = Array.from({ length: 55 }, (_, i) =>
  call(i % 2 ? a.base : b.base, 'run/start', {
    path: u.pathname, query: u.search.slice(1), action: 'answer', at: '0', step: 'welcome',
  }),
);
const results = await Promise.all(racers);
const started = results.filter((r) => r.status === 200 && r.body.includes('"token"')).length;
assert.equal(started, 5, results.map((r) => `${r.status} ${r.body}`).join('\n'));
step('exactly 5 of 55 racing starts across A and B succeeded');

// A sign-in lock made on A holds on B.
for (let i = 0; i < 5; i++) {
  const res = await call(a.base, 'login', { name: 'viewer', password: 'wrong' });
  assert.equal(res.status, 401, res.body);
}
const locked = await call(b.base, 'login', { name: 'viewer', password: 'demo-viewer-pass' });
assert.equal(locked.status, 429, locked.body);
assert.ok(locked.body.includes('SignInLocked'), locked.body);
step('a sign-in lock made on A holds on B');

// SIGTERM under load: every acknowledged link opens after a restart.
const acknowledged = [];
let stop = false;
const worker = async () => {
  while (!stop) {
    try {
      const res = await call(
        a.base,
        'generate_link',
        { flow: 'order-status-lookup', application: 'help-centre', params: 'name=Load', protect: 'true', shorten: 'false' },
        publisher,
      );
      if (res.status === 200) acknowledged.push(JSON.parse(res.body).full_url);
    } catch {
      await sleep(5); // refused connections once A stops listening
    }
  }
};
const workers = Array.from({ length: 8 }, worker);
await sleep(1_500);
const termAt = Date.now();
a.child.kill('SIGTERM');
const code = await new Promise((resolve, reject) => {
  if (a.child.exitCode !== null) return resolve(a.child.exitCode);
  a.child.on('exit', (c, signal) => resolve(c ?? signal));
  setTimeout(() => reject(new Error(`A did not stop within 15 s of SIGTERM:\n${a.log()}`)), 15_000);
});
const stoppedMs = Date.now() - termAt;
assert.ok(stoppedMs < 11_000, `A took ${stoppedMs} ms to stop (shutdown timeout 10 s)`);
stop = true;
await Promise.all(workers);
assert.equal(code, 0, `A exited with ${code}:\n${a.log()}`);
assert.ok(acknowledged.length > 0, 'links were made under load');
const a2 = await start('A again', new URL(a.base).port);
const failed = [];
for (const url of acknowledged) {
  const status = await open(a2.base, url);
  if (status !== 200) failed.push(`${status} ${url}`);
}
assert.deepEqual(failed, [], 'every acknowledged link opens after the restart');
step(`SIGTERM under load: A stopped in ${stoppedMs} ms; all ${acknowledged.length} acknowledged links open after restart`);

for (const child of children) child.kill('SIGTERM');
console.log('instances: all checks passed');
process.exit(0);
