// YourNet in the browser: posts, feed, mining, chain and node views over the web app's /api/.
// Every piece of text from a user or a node goes into the page as text (textContent, text nodes),
// never as HTML. Signing happens here with WebCrypto; the private key never leaves the browser.
'use strict';

const POLL_MS = 2000;
const IDENTITY_KEY = 'yournet.identity';
// PKCS#8 header of an Ed25519 private key; the 32-byte seed follows it.
const PKCS8_ED25519_PREFIX = '302e020100300506032b657004220420';

const $ = (id) => document.getElementById(id);

// ---------- small DOM helpers (text only) ----------

function el(tag, className, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function say(id, text, kind) {
  const node = $(id);
  node.textContent = text;
  node.classList.toggle('error', kind === 'error');
  node.classList.toggle('ok', kind === 'ok');
}

function shortHash(hash) {
  return typeof hash === 'string' && hash.length > 16 ? hash.slice(0, 12) + '…' : String(hash);
}

function formatTime(seconds) {
  if (typeof seconds !== 'number' || !isFinite(seconds)) return 'no time';
  if (seconds === 0) return 'the beginning (genesis)';
  return new Date(seconds * 1000).toLocaleString();
}

// ---------- canonical JSON: the bytes a signature covers ----------
// Python's json.dumps(x, sort_keys=True) with ensure_ascii, as the core's canonical() writes it.
// Numbers are written as Python floats: the only number this page signs is a post's timestamp,
// which the node parses back as a float.

function canonicalString(text) {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);  // UTF-16 units: astral characters come out as surrogate pairs
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x0c) out += '\\f';
    else if (c < 0x20 || c > 0x7e) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += text[i];
  }
  return out + '"';
}

function canonicalFloat(x) {
  if (!isFinite(x)) throw new Error('a number in a post must be finite');
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const magnitude = Math.abs(x);
  if (magnitude >= 1e16 || magnitude < 1e-4) {
    // Shortest round-trip digits, exponent with a sign and at least two digits: 1e+16, 1e-05.
    const [mantissa, exponent] = x.toExponential().split('e');
    const sign = exponent[0] === '-' ? '-' : '+';
    return mantissa + 'e' + sign + exponent.replace(/^[+-]/, '').padStart(2, '0');
  }
  const text = String(x);  // shortest round-trip digits, fixed notation in this range
  return text.includes('.') ? text : text + '.0';
}

function canonical(value) {
  if (value === null) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (typeof value === 'string') return canonicalString(value);
  if (typeof value === 'number') return canonicalFloat(value);
  if (Array.isArray(value)) return '[' + value.map(canonical).join(', ') + ']';
  // Keys in code point order: Python sorts str by code point, JS compares UTF-16 units; the two
  // orders differ only between astral characters and U+E000..U+FFFF, so compare code points.
  const keys = Object.keys(value).sort((a, b) => {
    const ca = Array.from(a, (ch) => ch.codePointAt(0));
    const cb = Array.from(b, (ch) => ch.codePointAt(0));
    for (let i = 0; i < Math.min(ca.length, cb.length); i++) if (ca[i] !== cb[i]) return ca[i] - cb[i];
    return ca.length - cb.length;
  });
  return '{' + keys.map((k) => canonicalString(k) + ': ' + canonical(value[k])).join(', ') + '}';
}

// ---------- identity: an Ed25519 key pair kept in this browser ----------

const hexOf = (bytes) => Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');
function bytesOf(hex) {
  if (typeof hex !== 'string' || !/^([0-9a-fA-F]{2})*$/.test(hex)) throw new Error('not hex');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}
function base64urlToHex(text) {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return hexOf(Uint8Array.from(binary, (ch) => ch.charCodeAt(0)));
}

let identity = null;  // {privateKey: CryptoKey, privateHex, publicHex}

function cryptoAvailable() {
  return Boolean(window.crypto && window.crypto.subtle && window.isSecureContext);
}

