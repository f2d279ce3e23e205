// The time control's script, inlined into report.html (nothing is fetched): it replays the
// embedded events up to the chosen moment and redraws every view of the Time section.
#include <string_view>

namespace yournet::sim {

std::string_view time_view_script() {
  return R"JS(
(function () {
  'use strict';
  const D = JSON.parse(document.getElementById('tv-data').textContent);
  const K = {tip: 0, accepted: 1, send: 2, deliver: 3, drop: 4, post: 5, crash: 6, restart: 7,
             join: 8, leave: 9, partition: 10, isolate: 11, heal: 12, set_link: 13};
  const $ = (id) => document.getElementById(id);
  const slider = $('tv-time'), play = $('tv-play'), pick = $('tv-node');
  const SVG = 'http://www.w3.org/2000/svg';
  const palette = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf',
                   '#bcbd22'];
  const times = Array.from(new Set(D.events.map((e) => e[0]).concat(D.blocks.map((b) => b[4]))))
                  .sort((a, b) => a - b);
  // A node that joins later is not there before its join.
  const joins = new Set(D.events.filter((e) => e[1] === K.join).map((e) => e[2]));
  for (let n = 0; n < D.followed; ++n) {
    const o = document.createElement('option');
    o.value = String(n);
    o.textContent = String(n);
    pick.appendChild(o);
  }
  const el = (tag, attrs, text) => {
    const e = document.createElementNS(SVG, tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const secs = (us) => (us / 1e6).toFixed(3) + ' s';
  const label = (b) => (b < 0 ? 'genesis' : D.blocks[b][0].slice(0, 8));

  // Everything the views show, as of time t.
  function stateAt(t) {
    const s = {life: new Map(), tip: new Map(), height: new Map(), known: new Set(),
               pool: new Map(), flight: new Map(), groups: null, isolated: new Set(),
               cut: new Map(), mined: []};
    const chosen = Number(pick.value || 0);
    for (const e of D.events) {
      if (e[0] > t) break;
      const [, k, a, b, c, d] = e;
      if (k === K.tip) { s.tip.set(a, b); s.height.set(a, c); }
      else if (k === K.accepted) { if (a === chosen) s.known.add(b); }
      else if (k === K.send || k === K.deliver || k === K.drop) {
        const key = a + '>' + b;
        s.flight.set(key, Math.max(0, (s.flight.get(key) || 0) + (k === K.send ? 1 : -1)));
      } else if (k === K.post) {
        if (!s.pool.has(a)) s.pool.set(a, new Set());
        s.pool.get(a).add(b);
      } else if (k === K.crash) s.life.set(a, 'crashed');
      else if (k === K.restart) {
        s.life.set(a, 'up');
        if (!b) { s.pool.delete(a); s.tip.delete(a); s.height.delete(a); }
      } else if (k === K.join) s.life.set(a, 'up');
      else if (k === K.leave) { s.life.set(a, 'gone'); s.pool.delete(a); }
      else if (k === K.partition) { s.groups = D.groups[a]; s.isolated.clear(); }
      else if (k === K.isolate) s.isolated.add(a);
      else if (k === K.heal) { s.groups = null; s.isolated.clear(); s.cut.clear(); }
      else if (k === K.set_link && c >= 0) {
        for (const key of d ? [a + '>' + b] : [a + '>' + b, b + '>' + a]) {
          if (c) s.cut.delete(key); else s.cut.set(key, true);
        }
      }
    }
    for (let i = 0; i < D.blocks.length; ++i) if (D.blocks[i][4] <= t) s.mined.push(i);
    return s;
  }
  const life = (s, n) => s.life.get(n) || (joins.has(n) ? 'waiting' : 'up');
  // Posts a node accepted that its main chain at t does not hold.
  function pending(s, n) {
    const pool = s.pool.get(n);
    if (!pool) return 0;
    const held = new Set();
    for (let b = s.tip.has(n) ? s.tip.get(n) : -1; b >= 0; b = D.blocks[b][1])
      for (const p of D.blocks[b][6]) held.add(p);
    let count = 0;
    for (const p of pool) if (!held.has(p)) ++count;
    return count;
  }
  function bandAt(t) {
    let last = null;
    for (const b of D.band) { if (b[0] > t) break; last = b; }
    return last;
  }

  function drawTree(box, blocks, tips, mark) {
    box.textContent = '';
    if (!blocks.length) {
      box.textContent = 'Only the genesis block.';
      return;
    }
    // The last 30 heights; x by height, the final main chain on the first row.
    const top = Math.max(...blocks.map((b) => D.blocks[b][2]));
    const low = Math.max(1, top - 29);
    const shown = blocks.filter((b) => D.blocks[b][2] >= low);
    const rows = new Map(), pos = new Map();
    const x = (h) => 20 + (h - low + 1) * 100;
    pos.set(-1, [20, 10]);
    for (const b of shown.filter((b) => D.blocks[b][5])) { pos.set(b, [x(D.blocks[b][2]), 10]); rows.set(D.blocks[b][2], 1); }
    for (const b of shown.filter((b) => !D.blocks[b][5])) {
      const h = D.blocks[b][2], r = rows.get(h) || 1;
      rows.set(h, r + 1);
      pos.set(b, [x(h), 10 + r * 46]);
    }
    let width = 0, height = 0;
    for (const [, p] of pos) { width = Math.max(width, p[0] + 100); height = Math.max(height, p[1] + 46); }
    const svg = el('svg', {width, height, class: 'tv-tree'});
    for (const b of shown) {
      const from = pos.get(D.blocks[b][1]), to = pos.get(b);
      if (from) svg.appendChild(el('line', {x1: from[0] + 76, y1: from[1] + 14, x2: to[0], y2: to[1] + 14, stroke: '#888'}));
    }
    for (const [b, p] of pos) {
      if (b === -1 && low > 1) continue;
      const g = el('g', {class: b >= 0 && !D.blocks[b][5] ? 'stale' : 'main'});
      const on = tips.get(b) || 0;
      g.appendChild(el('title', {}, b < 0 ? 'genesis' : D.blocks[b][0] + ' height ' + D.blocks[b][2] +
        ', mined by node ' + D.blocks[b][3] + ' at ' + secs(D.blocks[b][4]) + (on ? ', tip of ' + on + ' node(s)' : '')));
      g.appendChild(el('rect', {x: p[0], y: p[1], width: 76, height: 28, rx: 4,
        fill: b >= 0 && !D.blocks[b][5] ? '#b0413e' : '#2b7a3d',
        stroke: b === mark ? '#000' : 'none', 'stroke-width': 3}));
      g.appendChild(el('text', {x: p[0] + 38, y: p[1] + 18, fill: 'white', 'font-size': 11,
        'text-anchor': 'middle'}, label(b) + (b >= 0 ? ' n' + D.blocks[b][3] : '')));
      if (on) g.appendChild(el('text', {x: p[0] + 38, y: p[1] + 40, 'font-size': 10, 'text-anchor': 'middle'}, on + ' tip' + (on > 1 ? 's' : '')));
      svg.appendChild(g);
    }
    box.appendChild(svg);
  }

  function drawNet(s) {
    const box = $('tv-net');
    box.textContent = '';
    const n = D.followed, r = Math.max(60, n * 6), size = 2 * r + 60;
    const svg = el('svg', {width: size, height: size, class: 'tv-net'});
    const at = (i) => [size / 2 + r * Math.cos(2 * Math.PI * i / n - Math.PI / 2),
                       size / 2 + r * Math.sin(2 * Math.PI * i / n - Math.PI / 2)];
    for (const [key] of s.cut) {
      const [a, b] = key.split('>').map(Number);
      if (a >= n || b >= n) continue;
      const [x1, y1] = at(a), [x2, y2] = at(b);
      svg.appendChild(el('line', {x1, y1, x2, y2, stroke: '#d62728', 'stroke-dasharray': '5 3', class: 'cut'}));
    }
    for (const [key, count] of s.flight) {
      if (!count) continue;
      const [a, b] = key.split('>').map(Number);
      const [x1, y1] = at(a), [x2, y2] = at(b);
      const line = el('line', {x1, y1, x2, y2, stroke: '#1f77b4', 'stroke-width': Math.min(1 + count, 5), class: 'flight'});
      line.appendChild(el('title', {}, count + ' message(s) in flight ' + a + ' → ' + b));
      svg.appendChild(line);
    }
    const group = new Map();
    if (s.groups) s.groups.forEach((g, i) => g.forEach((m) => group.set(m, i)));
    for (let i = 0; i < n; ++i) {
      const [cx, cy] = at(i), state = life(s, i);
      const isolated = s.isolated.has(i) || (s.groups && !group.has(i));
      const fill = state !== 'up' ? '#ccc' : s.groups && group.has(i) ? palette[group.get(i) % 8] : '#2b7a3d';
      const g = el('g', {class: 'node ' + state});
      g.appendChild(el('title', {}, 'node ' + i + ': ' + state + (isolated ? ', isolated' : '') +
        (s.groups && group.has(i) ? ', partition group ' + (group.get(i) + 1) : '')));
      g.appendChild(el('circle', {cx, cy, r: 13, fill, stroke: isolated ? '#d62728' : '#333', 'stroke-width': isolated ? 3 : 1}));
      g.appendChild(el('text', {x: cx, y: cy + 4, 'text-anchor': 'middle', 'font-size': 11}, String(i)));
      svg.appendChild(g);
    }
    box.appendChild(svg);
  }

  function render() {
    const t = Number(slider.value);
    const s = stateAt(t);
    $('tv-now').textContent = ' t = ' + secs(t) + ' of ' + secs(D.end_us);
    const counts = {up: 0, crashed: 0, waiting: 0, gone: 0};
    for (let i = 0; i < D.nodes; ++i) counts[life(s, i)]++;
    const band = bandAt(t);
    let flying = 0;
    for (const [, c] of s.flight) flying += c;
    const hasMessages = D.events.some((e) => e[1] === K.send);
    $('tv-status').textContent = D.nodes + ' nodes: ' + counts.up + ' up, ' + counts.crashed +
      ' crashed, ' + counts.waiting + ' not joined yet, ' + counts.gone + ' gone. Blocks mined: ' +
      s.mined.length + '.' + (band ? ' Heights: lowest ' + band[1] + ', median ' + band[2] +
      ', highest ' + band[3] + '.' : '') + (hasMessages ? ' Messages in flight: ' + flying + '.' :
      ' Messages in flight: not in this trace (detail below full).') +
      (D.dropped ? ' The page holds the trace up to ' + secs(D.dropped_from_us) + ' (' +
      D.dropped + ' later events left out).' : '');
    const crashed = [];
    for (let i = 0; i < D.nodes; ++i) if (life(s, i) === 'crashed') crashed.push(i);
    const parts = [];
    parts.push(s.groups ? 'Partition in force: ' + s.groups.map((g) => '{' + g.join(', ') + '}').join(' | ') : 'No partition.');
    if (s.isolated.size) parts.push('Isolated: ' + [...s.isolated].join(', ') + '.');
    parts.push(s.cut.size ? 'Cut links: ' + [...s.cut.keys()].map((k) => k.replace('>', '→')).join(', ') + '.' : 'No cut link.');
    parts.push(crashed.length ? 'Crashed: ' + crashed.join(', ') + '.' : 'No node crashed.');
    $('tv-faults').textContent = parts.join(' ');

    const table = document.createElement('table');
    table.innerHTML = '<tr><th>node</th><th>state</th><th>tip</th><th>height</th><th>pending posts</th><th>in flight out</th></tr>';
    const tracesTips = D.events.some((e) => e[1] === K.tip);
    for (let i = 0; i < D.followed; ++i) {
      const row = table.insertRow();
      row.className = 'tv-node-row ' + life(s, i);
      let out = 0;
      for (const [key, c] of s.flight) if (key.startsWith(i + '>')) out += c;
      const cells = [String(i), life(s, i), tracesTips ? label(s.tip.has(i) ? s.tip.get(i) : -1) : '–',
                     tracesTips ? String(s.height.get(i) || 0) : '–', String(pending(s, i)), hasMessages ? String(out) : '–'];
      for (const c of cells) row.insertCell().textContent = c;
    }
    $('tv-nodes').textContent = '';
    $('tv-nodes').appendChild(table);
    if (D.nodes > D.followed) {
      const p = document.createElement('p');
      p.className = 'note';
      p.textContent = 'The first ' + D.followed + ' of ' + D.nodes + ' nodes are followed one by one; the counts and heights above cover all.';
      $('tv-nodes').appendChild(p);
    }
    drawNet(s);
    const tips = new Map();
    for (const [n, b] of s.tip) if (life(s, n) === 'up') tips.set(b, (tips.get(b) || 0) + 1);
    drawTree($('tv-tree-all'), s.mined, tips, -2);
    const chosen = Number(pick.value || 0);
    if (!D.events.some((e) => e[1] === K.accepted)) {
      $('tv-tree-node').textContent = 'This trace has no per-node acceptances (trace detail minimal).';
    } else {
      drawTree($('tv-tree-node'), [...s.known].filter((b) => D.blocks[b][4] <= t),
               new Map(), s.tip.has(chosen) ? s.tip.get(chosen) : -1);
    }
    const cursor = $('tip-cursor');
    if (cursor) {
      const x = Number(cursor.dataset.x0) + (Number(cursor.dataset.x1) - Number(cursor.dataset.x0)) * t / Number(cursor.dataset.tmax);
      cursor.setAttribute('x1', x.toFixed(1));
      cursor.setAttribute('x2', x.toFixed(1));
    }
  }

  let timer = null;
  function stop() { clearInterval(timer); timer = null; play.textContent = '▶ play'; }
  play.addEventListener('click', () => {
    if (timer) return stop();
    if (Number(slider.value) >= D.end_us) slider.value = '0';
    play.textContent = '❚❚ pause';
    timer = setInterval(() => {
      const next = Math.min(D.end_us, Number(slider.value) + Math.max(1, D.end_us / 200));
      slider.value = String(next);
      render();
      if (next >= D.end_us) stop();
    }, 80);
  });
  const jump = (forward) => {
    const t = Number(slider.value);
    let to = forward ? D.end_us : 0;
    for (const x of times) { if (forward && x > t) { to = x; break; } if (!forward && x < t) to = x; }
    slider.value = String(to);
    render();
  };
  $('tv-back').addEventListener('click', () => { stop(); jump(false); });
  $('tv-fwd').addEventListener('click', () => { stop(); jump(true); });
  $('tv-start').addEventListener('click', () => { stop(); slider.value = '0'; render(); });
  $('tv-end').addEventListener('click', () => { stop(); slider.value = String(D.end_us); render(); });
  slider.addEventListener('input', render);
  slider.addEventListener('change', render);
  pick.addEventListener('change', render);
  render();
})();
)JS";
}

}  // namespace yournet::sim
