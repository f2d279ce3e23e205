// End-to-end test of report.html's time control in Debian's Chromium (headless, playwright-core):
// netsim runs a scenario (fork.json) and writes its report; the page is opened with every request
// blocked and recorded, then the control is moved, stepped and played, and each move must change
// what the page shows, with no page error and no request attempted. Screenshots go to --out.
//
//   node report_e2e.mjs --netsim PATH --scenario FILE --out DIR [--chromium PATH]
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    netsim: { type: 'string' },
    scenario: { type: 'string' },
    out: { type: 'string', default: join(process.cwd(), 'report-e2e-output') },
    chromium: { type: 'string', default: process.env.CHROMIUM || '/usr/bin/chromium' },
  },
});
if (!args.netsim || !args.scenario) {
  console.error('usage: node report_e2e.mjs --netsim PATH --scenario FILE [--out DIR] [--chromium PATH]');
  process.exit(2);
}
const { chromium } = await import('playwright-core');

function fail(message) {
  throw new Error(message);
}

mkdirSync(args.out, { recursive: true });
execFileSync(args.netsim, [args.scenario, '--quiet', '--out', args.out], { stdio: 'inherit' });
const html = readFileSync(join(args.out, 'report.html'), 'utf8');
const trace = readFileSync(join(args.out, 'trace.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const partitionAt = trace.find((e) => e.event === 'partition')?.t_us;
const healAt = trace.find((e) => e.event === 'heal')?.t_us;
if (partitionAt === undefined || healAt === undefined) fail('the scenario must partition and heal');

const browser = await chromium.launch({
  executablePath: args.chromium,
  headless: true,
  args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--disable-component-update',
    '--disable-sync', '--no-first-run'],
});
try {
  const context = await browser.newContext({ viewport: { width: 1200, height: 1000 } });
  const attempted = [];
  // Nothing may leave the file: every request is recorded and refused.
  await context.route('**/*', (route) => {
    attempted.push(route.request().url());
    route.abort();
  });
  const page = await context.newPage();
  page.on('request', (request) => attempted.push(request.url()));
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => { if (message.type() === 'error') pageErrors.push(message.text()); });
  await page.setContent(html, { waitUntil: 'load' });

  const view = () => page.evaluate(() => ['tv-now', 'tv-status', 'tv-faults', 'tv-nodes', 'tv-net', 'tv-tree-all',
    'tv-tree-node'].map((id) => document.getElementById(id).innerHTML).join('\n'));
  const text = (id) => page.locator('#' + id).innerText();
  const slider = page.locator('#tv-time');
  const at = async (t) => { await slider.fill(String(t)); };

  const end = await view();
  if (!/Blocks mined: [1-9]/.test(await text('tv-status'))) fail('at the end blocks were mined');
  if (!/No partition/.test(await text('tv-faults'))) fail('the partition is healed at the end');

  await at(0);
  const start = await view();
  if (start === end) fail('moving the control to the start changed nothing');
  if (!/Blocks mined: 0/.test(await text('tv-status'))) fail('no block is mined at the start');
  if (!/Only the genesis block/.test(await text('tv-tree-all'))) fail('the tree at the start is the genesis block');

  const during = Math.floor((partitionAt + healAt) / 2);
  await at(during);
  const split = await view();
  if (split === start || split === end) fail('the middle of the partition looks like the start or the end');
  if (!/Partition in force: \{/.test(await text('tv-faults'))) fail('the partition is not shown while in force');
  if ((await page.locator('#tv-tree-all g.stale').count()) === 0 && (await page.locator('#tv-tree-all g').count()) < 2)
    fail('the whole network\'s tree shows blocks during the partition');
  await page.locator('#tv').screenshot({ path: join(args.out, 'time-control.png') });

  // A node on the other side of the partition knew another tree.
  const mine = await page.locator('#tv-tree-node').innerHTML();
  const nodes = await page.locator('#tv-node option').count();
  let differs = false;
  for (let n = 1; n < nodes && !differs; ++n) {
    await page.selectOption('#tv-node', String(n));
    differs = (await page.locator('#tv-tree-node').innerHTML()) !== mine;
  }
  if (!differs) fail('every node knew the same tree during the partition');

  // Step forward and back move to the neighbouring events.
  const before = Number(await slider.inputValue());
  await page.click('#tv-fwd');
  const first = Number(await slider.inputValue());
  await page.click('#tv-fwd');
  const second = Number(await slider.inputValue());
  if (!(before < first && first < second)) fail(`step forward did not move on (${before}, ${first}, ${second})`);
  await page.click('#tv-back');
  if (Number(await slider.inputValue()) !== first) fail('step back did not return to the previous event');

  // Play runs the time on by itself; pause stops it.
  await page.click('#tv-start');
  await page.click('#tv-play');
  await page.waitForFunction(() => Number(document.getElementById('tv-time').value) > 0);
  await page.click('#tv-play');
  const paused = Number(await slider.inputValue());
  await page.waitForTimeout(300);
  if (Number(await slider.inputValue()) !== paused) fail('pause did not stop the time');

  await page.screenshot({ path: join(args.out, 'report.png'), fullPage: false });
  if (pageErrors.length) fail('page errors: ' + pageErrors.join('; '));
  if (attempted.length) fail('requests left the file: ' + attempted.join(', '));
  console.log(`report e2e: passed; screenshots in ${args.out}`);
} finally {
  await browser.close();
}