async function identityFromSeed(privateHex) {
  const seed = bytesOf(privateHex);
  if (seed.length !== 32) throw new Error('the private key must be 32 bytes (64 hex digits)');
  const pkcs8 = new Uint8Array([...bytesOf(PKCS8_ED25519_PREFIX), ...seed]);
  const privateKey = await crypto.subtle.importKey('pkcs8', pkcs8, { name: 'Ed25519' }, true, ['sign']);
  const jwk = await crypto.subtle.exportKey('jwk', privateKey);  // carries the public key as "x"
  return { privateKey, privateHex: privateHex.toLowerCase(), publicHex: base64urlToHex(jwk.x) };
}

async function newIdentity() {
  const pair = await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']);
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', pair.privateKey));
  return identityFromSeed(hexOf(pkcs8.slice(pkcs8.length - 32)));
}

function saveIdentity(id) {
  localStorage.setItem(IDENTITY_KEY, JSON.stringify({ private_key: id.privateHex, public_key: id.publicHex }));
}

function showIdentity() {
  if (!identity) {
    say('identity-status', cryptoAvailable()
      ? 'No key yet.'
      : 'This browser cannot sign here (WebCrypto needs a secure context such as http://127.0.0.1 or https). Posts go out unsigned.');
    return;
  }
  say('identity-status', 'Your public key: ' + identity.publicHex);
}

async function loadIdentity() {
  if (!cryptoAvailable()) {
    $('post-sign').checked = false;
    $('post-sign').disabled = true;
    showIdentity();
    return;
  }
  try {
    const stored = localStorage.getItem(IDENTITY_KEY);
    if (stored) {
      identity = await identityFromSeed(JSON.parse(stored).private_key);
    } else {
      identity = await newIdentity();
      saveIdentity(identity);
    }
  } catch (error) {
    identity = null;
    $('post-sign').checked = false;
    $('post-sign').disabled = true;
    say('identity-message', 'Signing is not available in this browser: ' + error.message, 'error');
  }
  showIdentity();
}

async function importIdentity(text) {
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error('that is not JSON; paste the exported {"private_key", "public_key"} object');
  }
  if (!parsed || typeof parsed.private_key !== 'string') throw new Error('the JSON has no "private_key" string');
  const imported = await identityFromSeed(parsed.private_key.trim()).catch((e) => {
    throw new Error('the private key is not a valid Ed25519 key (' + e.message + ')');
  });
  if (typeof parsed.public_key === 'string' && parsed.public_key.toLowerCase() !== imported.publicHex) {
    throw new Error('the public key does not belong to that private key');
  }
  return imported;
}

async function signPost(post) {
  const unsigned = { ...post, public_key: identity.publicHex };
  const message = new TextEncoder().encode(canonical(unsigned));
  const signature = await crypto.subtle.sign({ name: 'Ed25519' }, identity.privateKey, message);
  return { ...unsigned, signature: hexOf(signature) };
}

// ---------- talking to the web app's API ----------

class ApiError extends Error {
  constructor(status, message, kind) {
    super(message);
    this.status = status;
    this.kind = kind;  // "unreachable" when the node did not answer, "app" when the web app did not
  }
}

async function api(path, options = {}) {
  let response;
  try {
    response = await fetch('/api/' + path, { cache: 'no-store', ...options });
  } catch (error) {
    throw new ApiError(0, 'The web app itself is not answering (' + error.message + '). Is webapp still running?', 'app');
  }
  const isJson = (response.headers.get('content-type') || '').startsWith('application/json');
  const text = await response.text();
  let body = text;
  if (isJson) {
    try {
      body = JSON.parse(text);
    } catch {
      throw new ApiError(response.status, 'The answer to /' + path + ' is not valid JSON.', 'bad');
    }
  }
  if (!response.ok) {
    const message = body && typeof body === 'object' && typeof body.error === 'string' ? body.error : String(body);
    throw new ApiError(response.status, message, body && body.kind);
  }
  return body;
}

// ---------- state and rendering ----------

const state = { feed: null, feedKey: '', chain: null, chainTip: '', view: 'feed', selectedBlock: null, nodeDown: false };

function showBanner(text) {
  const banner = $('banner');
  banner.textContent = text;
  banner.hidden = !text;
}

function setNodeHealth(ok, summary) {
  $('node-dot').className = 'dot ' + (ok ? 'up' : 'down');
  $('node-summary').textContent = summary;
}

