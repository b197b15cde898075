// Browser tests in Debian's Chromium (a browser download is not possible here). The server is
// started by scripts/test.sh, which passes its address in FLOWSHARE_E2E_URL.
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: './tests',
  globalSetup: './wait-for-server.mjs',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: process.env.FLOWSHARE_E2E_URL ?? 'http://127.0.0.1:3000',
    trace: 'off',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
        '--disable-sync', '--no-first-run', '--disable-quic',
        // Embedding tests host their page through Playwright routing, which has no address, so
        // Chromium would treat it as public and refuse its frame to loopback.
        '--disable-features=LocalNetworkAccessChecks'],
    },
  },
  projects: [
    { name: 'chromium', use: { browserName: 'chromium' } },
    // The same pages with JavaScript off: server rendering alone must carry them.
    { name: 'no-javascript', use: { browserName: 'chromium', javaScriptEnabled: false }, grep: /@no-js/ },
  ],
});
