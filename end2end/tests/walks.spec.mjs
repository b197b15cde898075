// Recipients' answers are kept exactly as typed: every shareable demo flow walked to its end, with
// JavaScript and without, a distinct answer typed at every input step (and each input checked to
// open empty: never holding another step's answer). Results and the CSV export then hold exactly
// what was typed and chosen, in order, each answer under its own step. (Named to run after the
// files that read Shared links: it makes links and runs for every flow.)
import { test, expect } from '@playwright/test';
import { logIn } from './helpers.mjs';

/** A server function called as the console's script calls it, with the signed-in session. */
async function call(page, name, form) {
  const response = await page.request.post(`/api/${name}`, {
    form,
    headers: { origin: new URL(page.url()).origin },
  });
  expect(response.ok(), `${name}: ${await response.text()}`).toBeTruthy();
  return response.json();
}

/** Every flow that can be shared now, with an application it is available to. */
async function shareableFlows(page) {
  const flows = [];
  for (let at = 1; ; at += 1) {
    const listed = await call(page, 'list_flows', { page: String(at) });
    flows.push(...listed.flows);
    if (flows.length >= listed.total || listed.flows.length === 0) break;
  }
  const shareable = [];
  for (const flow of flows) {
    const details = await call(page, 'get_flow_details', { slug: flow.slug });
    if (details.share_blocker === null && details.availability.length > 0) {
      shareable.push({ slug: flow.slug, application: details.availability[0].application_slug });
    }
  }
  return shareable;
}

/** A CSV's rows as arrays of fields (quotes and doubled quotes as RFC 4180 has them). */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i += 1; } else if (c === '"') { quoted = false; } else { field += c; }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      row.push(field); field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i += 1;
      row.push(field); rows.push(row); row = []; field = '';
    } else {
      field += c;
    }
  }
  if (field !== '' || row.length > 0) { row.push(field); rows.push(row); }
  return rows;
}

/**
 * Walks the flow at `link` to its end in `tab`: a distinct answer at every input (checked to
 * open empty first), the choice `pick` names at every question. Returns the moves as Results
 * keeps them: `{ next: true }`, `{ label }` or `{ value }`.
 */
async function walk(tab, link, tag, pick) {
  await tab.goto(link);
  const moves = [];
  for (let step = 0; step < 30; step += 1) {
    if (await tab.getByRole('status').filter({ hasText: 'Finished' }).count()) return moves;
    const input = tab.locator('#player-input');
    const choices = tab.locator('fieldset.choices button');
    if (await input.count()) {
      await expect(input, `step ${step} of ${link} opens empty`).toHaveValue('');
      const value = `${tag} answer ${step} & "quoted" <b>`;
      await input.fill(value);
      moves.push({ value });
      await tab.getByRole('button', { name: 'Next' }).click();
    } else if (await choices.count()) {
      const labels = await choices.allInnerTexts();
      const label = pick(labels);
      moves.push({ label });
      await choices.nth(labels.indexOf(label)).click();
    } else if (await tab.getByRole('button', { name: 'Next' }).count()) {
      moves.push({ next: true });
      await tab.getByRole('button', { name: 'Next' }).click();
    } else {
      // A refusal (too many starts, say) is no step: say which, at once.
      throw new Error(`${link}, step ${step}: ${await tab.locator('h1').first().innerText()}`);
    }
    await tab.waitForLoadState('domcontentloaded');
  }
  throw new Error(`${link} did not end within 30 steps`);
}

/** A run's answers as the walk recorded its moves. */
function asMoves(answers) {
  return answers.map(({ answer }) => {
    if (answer === 'next') return { next: true };
    if (answer.choice) return { label: answer.choice.label };
    return { value: answer.input.value };
  });
}

for (const javaScript of [true, false]) {
  test(`every shareable demo flow keeps each answer exactly as typed, ${javaScript ? 'with' : 'without'} JavaScript`, async ({ page, browser }) => {
    test.setTimeout(240_000);
    await logIn(page, 'admin');
    const flows = await shareableFlows(page);
    expect(flows.length).toBeGreaterThanOrEqual(10);
    const recipient = await browser.newContext({ javaScriptEnabled: javaScript });
    const tab = await recipient.newPage();
    const mode = javaScript ? 'js' : 'nojs';
    // Two walks per flow: first choices, then last ones ("again" aside), so inputs on either branch are typed.
    const pickers = [
      (labels) => labels[0],
      (labels) => [...labels].reverse().find((l) => !/again/i.test(l)) ?? labels[0],
    ];
    let checked = 0;
    for (const flow of flows) {
      const made = await call(page, 'generate_link', {
        flow: flow.slug, application: flow.application, params: '', protect: 'false', shorten: 'false',
      });
      const walks = [];
      for (const [i, pick] of pickers.entries()) {
        const tag = `${mode}-${flow.slug}-${i}-${Date.now()}`;
        walks.push({ tag, moves: await walk(tab, made.full_url, tag, pick) });
      }
      const results = await call(page, 'flow_results', { flow: flow.slug });
      const csv = parseCsv(await (await page.request.get(`/flows/${flow.slug}/results.csv`)).text());
      const header = csv[0];
      for (const { tag, moves } of walks) {
        const typed = moves.filter((m) => m.value !== undefined);
        // Results: the run holding this walk's answers holds exactly its moves, in order.
        const run = results.runs.find((r) => JSON.stringify(asMoves(r.answers)) === JSON.stringify(moves)
          && (typed.length === 0 || r.answers.some((a) => a.answer.input?.value === typed[0].value)));
        expect(run, `${flow.slug}: a run with exactly ${JSON.stringify(moves)}`).toBeTruthy();
        expect(run.outcome).toBe('Finished');
        if (typed.length === 0) continue;
        // The CSV: one row holds each typed answer exactly once, each in its own input's column.
        const row = csv.find((r) => r.includes(typed[0].value));
        expect(row, `${flow.slug}: the CSV row of ${tag}`).toBeTruthy();
        for (const { answer } of run.answers.filter((a) => a.answer.input)) {
          const column = header.indexOf(answer.input.variable);
          expect(row[column], `${flow.slug}: ${answer.input.variable}`).toBe(answer.input.value);
          expect(row.filter((cell) => cell === answer.input.value)).toHaveLength(1);
          checked += 1;
        }
      }
    }
    // Every flow's inputs on both branches: far more than a handful of answers were checked.
    expect(checked).toBeGreaterThanOrEqual(flows.length);
    await recipient.close();
  });
}