function reportFailure(error) {
  if (error.kind === 'unreachable') {
    showBanner('The node is down or unreachable. ' + error.message + '. The page retries every few seconds.');
    setNodeHealth(false, 'node down');
  } else if (error.kind === 'app') {
    showBanner(error.message);
    setNodeHealth(false, 'web app not answering');
  } else {
    showBanner('The node sent something this page cannot use: ' + error.message);
    setNodeHealth(false, 'node answer unusable');
  }
  state.nodeDown = true;
}

function signatureBadge(post) {
  if (post.signature === 'verified') {
    const mine = identity && post.public_key === identity.publicHex;
    const badge = el('span', 'badge verified', mine ? 'verified · you' : 'verified');
    badge.title = 'Signed by public key ' + post.public_key;
    return badge;
  }
  if (post.signature === 'invalid') {
    const badge = el('span', 'badge invalid', 'invalid signature');
    badge.title = 'This post claims a signature that does not verify: it was altered or forged.';
    return badge;
  }
  return el('span', 'badge unsigned', 'unsigned');
}

function renderFeed(feed) {
  const items = feed.posts.map((post) => {
    const where = post.block
      ? el('button', 'badge block link', 'block #' + post.block.index)
      : el('span', 'badge pending', 'pending');
    if (post.block) {
      where.type = 'button';
      where.title = post.block.hash;
      where.addEventListener('click', () => { showView('chain'); selectBlock(post.block.hash); });
    }
    const item = el('li', 'post' + (post.block ? '' : ' is-pending'),
      el('div', 'post-head', el('strong', 'author', post.author), el('time', 'time', formatTime(post.timestamp))),
      el('p', 'content', post.content),
      el('div', 'badges', where, signatureBadge(post)));
    item.dataset.status = post.block ? 'mined' : 'pending';
    item.dataset.signature = post.signature;
    return item;
  });
  $('feed').replaceChildren(...items);
  $('feed-empty').hidden = feed.posts.length > 0;
  $('feed-count').textContent = feed.total > feed.posts.length
    ? `(newest ${feed.posts.length} of ${feed.total})` : `(${feed.total})`;
}

function renderPeers(peers) {
  const list = $('peer-list');
  list.replaceChildren(...(peers.length ? peers.map((p) => el('li', null, p)) : [el('li', 'small', 'no peers')]));
}

async function refreshFeed(force) {
  const feed = await api('feed');
  state.nodeDown = false;
  showBanner('');
  setNodeHealth(true, `${feed.node} · height ${feed.height} · ${feed.pending} pending · ${feed.peers.length} peer(s)`);
  const key = feed.tip + '|' + feed.pending + '|' + feed.total;
  if (force || key !== state.feedKey) {
    state.feed = feed;
    state.feedKey = key;
    renderFeed(feed);
    renderPeers(feed.peers);
  }
  return feed;
}

function blockRow(block) {
  const row = el('tr', 'block-row',
    el('td', null, block.index),
    el('td', 'mono', shortHash(block.hash)),
    el('td', 'mono', shortHash(block.previous_hash)),
    el('td', null, block.nonce),
    el('td', null, formatTime(block.timestamp)),
    el('td', null, Array.isArray(block.transactions) ? block.transactions.length : '?'));
  row.tabIndex = 0;
  row.title = block.hash;
  row.dataset.hash = block.hash;
  const open = () => selectBlock(block.hash);
  row.addEventListener('click', open);
  row.addEventListener('keydown', (e) => { if (e.key === 'Enter') open(); });
  return row;
}

function renderChain(body) {
  const rows = body.blocks.map((entry) => blockRow(entry.block));
  $('chain-body').replaceChildren(...rows);
  $('chain-count').textContent = body.total > rows.length
    ? `(newest ${rows.length} of ${body.total})` : `(${body.total})`;
}

function field(list, name, value, mono) {
  list.append(el('dt', null, name), el('dd', mono ? 'mono' : null, value));
}

// The block as {block, verdicts}: from the node's GET /block/<hash> (any block it knows, even off
// the main chain), else from the newest blocks already loaded (a reference node has no such route).
async function loadBlock(hash) {
  try {
    return await api('block/' + hash);
  } catch (error) {
    const cached = state.chain && state.chain.blocks.find((e) => e.block.hash === hash);
    if (error.status === 404 && cached) return cached;
    throw error;
  }
}

