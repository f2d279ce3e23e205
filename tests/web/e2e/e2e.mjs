// End-to-end test of the web app in Debian's Chromium (headless, driven by playwright-core):
// starts a chainnode and a webapp on free 127.0.0.1 ports, then as a user: imports a key made by
// chaintool, writes signed posts, sees them pending, mines, sees them in blocks marked verified,
// checks that a post with <script> shows as text, that a tampered post is rejected with the
// reason, the chain view, that a page of another origin (served on another port) can make neither
// the web app nor the node act (its fetches and form POST are refused with 403, the chain and pool
// are unchanged), and that stopping the node shows the error. Screenshots go to --out.
//
//   node e2e.mjs --chainnode PATH --webapp PATH --chaintool PATH --out DIR
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    chainnode: { type: 'string' },
    webapp: { type: 'string' },
    chaintool: { type: 'string' },
    out: { type: 'string', default: join(process.cwd(), 'web-e2e-output') },
    chromium: { type: 'string', default: process.env.CHROMIUM || '/usr/bin/chromium' },
  },
});
for (const name of ['chainnode', 'webapp', 'chaintool']) {
  if (!args[name]) {
    console.error(`usage: node e2e.mjs --chainnode PATH --webapp PATH --chaintool PATH [--out DIR]; --${name} is missing`);
    process.exit(2);
  }
}

let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch {
  console.error(`playwright-core is not installed: run "npm ci" in ${here} (bash .ci/install-deps does)`);
  process.exit(1);
}

const WAIT = 8000;  // the longest any one expectation may take
const children = [];
let browser = null;

function fail(message) {
  throw new Error(message);
}

