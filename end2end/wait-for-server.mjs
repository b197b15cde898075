// The server may still be starting (migrations, demo seed) when the tests begin: wait until it answers.
export default async function waitForServer() {
  const base = process.env.FLOWSHARE_E2E_URL ?? 'http://127.0.0.1:3000';
  const deadline = Date.now() + 120_000;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${base}/login`);
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err.message;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`Flowshare did not answer at ${base}/login within 120 s (${last})`);
}
