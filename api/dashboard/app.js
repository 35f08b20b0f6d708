// Foreshadow dashboard: renders the API's /dashboard/live Server-Sent Events. Plain ES module, no
// build step. The token comes from the URL fragment (#token=…, never sent to the server or its logs)
// or the login form, and goes in an Authorization header, which EventSource cannot send — so the
// stream is read with fetch().

const $ = (sel) => document.querySelector(sel);
const SVG_NS = 'http://www.w3.org/2000/svg';
const CHARTS = [
  ['risk', 'failure probability', (v) => v.toFixed(2)],
  ['mem.utilization', 'memory', pct],
  ['disk.utilization', 'disk', pct],
  ['http.error_rate', 'error rate', (v) => `${(v * 100).toFixed(2)}%`],
  ['http.latency_p99_ms', 'latency p99', (v) => `${v.toFixed(0)} ms`],
  ['cpu.utilization', 'cpu', pct],
];

let token =
  new URLSearchParams(location.hash.slice(1)).get('token') || sessionStorage.getItem('foreshadow-token') || '';
let focus = new URLSearchParams(location.hash.slice(1)).get('host') || '';
let userChoseFocus = focus !== '';
let stream = null;
let last = null;
const dagVersions = new Map();

function pct(v) {
  return `${(v * 100).toFixed(1)}%`;
}

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('data-')) e.setAttribute(k, v);
    else if (k === 'title') e.title = v;
    else e[k] = v;
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

function svg(tag, attrs = {}) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

function ago(ts, now) {
  const s = Math.max(0, Math.round((now - ts) / 1000));
  return s < 60 ? `${s}s ago` : s < 3600 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
}

function clock(ts) {
  return new Date(ts).toISOString().slice(11, 19);
}

function setConn(state, text) {
  const c = $('#conn');
  c.dataset.state = state;
  c.textContent = text;
}

// ---- rendering ------------------------------------------------------------------------------------

// The fleet is the inventory: hosts only known from old risk records (no hosts-table row) are not drawn.
const inventory = (snap) => snap.fleet.filter((h) => h.state !== 'UNKNOWN');

function renderFleet(snap) {
  const byRegion = new Map();
  for (const h of inventory(snap)) {
    const r = h.region || '(unknown)';
    if (!byRegion.has(r)) byRegion.set(r, new Map());
    const zones = byRegion.get(r);
    const z = h.zone || '-';
    if (!zones.has(z)) zones.set(z, []);
    zones.get(z).push(h);
  }
  const root = $('#fleet');
  root.replaceChildren();
  for (const [region, zones] of [...byRegion].sort()) {
    const group = el('div', { class: 'region-group', 'data-region': region }, el('h3', {}, region));
    for (const [zone, hosts] of [...zones].sort()) {
      const row = el('div', { class: 'zone-row' }, el('span', { class: 'zone-label' }, zone.slice(-2)));
      for (const h of hosts) {
        const level = h.risk ? h.risk.level : 'NONE';
        const p = h.risk ? h.risk.pFail : null;
        const tile = el(
          'div',
          {
            class: `host-tile${h.host === focus ? ' selected' : ''}`,
            'data-host': h.host,
            'data-level': level,
            'data-state': h.state,
            title: `${h.host} · ${h.zone} · ${h.state} · risk ${p === null ? 'n/a' : p.toFixed(2)}${h.resources.length ? ` · runs ${h.resources.join(', ')}` : ''}${h.shadowsHosted.length ? ` · shadows ${h.shadowsHosted.join(', ')}` : ''}`,
          },
          h.state === 'DOWN' ? '✕' : h.shadowsHosted.length ? '◆' : '',
        );
        tile.addEventListener('click', () => {
          focus = h.host;
          userChoseFocus = true;
          connect();
        });
        row.append(tile);
      }
      group.append(row);
    }
    root.append(group);
  }
  const shadows = Object.values(snap.counts.shadowsByState).reduce((a, b) => a + b, 0);
  $('#counts').textContent =
    `${inventory(snap).length} hosts · ${shadows} shadows · ${snap.counts.events} failover events`;
}