// Starts a program and resolves with the port it reports in its log line matching `pattern`.
function startServer(path, argv, pattern) {
  return new Promise((resolve, reject) => {
    const child = spawn(path, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let log = '';
    const timer = setTimeout(() => reject(new Error(`${path} did not start in time; its log:\n${log}`)), WAIT);
    const onData = (chunk) => {
      log += chunk;
      const match = log.match(pattern);
      if (match) {
        clearTimeout(timer);
        resolve({ child, port: Number(match[1]), log: () => log });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${path} exited with ${code} before it listened; its log:\n${log}`));
    });
    child.on('error', reject);
  });
}

// Stops a program with SIGTERM; resolves with its exit code (0 when it stopped cleanly; a
// sanitizer's report makes it non-zero).
function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

// The integers of a JSON text (outside strings): the page writes every number as a float, so
// vectors holding integers are not for it.
function hasInteger(jsonText) {
  const withoutStrings = jsonText.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  return (withoutStrings.match(/-?\d[\d.eE+-]*/g) || []).some((n) => !/[.eE]/.test(n));
}

async function main() {
  mkdirSync(args.out, { recursive: true });
  const node = await startServer(args.chainnode, ['--port', '0', '--difficulty', '1'],
    /listening on http:\/\/127\.0\.0\.1:(\d+)\//);
  const nodeUrl = `http://127.0.0.1:${node.port}`;
  const web = await startServer(args.webapp, ['--port', '0', '--node', nodeUrl, '--timeout', '2'],
    /serving http:\/\/127\.0\.0\.1:(\d+)\//);
  const appUrl = `http://127.0.0.1:${web.port}/`;

  browser = await chromium.launch({
    executablePath: args.chromium,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--disable-component-update',
      '--disable-sync', '--no-first-run'],
  });
  const context = await browser.newContext({ viewport: { width: 1100, height: 1000 } });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT);
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    // Failed fetches (the node stopped, a rejected post) are logged by Chromium itself; that is expected.
    if (message.type() === 'error' && !/Failed to load resource/.test(message.text())) pageErrors.push(message.text());
  });

  await page.goto(appUrl);
  await page.waitForSelector('body[data-ready=true]');
  await page.waitForFunction(() => document.getElementById('node-dot').classList.contains('up'));
  const firstKey = await page.textContent('#identity-status');
  if (!/Your public key: [0-9a-f]{64}$/.test(firstKey)) fail(`no key was made in the browser: "${firstKey}"`);

  // The page's canonical JSON against the core's vectors (those without integers).
  const vectors = readFileSync(join(here, '..', '..', 'data', 'canonical_json.jsonl'), 'utf8')
    .split('\n').filter(Boolean).map((line) => JSON.parse(line)).filter((v) => !hasInteger(v.canonical));
  if (vectors.length < 5) fail(`only ${vectors.length} float-only canonical vectors: the check would prove little`);
  for (const vector of vectors) {
    const got = await page.evaluate((input) => window.yournet.canonical(JSON.parse(input)), vector.input);
    if (got !== vector.canonical) fail(`canonical(${vector.input}) is ${got}, the core writes ${vector.canonical}`);
  }

  // Import an identity made by chaintool: the page derives the same public key.
  const key = JSON.parse(execFileSync(args.chaintool, ['keygen'], { encoding: 'utf8' }));
  await page.click('#identity summary');
  await page.fill('#identity-import-text', JSON.stringify(key));
  await page.click('#identity-import');
  await page.waitForFunction((pub) => document.getElementById('identity-status').textContent.endsWith(pub), key.public_key);
  const stored = await page.evaluate(() => JSON.parse(localStorage.getItem('yournet.identity')));
  if (stored.private_key !== key.private_key) fail('the imported key is not the one kept in the browser');

  const feedItem = (text) => page.locator('#feed li.post', { has: page.locator('p.content', { hasText: text }) });

  // A signed post, pending, marked verified by the web app's check of the node's data.
  await page.fill('#post-author', 'alice');
  await page.fill('#post-content', 'hello from the browser');
  await page.click('#post-submit');
  await page.waitForFunction(() => /Posted \(signed\)/.test(document.getElementById('post-message').textContent));
  const hello = feedItem('hello from the browser');
  await hello.locator('.badge.pending').waitFor();
  if ((await hello.getAttribute('data-signature')) !== 'verified') fail('the pending signed post is not marked verified');

  // A post full of markup and awkward characters shows as the very text that was written.
  const hostile = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> "quoted" \\ é 😀\ttab';
  await page.fill('#post-content', hostile);
  await page.click('#post-submit');
  const hostileItem = page.locator('#feed li.post', { has: page.locator('p.content', { hasText: '<script>window.__pwned' }) });
  await hostileItem.waitFor();
  const shown = await hostileItem.locator('p.content').textContent();
  if (shown !== hostile) fail(`the post shows as ${JSON.stringify(shown)}, not as written`);
  if (await page.locator('#feed script, #feed img').count()) fail('user text became elements in the feed');
  if (await page.evaluate(() => window.__pwned !== undefined)) fail('user text ran as script');
  if ((await hostileItem.getAttribute('data-signature')) !== 'verified') fail('the signed post with markup is not verified');

  // A post altered after signing (here on its way out) is refused by the node, which says why.
  await page.route('**/api/new_transaction', (route) => {
    const body = route.request().postData().replace('tampered? no', 'tampered? yes');
    route.continue({ postData: body });
  });
  await page.fill('#post-content', 'tampered? no');
  await page.click('#post-submit');
  await page.waitForFunction(() => /rejected the post: .*bad_signature/.test(document.getElementById('post-message').textContent));
  await page.unroute('**/api/new_transaction');

  // Mine: both posts move into block #1, still verified.
  await page.click('#mine-button');
  await page.waitForFunction(() => /Block #1 is mined\./.test(document.getElementById('action-message').textContent));
  for (const item of [hello, hostileItem]) {
    await item.locator('.badge.block', { hasText: 'block #1' }).waitFor();
    if ((await item.getAttribute('data-signature')) !== 'verified') fail('a mined signed post is not marked verified');
  }
  if (await page.locator('#feed .badge.pending').count()) fail('a post is still marked pending after mining');

  // A post sent straight to the node, unsigned, appears without a reload (polling) and is marked so.
  const direct = await fetch(`${nodeUrl}/new_transaction`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ author: 'bob', content: 'sent with curl' }),
  });
  if (direct.status !== 201) fail(`the node refused bob's post: ${direct.status}`);
  const bob = feedItem('sent with curl');
  await bob.waitFor();
  if ((await bob.getAttribute('data-signature')) !== 'unsigned') fail('the unsigned post is not marked unsigned');
  const order = await page.locator('#feed li.post p.content').allTextContents();
  if (order[0] !== 'sent with curl') fail(`the feed is not newest first: ${JSON.stringify(order)}`);

  await page.screenshot({ path: join(args.out, 'feed.png'), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (overflow > 0) fail(`at a phone's width the page is ${overflow}px wider than the screen`);
  await page.screenshot({ path: join(args.out, 'feed-phone.png'), fullPage: true });
  await page.setViewportSize({ width: 1100, height: 1000 });

  // The chain view: genesis and block #1; block #1's detail (opened from the post's badge, as a
  // user would) lists its two posts, verified.
  await hello.locator('.badge.block').click();
  await page.waitForSelector('#block-detail h2:text("Block #1")');
  await page.waitForFunction(() => document.querySelectorAll('#chain-body tr').length === 2);
  const detailPosts = await page.locator('#block-detail li.post').count();
  if (detailPosts !== 2) fail(`block #1's detail shows ${detailPosts} posts, not 2`);
  const detailVerified = await page.locator('#block-detail li.post .badge.verified').count();
  if (detailVerified !== 2) fail(`block #1's detail marks ${detailVerified} posts verified, not 2`);
  await page.screenshot({ path: join(args.out, 'chain.png'), fullPage: true });

  // The node view: its status.
  await page.click('#tab-node');
  await page.waitForFunction(() => /height\s*1/.test(document.getElementById('status-list').textContent));

  // A page elsewhere (another port: another origin, the same site) tries to make the app and the
  // node act, as CSRF does: simple requests no preflight stops, a form POST, GETs of /mine.
  const stateOf = async () => Promise.all(['/chain', '/pending_tx'].map(
    async (route) => (await fetch(nodeUrl + route)).text()));
  const stateBefore = await stateOf();
  const evilServer = createServer((request, response) => {
    response.setHeader('Content-Type', 'text/html; charset=utf-8');
    response.end(`<!doctype html><body>
<iframe name="sink"></iframe>
<form id="forged" method="POST" action="${nodeUrl}/new_transaction" enctype="text/plain" target="sink">
<input name='{"author": "mallory", "content": "forged", "x": "' value='"}'></form>
<script>
(async () => {
  const post = JSON.stringify({ author: 'mallory', content: 'forged' });
  const simple = { method: 'POST', mode: 'no-cors', headers: { 'Content-Type': 'text/plain' }, body: post };
  await fetch('${appUrl}api/new_transaction', simple).catch(() => {});
  await fetch('${nodeUrl}/new_transaction', simple).catch(() => {});
  await fetch('${appUrl}api/mine', { mode: 'no-cors' }).catch(() => {});
  await fetch('${nodeUrl}/mine', { mode: 'no-cors' }).catch(() => {});
  document.querySelector('iframe').addEventListener('load', () => { document.title = 'done'; });
  document.getElementById('forged').submit();
})();
</script></body>`);
  });
  await new Promise((resolve) => evilServer.listen(0, '127.0.0.1', resolve));
  const evilUrl = `http://127.0.0.1:${evilServer.address().port}/`;
  const evil = await context.newPage();
  evil.setDefaultTimeout(WAIT);
  const forged = [];
  evil.on('response', (response) => {
    if (!response.url().startsWith(evilUrl)) forged.push(`${response.status()} ${response.url()}`);
  });
  await evil.goto(evilUrl);
  await evil.waitForFunction(() => document.title === 'done');
  await evil.close();
  evilServer.close();
  if (forged.length !== 5 || !forged.every((line) => line.startsWith('403 '))) {
    fail(`a page of another origin was not refused 5 times with 403: ${forged.join(' | ')}`);
  }
  const stateAfter = await stateOf();
  if (JSON.stringify(stateAfter) !== JSON.stringify(stateBefore)) {
    fail('a page of another origin changed the chain or the pool');
  }

  // Stopping the node: the page says so in plain words.
  await page.click('#tab-feed');
  await stop(node.child);
  await page.waitForFunction(() => !document.getElementById('banner').hidden &&
    /node is down or unreachable/.test(document.getElementById('banner').textContent));
  const banner = await page.textContent('#banner');
  if (!banner.includes(nodeUrl)) fail(`the error does not name the node: "${banner}"`);
  await page.screenshot({ path: join(args.out, 'node-down.png'), fullPage: true });

  if (pageErrors.length) fail(`the page reported errors: ${pageErrors.join(' | ')}`);
  await browser.close();
  browser = null;
  const webExit = await stop(web.child);
  if (webExit !== 0) fail(`webapp exited with ${webExit} on SIGTERM; its log:\n${web.log()}`);
  const nodeExit = await stop(node.child);
  if (nodeExit !== 0) fail(`chainnode exited with ${nodeExit} on SIGTERM; its log:\n${node.log()}`);
  console.log(`web e2e: passed; screenshots in ${args.out}`);
}

let status = 0;
try {
  await main();
} catch (error) {
  console.error('web e2e: FAILED:', error.message);
  status = 1;
} finally {
  if (browser) await browser.close().catch(() => {});
  await Promise.all(children.map(stop));
}
process.exit(status);