function renderBlockDetail(entry) {
  const detail = $('block-detail');
  const block = entry.block;
  const transactions = Array.isArray(block.transactions) ? block.transactions : [];
  const fields = el('dl', 'fields');
  field(fields, 'index', block.index);
  field(fields, 'hash', block.hash, true);
  field(fields, 'previous hash', block.previous_hash, true);
  field(fields, 'nonce', block.nonce);
  field(fields, 'time', formatTime(block.timestamp));
  field(fields, 'posts', transactions.length);
  const posts = el('ol', 'feed compact', ...transactions.map((post, i) => {
    const p = post && typeof post === 'object' ? post : {};
    return el('li', 'post',
      el('div', 'post-head', el('strong', 'author', p.author), el('time', 'time', formatTime(p.timestamp))),
      el('p', 'content', p.content),
      el('div', 'badges', signatureBadge({ signature: entry.verdicts[i], public_key: p.public_key })));
  }));
  const close = el('button', 'secondary', 'Close');
  close.type = 'button';
  close.addEventListener('click', () => { state.selectedBlock = null; detail.hidden = true; });
  const raw = el('details', null, el('summary', null, 'Raw JSON'), el('pre', 'raw', JSON.stringify(block, null, 2)));
  detail.replaceChildren(el('h2', null, 'Block #' + block.index), fields, posts, raw, close);
  detail.hidden = false;
}

async function selectBlock(hash) {
  state.selectedBlock = hash;
  const detail = $('block-detail');
  try {
    renderBlockDetail(await loadBlock(hash));
  } catch (error) {
    if (error.kind === 'unreachable' || error.kind === 'app') reportFailure(error);
    detail.replaceChildren(el('p', 'message error', 'Cannot show block ' + shortHash(hash) + ': ' + error.message));
    detail.hidden = false;
  }
  detail.scrollIntoView({ block: 'nearest' });
}

async function refreshChain(force) {
  const tip = state.feed ? state.feed.tip : '';
  if (!force && state.chain && tip === state.chainTip) return;
  const body = await api('blocks');
  if (!body || !Array.isArray(body.blocks)) throw new ApiError(502, 'the blocks answer has no blocks array', 'bad');
  state.chain = body;
  state.chainTip = body.blocks.length ? body.blocks[0].block.hash : '';
  renderChain(body);
}

async function refreshStatus() {
  const list = $('status-list');
  try {
    const status = await api('status');
    const fields = el('dl', 'fields');
    for (const [name, value] of Object.entries(status)) {
      if (name === 'peers') continue;
      field(fields, name.replace(/_/g, ' '), typeof value === 'object' ? JSON.stringify(value) : value, name === 'tip');
    }
    list.replaceChildren(...fields.childNodes);
    $('status-message').textContent = '';
    if (Array.isArray(status.peers)) renderPeers(status.peers);
  } catch (error) {
    if (error.status === 404) {
      list.replaceChildren();
      $('status-message').textContent = 'This node has no /status route (a reference node?); height and peers come from its chain.';
    } else {
      throw error;
    }
  }
}

async function refresh(force) {
  try {
    await refreshFeed(force);
    if (state.view === 'chain') await refreshChain(force);
    if (state.view === 'node') await refreshStatus();
  } catch (error) {
    reportFailure(error);
  }
}

function showView(view) {
  state.view = view;
  for (const name of ['feed', 'chain', 'node']) {
    $('view-' + name).hidden = name !== view;
    $('tab-' + name).setAttribute('aria-selected', String(name === view));
  }
  refresh(false);
}

// ---------- actions ----------

async function onPost(event) {
  event.preventDefault();
  const author = $('post-author').value.trim();
  const content = $('post-content').value;
  if (!author || !content.trim()) {
    say('post-message', 'Write an author name and some content first.', 'error');
    return;
  }
  const button = $('post-submit');
  button.disabled = true;
  say('post-message', 'Sending…');
  try {
    let post = { author, content };
    if ($('post-sign').checked && identity) {
      // A signed post carries its own timestamp, because the signature covers it.
      post = await signPost({ ...post, timestamp: Date.now() / 1000 });
    }
    await api('new_transaction', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: canonical(post),
    });
    $('post-content').value = '';
    say('post-message', post.signature ? 'Posted (signed). It is pending until a block is mined.' : 'Posted (unsigned). It is pending until a block is mined.', 'ok');
    localStorage.setItem('yournet.author', author);
    await refresh(true);
  } catch (error) {
    if (error.kind === 'unreachable' || error.kind === 'app') {
      reportFailure(error);
      say('post-message', 'Not posted: the node is not reachable.', 'error');
    } else {
      say('post-message', 'The node rejected the post: ' + error.message, 'error');
    }
  } finally {
    button.disabled = false;
  }
}