function chart(points, band, isRisk) {
  const w = 300;
  const h = 90;
  const s = svg('svg', { viewBox: `0 0 ${w} ${h}`, preserveAspectRatio: 'none' });
  if (!points || points.length === 0) return s;
  const t0 = points[0].t;
  const t1 = Math.max(points[points.length - 1].t, t0 + 1);
  let lo = Math.min(...points.map((p) => p.v));
  let hi = Math.max(...points.map((p) => p.v));
  if (band) {
    lo = Math.min(lo, band.low);
    hi = Math.max(hi, band.high);
  }
  if (isRisk) {
    lo = 0;
    hi = Math.max(hi, 1);
  }
  if (hi - lo < 1e-9) hi = lo + 1;
  const x = (t) => ((t - t0) / (t1 - t0)) * w;
  const y = (v) => h - 4 - ((v - lo) / (hi - lo)) * (h - 8);
  if (band) {
    s.append(
      svg('rect', { class: 'band', x: 0, width: w, y: y(band.high), height: Math.max(1, y(band.low) - y(band.high)) }),
    );
    s.append(svg('line', { class: 'mid', x1: 0, x2: w, y1: y(band.mid), y2: y(band.mid) }));
  }
  const d = points.map((p, i) => `${i ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join('');
  s.append(svg('path', { class: `line${isRisk ? ' risk' : ''}`, d }));
  return s;
}

function renderHost(snap) {
  const f = snap.focus;
  const host = snap.fleet.find((h) => h.host === focus);
  $('#host-name').textContent = focus || '—';
  $('#host-meta').textContent = host
    ? `${host.region} / ${host.zone} · ${host.state} · risk ${host.risk ? `${host.risk.pFail.toFixed(2)} ${host.risk.level}${host.risk.rising ? ' ↑' : ''}${host.risk.deviating ? ' · deviating from baseline' : ''}` : 'n/a'} · band = baseline median ± 3σ (robust)`
    : '';
  const root = $('#host-charts');
  root.replaceChildren();
  if (!f) return;
  for (const [key, label, fmt] of CHARTS) {
    const points = key === 'risk' ? f.risk : f.metrics[key];
    // The latest value goes in the title: text inside the stretched SVG would be distorted.
    const latest = points && points.length > 0 ? ` · ${fmt(points[points.length - 1].v)}` : '';
    const box = el('div', { class: 'chart', 'data-metric': key }, el('div', { class: 'title' }, `${label}${latest}`));
    box.append(chart(points, key === 'risk' ? null : f.baseline[key], key === 'risk'));
    root.append(box);
  }
}

function renderShadows(snap) {
  const body = $('#shadows tbody');
  body.replaceChildren();
  for (const s of snap.shadows) {
    const lag = s.lagBytes === null && s.lagMs === null ? '—' : `${s.lagBytes ?? '?'} B / ${s.lagMs ?? '?'} ms`;
    body.append(
      el(
        'tr',
        { class: 'shadow-row', 'data-resource': s.resourceId, 'data-state': s.state },
        el('td', {}, s.resourceId),
        el('td', {}, `${s.primaryHost} → ${s.shadowHost || '…'}`),
        el(
          'td',
          {},
          el('span', { class: 'state', 'data-state': s.state }, s.state),
          // A recommendation of a manager in advise mode: nothing was carried out.
          s.advisory
            ? el('span', { class: 'advisory', title: 'advise mode: recorded, not carried out' }, 'advised')
            : '',
        ),
        el('td', {}, s.epoch),
        el('td', {}, lag),
        el('td', {}, s.tier),
        el('td', {}, ago(s.updatedAt, snap.generatedAt)),
      ),
    );
  }
  $('#no-shadows').hidden = snap.shadows.length > 0;
}

// Hosts that report metrics but that `foreshadow inventory apply` never declared: they get a risk
// score but no shadow (no failure domain or capacity is known), so they are listed, not hidden.
const UNKNOWN_ROWS = 50;

function renderUnknownHosts(snap) {
  const hosts = snap.unknownHosts ?? [];
  const body = $('#unknown-hosts tbody');
  body.replaceChildren();
  // A long list is a configuration gap to fix, not to scroll through: the first rows and a count
  // (GET /inventory/unknown-hosts lists them all).
  for (const h of hosts.slice(0, UNKNOWN_ROWS)) {
    body.append(
      el(
        'tr',
        { class: 'unknown-host', 'data-host': h.host },
        el('td', {}, h.host),
        el('td', {}, `${h.region || '?'} / ${h.zone || '?'}`),
        el('td', {}, pct(h.pFail)),
        el('td', {}, ago(h.lastSeen, snap.generatedAt)),
      ),
    );
  }
  if (hosts.length > UNKNOWN_ROWS)
    body.append(
      el('tr', { class: 'unknown-more' }, el('td', { colspan: '4' }, `… and ${hosts.length - UNKNOWN_ROWS} more`)),
    );
  $('#no-unknown').hidden = hosts.length > 0;
}

function renderTimeline(snap) {
  const root = $('#timeline');
  root.replaceChildren();
  for (const e of snap.events) {
    const what = e.resourceId ? ` ${e.resourceId}` : '';
    const move = e.fromHost || e.toHost ? ` ${e.fromHost || '?'} → ${e.toHost || '?'}` : '';
    root.append(
      el(
        'li',
        { class: 'event', 'data-step': e.step, 'data-scope': e.scope },
        el('span', { class: 'when' }, clock(e.timestamp)),
        el('span', { class: 'step' }, `${e.scope} ${e.step}`),
        `${e.subject}${what}${move} · +${e.elapsedMs} ms${e.dryRun ? ' (drill)' : ''}${e.advisory ? ' (advisory)' : ''}${e.detail ? ` · ${e.detail}` : ''}`,
      ),
    );
  }
  $('#no-events').hidden = snap.events.length > 0;
}

function renderControl(snap) {
  const c = snap.control;
  const root = $('#control');
  root.replaceChildren();
  $('#paused-flag').hidden = !c.paused;
  root.append(
    c.paused && c.pause
      ? el(
          'div',
          { class: 'line paused', id: 'paused' },
          `Automation PAUSED since ${clock(c.pause.startsAt)} by ${c.pause.principal}${c.pause.reason ? `: ${c.pause.reason}` : ''} — no new automatic action; decisions are recorded as suppressed`,
        )
      : el('div', { class: 'line muted' }, 'Automation running (not paused).'),
  );
  for (const w of c.maintenance) {
    const what = w.scope === 'HOST' ? `host ${w.subject}` : `region ${w.subject}`;
    root.append(
      el(
        'div',
        { class: 'line window', 'data-window': w.controlId },
        `Maintenance ${what}: ${clock(w.startsAt)} → ${clock(w.endsAt)} by ${w.principal}: ${w.reason}`,
      ),
    );
  }
  for (const p of c.pendingApprovals) {
    root.append(
      el(
        'div',
        { class: 'line approval', 'data-region': p.region },
        `Region ${p.region} failover awaits approval (since ${clock(p.since)}): ${p.trigger}`,
      ),
    );
  }
  const advised = snap.shadows.filter((s) => s.advisory).length;
  if (advised > 0) root.append(el('div', { class: 'line muted' }, `${advised} recommended shadow(s) (advise mode)`));
}

function capBars(cap) {
  const box = el('div', { class: 'capbars' });
  const rows = [
    ['cpu', 'cpu', 1, pct],
    ['memory', 'memory', 1, pct],
    ['latency', 'latency', null, (v) => `${v.toFixed(0)} ms`],
    ['connections', 'conns', null, (v) => v.toFixed(0)],
  ];
  for (const [key, label, scale, fmt] of rows) {
    const m = cap.metrics[key];
    if (!m) continue;
    const max = scale ?? Math.max(m.p99 * 1.1, 1e-9);
    const bar = el('div', { class: 'bar' });
    const fill = el('span');
    fill.style.width = `${Math.min(100, (m.mean / max) * 100)}%`;
    const p95 = el('i', { title: 'p95' });
    p95.style.left = `${Math.min(100, (m.p95 / max) * 100)}%`;
    bar.append(fill, p95);
    box.append(
      el('div', { class: 'capbar' }, el('span', {}, label), bar, el('span', {}, `${fmt(m.mean)} · p95 ${fmt(m.p95)}`)),
    );
  }
  return box;
}

async function loadDag(region, version, holder) {
  dagVersions.set(region, version);
  try {
    const res = await fetch(`/dashboard/regions/${encodeURIComponent(region)}/dag.svg`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (!res.ok) return;
    // The SVG comes from our own renderer (escaped labels), so it is inserted as markup.
    holder.innerHTML = await res.text();
  } catch {
    dagVersions.delete(region);
  }
}

function renderRegions(snap) {
  const root = $('#regions');
  const seen = new Set();
  for (const r of snap.regions) {
    seen.add(r.region);
    let card = root.querySelector(`.region-card[data-region="${CSS.escape(r.region)}"]`);
    if (!card) {
      card = el(
        'div',
        { class: 'region-card', 'data-region': r.region },
        el('div', { class: 'summary' }),
        el('div', { class: 'dag' }),
      );
      root.append(card);
    }
    const summary = card.querySelector('.summary');
    const status = r.health ? r.health.status : 'UNKNOWN';
    summary.replaceChildren(
      el('span', { class: 'status', 'data-status': status }, status),
      el('h3', {}, r.region),
      el(
        'div',
        { class: 'muted' },
        `${r.hosts} hosts · ${r.activeShadows} active shadows` +
          (r.health ? ` · ${r.health.hostsAtRisk} at risk, ${r.health.hostsFailed} failed` : ''),
      ),
      el(
        'div',
        {},
        r.blueprint
          ? `blueprint v${r.blueprint.version} → ${r.blueprint.shadowRegion}: ${r.blueprint.services} services in ${r.blueprint.levelCount} launch levels`
          : 'no shadow blueprint yet',
      ),
      r.failover && r.failover.status !== 'NONE'
        ? el(
            'div',
            { class: 'failover-status', 'data-status': r.failover.status },
            `failover: ${r.failover.status}${r.failover.step ? ` (${r.failover.step})` : ''}${r.failover.advisory ? ' (advisory)' : ''}`,
          )
        : '',
      r.capacity
        ? el(
            'div',
            { class: 'capacity' },
            el(
              'div',
              { class: 'muted' },
              `capacity profile v${r.capacity.version}: ${r.capacity.hostCount} hosts, ${r.capacity.instanceCount} instances, ${r.capacity.serviceCount} services`,
            ),
            capBars(r.capacity),
          )
        : el('div', { class: 'muted' }, 'no capacity profile yet'),
    );
    const dagBox = card.querySelector('.dag');
    if (r.dag && dagVersions.get(r.region) !== r.dag.version) loadDag(r.region, r.dag.version, dagBox);
  }
  for (const card of root.querySelectorAll('.region-card')) if (!seen.has(card.dataset.region)) card.remove();
}

function render(snap) {
  last = snap;
  if (!userChoseFocus) {
    // Follow the riskiest live host until the user picks one.
    const risky = inventory(snap)
      .filter((h) => h.risk && h.state !== 'DOWN')
      .sort((a, b) => b.risk.pFail - a.risk.pFail)[0];
    if (risky && risky.host !== focus) {
      focus = risky.host;
      queueMicrotask(connect);
    }
  }
  $('#banner').textContent = snap.banner;
  renderFleet(snap);
  renderHost(snap);
  renderShadows(snap);
  renderTimeline(snap);
  renderUnknownHosts(snap);
  renderRegions(snap);
  renderControl(snap);
  document.body.dataset.updated = String(snap.generatedAt);
}

// ---- live stream ----------------------------------------------------------------------------------

async function readStream(controller) {
  const res = await fetch(`/dashboard/live${focus ? `?host=${encodeURIComponent(focus)}` : ''}`, {
    headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
    signal: controller.signal,
  });
  if (res.status === 401 || res.status === 403) {
    setConn('error', 'token refused');
    $('#login').hidden = false;
    return false;
  }
  if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
  $('#login').hidden = true;
  sessionStorage.setItem('foreshadow-token', token);
  setConn('live', 'live');
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return true;
    buf += value;
    let cut = buf.indexOf('\n\n');
    while (cut >= 0) {
      const block = buf.slice(0, cut);
      buf = buf.slice(cut + 2);
      cut = buf.indexOf('\n\n');
      const data = block
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n');
      if (data) render(JSON.parse(data));
    }
  }
}

function connect() {
  if (stream) stream.abort();
  const controller = new AbortController();
  stream = controller;
  if (!token) {
    setConn('error', 'token needed');
    $('#login').hidden = false;
    return;
  }
  (async () => {
    for (let delay = 500; !controller.signal.aborted; delay = Math.min(delay * 2, 10_000)) {
      try {
        const again = await readStream(controller);
        if (!again) return;
        delay = 500;
      } catch {
        if (controller.signal.aborted) return;
      }
      setConn('error', 'reconnecting…');
      await new Promise((r) => setTimeout(r, delay));
    }
  })();
}

$('#login').addEventListener('submit', (ev) => {
  ev.preventDefault();
  token = $('#token').value.trim();
  connect();
});

if (last === null) connect();