async function onMine() {
  const button = $('mine-button');
  button.disabled = true;
  say('action-message', 'Mining… (this can take a while at a high difficulty)');
  try {
    const answer = await api('mine');
    say('action-message', 'The node says: ' + answer, 'ok');
    await refresh(true);
  } catch (error) {
    if (error.kind === 'unreachable' || error.kind === 'app') reportFailure(error);
    say('action-message', 'Mining failed: ' + error.message, 'error');
  } finally {
    button.disabled = false;
  }
}

async function onResync() {
  state.feedKey = '';
  state.chain = null;
  say('action-message', 'Resyncing…');
  await refresh(true);
  if (!state.nodeDown) say('action-message', 'Up to date with the node at ' + new Date().toLocaleTimeString() + '.', 'ok');
  else say('action-message', 'Resync failed: the node is not reachable.', 'error');
}

async function onRegisterPeer(event) {
  event.preventDefault();
  const address = $('peer-address').value.trim();
  if (!/^http:\/\/[^\s/]+:\d+\/?$/.test(address)) {
    say('peer-message', 'Give the other node as http://host:port.', 'error');
    return;
  }
  say('peer-message', 'Registering…');
  try {
    const answer = await api('register_with', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ node_address: address }),
    });
    say('peer-message', 'The node says: ' + answer, 'ok');
    await refresh(true);
  } catch (error) {
    say('peer-message', 'Registration failed: ' + error.message, 'error');
  }
}

function onExport() {
  if (!identity) {
    say('identity-message', 'There is no key to export.', 'error');
    return;
  }
  const text = JSON.stringify({ private_key: identity.privateHex, public_key: identity.publicHex }, null, 2) + '\n';
  const link = el('a');
  link.href = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  link.download = 'yournet-identity.json';
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  say('identity-message', 'Exported. Keep the file secret: it is your identity.', 'ok');
}

async function onImport() {
  try {
    identity = await importIdentity($('identity-import-text').value);
    saveIdentity(identity);
    $('identity-import-text').value = '';
    say('identity-message', 'Imported.', 'ok');
  } catch (error) {
    say('identity-message', 'Not imported: ' + error.message, 'error');
  }
  showIdentity();
}

async function onNewKey() {
  if (identity && !confirm('Replace your key? Posts signed with the old key stay verified, but you cannot sign as that key again unless you exported it.')) return;
  try {
    identity = await newIdentity();
    saveIdentity(identity);
    say('identity-message', 'New key made.', 'ok');
  } catch (error) {
    say('identity-message', 'Could not make a key: ' + error.message, 'error');
  }
  showIdentity();
}

// ---------- start ----------

async function start() {
  $('post-author').value = localStorage.getItem('yournet.author') || '';
  $('post-form').addEventListener('submit', onPost);
  $('mine-button').addEventListener('click', onMine);
  $('resync-button').addEventListener('click', onResync);
  $('peer-form').addEventListener('submit', onRegisterPeer);
  $('identity-export').addEventListener('click', onExport);
  $('identity-import').addEventListener('click', onImport);
  $('identity-new').addEventListener('click', onNewKey);
  for (const tab of document.querySelectorAll('[role=tab]')) {
    tab.addEventListener('click', () => showView(tab.dataset.view));
  }
  await loadIdentity();
  document.body.dataset.ready = 'true';
  await refresh(true);
  // Poll while the page is visible; a hidden tab catches up when shown again.
  let polling = false;
  setInterval(async () => {
    if (document.hidden || polling) return;
    polling = true;
    await refresh(false);
    polling = false;
  }, POLL_MS);
  document.addEventListener('visibilitychange', () => { if (!document.hidden) refresh(false); });
}

// For the end-to-end test: the signing bytes, checked against the core's vectors.
window.yournet = { canonical };

start();
