// The cdx review page: map (Leaflet, image pixel space), paged task list, patch view with chips, verdicts.
// Everything comes from this run's own API; nothing is fetched from elsewhere.
'use strict';
(async function () {
  const $ = id => document.getElementById(id);
  const PAGE = 50;
  const state = { session: null, offset: 0, total: 0, rows: [], index: -1, current: null, features: {}, date: 'after' };

  async function api(path, options) {
    const response = await fetch(path, options);
    const body = response.headers.get('content-type')?.includes('json') ? await response.json() : null;
    if (!response.ok) throw new Error(body?.error ?? `${response.status} ${response.statusText}`);
    return body;
  }
  function post(path, body) {
    return api(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', [state.session.antiforgeryHeader]: state.session.antiforgery },
      body: JSON.stringify(body ?? {}),
    });
  }
  function say(text, ok) { $('message').textContent = text; $('message').className = ok ? 'ok' : ''; }
  const fmt = (v, d) => v === null || v === undefined ? '' : Number(v).toFixed(d);
  const esc = s => String(s ?? '').replace(/[&<>"]/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));

  const s = state.session = await api('/api/session');
  document.title = `cdx review · ${s.region.name} ${s.region.quarter}`;
  $('title').textContent = `cdx review · ${s.region.code} ${s.region.name} · ${s.region.quarter}`;
  if (s.warnings.length) say(s.warnings.join('\n'));
  for (const c of s.codes) $('f-class').add(new Option(`${c.code} ${c.name}`, c.code));
  $('f-class').add(new Option('unclassified', 'unclassified'));
  for (const p of s.priorities) $('f-priority').add(new Option(`${p.code} ${p.name}`, p.code));
  for (const c of s.counties) $('f-county').add(new Option(`${c.code} ${c.name} (${c.tasks})`, c.code));
  s.codes.forEach((c, i) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = `${i + 1} · ${c.code} ${c.name}`;
    b.onclick = () => judgeCode(i);
    $('codes').append(b);
  });

  // Map in image pixel space: x = column, y = -row; zoom 0 shows one image pixel per screen pixel.
  // Thousands of SVG paths make panning slow: a large run is drawn on one canvas instead.
  const map = L.map('map', { crs: L.CRS.Simple, minZoom: -s.maxLevel, maxZoom: 3, zoomSnap: 0.5, preferCanvas: s.total > 2000 });
  const imageBounds = L.latLngBounds([[-s.height, 0], [0, s.width]]);
  const tiles = date => L.tileLayer(`/api/tiles/${date}/{z}/{x}/{y}`, {
    tileSize: s.tileSize, zoomOffset: s.maxLevel, minNativeZoom: -s.maxLevel, maxNativeZoom: 0,
    minZoom: -s.maxLevel, maxZoom: 3, bounds: imageBounds, noWrap: true,
  });
  const dates = s.dates ?? { before: '', after: '' };
  const base = { [`after ${dates.after}`]: tiles('after'), [`before ${dates.before}`]: tiles('before') };
  base[`after ${dates.after}`].addTo(map);
  const overlays = {};
  const layerColours = ['#00e676', '#40c4ff', '#ff4081', '#ffd740'];
  const redLines = await api('/api/layers');
  s.layers.forEach((l, i) => {
    overlays[`${l.name} (${l.kind})`] = L.geoJSON({ type: 'FeatureCollection', features: redLines.features.filter(f => f.properties.layer === l.name) }, {
      interactive: false, style: { color: layerColours[i % layerColours.length], weight: 1, dashArray: '4 3', fillOpacity: 0.08 },
    }).addTo(map);
  });
  const priorityColour = { high: '#ff1744', medium: '#ff9100', low: '#ffea00' };
  const classColour = { construction: '#ff1744', earthwork: '#ff9100', pond: '#2979ff', road: '#ffea00', solar: '#651fff', vegetation: '#76ff03', pseudo: '#9e9e9e', unclassified: '#ffffff' };
  const verdictColour = { change: '#00c853', pseudo: '#9e9e9e', unsure: '#d500f9' };
  function style(f) {
    const selected = state.current && f.properties.jcbh === state.current.jcbh;
    const v = f.properties.verdict;
    const unjudged = $('colour').value === 'class' ? classColour[f.properties.bhlx] : priorityColour[f.properties.yxj];
    return {
      color: selected ? '#00e5ff' : v ? verdictColour[v] : unjudged ?? '#ffea00',
      weight: selected ? 3 : 2, fillOpacity: v ? 0.3 : 0.1, dashArray: v === 'pseudo' ? '4 4' : null,
    };
  }
  const patches = L.geoJSON(await api('/api/patches'), {
    style,
    onEachFeature: (f, layer) => {
      state.features[f.properties.jcbh] = layer;
      layer.bindTooltip(`${f.properties.jcbh} · ${f.properties.bhlx}`);
      layer.on('click', () => select(f.properties.jcbh));
    },
  }).addTo(map);
  overlays['patches (图斑)'] = patches;
  L.control.layers(base, overlays, { collapsed: false }).addTo(map);
  map.fitBounds(imageBounds);
  function toggleDate() {
    const [after, before] = Object.values(base);
    const [show, hide] = map.hasLayer(after) ? [before, after] : [after, before];
    map.removeLayer(hide); show.addTo(map);
    patches.bringToFront();
  }

  async function refreshProgress() {
    const p = await api('/api/progress');
    $('progress').innerHTML = `<span>${p.reviewed} / ${p.total} reviewed</span>` +
      p.provinces.map(x => `<span>${esc(x.province)} ${esc(x.name ?? '')}: ${x.reviewed} / ${x.total}</span>`).join('');
  }

  function query() {
    const q = new URLSearchParams({ offset: state.offset, limit: PAGE });
    for (const [key, id] of [['class', 'f-class'], ['priority', 'f-priority'], ['county', 'f-county'], ['verdict', 'f-verdict']])
      if ($(id).value) q.set(key, $(id).value);
    return q;
  }
  async function loadPage(selectIndex) {
    const page = await api('/api/tasks?' + query());
    state.total = page.total; state.rows = page.items;
    const tbody = $('tasks').tBodies[0];
    tbody.replaceChildren(...page.items.map((t, i) => {
      const tr = document.createElement('tr');
      tr.dataset.jcbh = t.jcbh;
      tr.innerHTML = rowHtml(t);
      tr.onclick = () => { state.index = i; select(t.jcbh); };
      return tr;
    }));
    $('page').textContent = page.total ? `${state.offset + 1}–${state.offset + page.items.length} of ${page.total}` : 'no task';
    if (selectIndex !== undefined && page.items.length) {
      state.index = Math.max(0, Math.min(selectIndex, page.items.length - 1));
      await select(page.items[state.index].jcbh);
    } else markSelected();
  }
  function rowHtml(t) {
    const overlaps = Object.entries(t.overlaps).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${fmt(v, 0)}`).join(', ');
    const v = t.verdict ? (t.verdict.kind === 'change' ? t.verdict.code : t.verdict.kind) : '';
    return `<td>${esc(t.jcbh)}</td><td>${esc(t.bhlx)}</td><td>${fmt(t.zxd, 2)}</td><td>${fmt(t.tbmj, 0)}</td><td>${fmt(t.mu, 2)}</td>` +
      `<td>${esc(t.yxjmc)}</td><td>${esc(t.xzqmc)}</td><td>${esc(overlaps)}</td><td class="v-${t.verdict?.kind ?? ''}">${esc(v)}</td>`;
  }
  function markSelected() {
    for (const tr of $('tasks').tBodies[0].rows) tr.classList.toggle('selected', tr.dataset.jcbh === state.current?.jcbh);
  }

  async function select(jcbh) {
    const t = await api('/api/tasks/' + encodeURIComponent(jcbh));
    const previous = state.current;
    state.current = t;
    // The address names the task: a link (or a reload) opens the page on it.
    history.replaceState(null, '', '#' + encodeURIComponent(t.jcbh));
    const i = state.rows.findIndex(r => r.jcbh === jcbh);
    if (i >= 0) state.index = i;
    show(t);
    markSelected();
    for (const id of [previous?.jcbh, jcbh]) if (id && state.features[id]) state.features[id].setStyle(style(state.features[id].feature));
    const [c0, r0, c1, r1] = t.bounds;
    const pad = Math.max(c1 - c0, r1 - r0, 32) * 0.6;
    map.fitBounds([[-(r1 + pad), c0 - pad], [-(r0 - pad), c1 + pad]], { maxZoom: 1 });
  }
  function show(t) {
    $('empty').hidden = true; $('detail').hidden = false;
    $('d-jcbh').textContent = `${t.jcbh} · ${t.bhlx} ${t.bhlxmc}`;
    $('chip-before').src = `/api/chips/${encodeURIComponent(t.jcbh)}/before`;
    $('chip-after').src = `/api/chips/${encodeURIComponent(t.jcbh)}/after`;
    $('cap-before').textContent = `before ${t.qsx}`; $('cap-after').textContent = `after ${t.hsx}`;
    const rows = [
      ['class (BHLX)', `${t.bhlx} ${t.bhlxmc}`], ['confidence (ZXD)', fmt(t.zxd, 3)], ['area (TBMJ)', `${fmt(t.tbmj, 2)} m² · ${fmt(t.mu, 3)} 亩`],
      ['priority (YXJ)', `${t.yxj} ${t.yxjmc}`], ['county (XZQDM)', `${t.xzqdm} ${t.xzqmc}`], ['lon/lat', t.jd === null ? '' : `${fmt(t.jd, 6)}, ${fmt(t.wd, 6)}`],
      ...Object.entries(t.overlaps).map(([k, v]) => [`overlap ${k}`, `${fmt(v, 2)} m²`]),
    ];
    $('fields').innerHTML = rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('');
    $('remark').value = t.verdict?.remark ?? '';
    $('current').textContent = t.verdict ? `verdict: ${t.verdict.kind}${t.verdict.kind === 'change' ? ' ' + t.verdict.code : ''} (${t.verdict.reviewedUtc})` : 'not reviewed';
  }

  async function judge(kind, code) {
    const t = state.current;
    if (!t) return;
    try {
      const updated = await post('/api/verdicts/' + encodeURIComponent(t.jcbh), { kind, code, remark: $('remark').value });
      const layer = state.features[t.jcbh];
      if (layer) { layer.feature.properties.verdict = updated.verdict?.kind ?? null; layer.setStyle(style(layer.feature)); }
      const i = state.rows.findIndex(r => r.jcbh === t.jcbh);
      if (i >= 0) { state.rows[i] = updated; $('tasks').tBodies[0].rows[i].innerHTML = rowHtml(updated); }
      state.current = updated; show(updated);
      say(`${t.jcbh}: ${updated.verdict ? updated.verdict.kind + (updated.verdict.kind === 'change' ? ' ' + updated.verdict.code : '') : 'cleared'}`, true);
      await refreshProgress();
      if (kind !== 'clear') await step(1);
    } catch (e) { say(`${t.jcbh}: ${e.message}`); }
  }
  function judgeCode(i) {
    const c = s.codes[i];
    if (c) judge(c.code === 'pseudo' ? 'pseudo' : 'change', c.code);
  }
  function accept() {
    const t = state.current;
    if (!t) return;
    if (t.bhlx === 'pseudo' || t.bhlx === 'unclassified') { say(`${t.jcbh}: the classifier gave no change class; press 1–${s.codes.length - 1} for the result code`); return; }
    judge('change', t.bhlx);
  }
  async function step(delta) {
    const i = state.index + delta;
    if (i >= 0 && i < state.rows.length) { state.index = i; await select(state.rows[i].jcbh); }
    else if (i >= state.rows.length && state.offset + state.rows.length < state.total) { state.offset += PAGE; await loadPage(0); }
    else if (i < 0 && state.offset > 0) { state.offset = Math.max(0, state.offset - PAGE); await loadPage(PAGE - 1); }
  }

  $('colour').onchange = () => patches.setStyle(style);
  $('accept').onclick = accept;
  $('reject').onclick = () => judge('pseudo');
  $('unsure').onclick = () => judge('unsure');
  $('clear').onclick = () => judge('clear');
  $('prev').onclick = () => { if (state.offset > 0) { state.offset = Math.max(0, state.offset - PAGE); loadPage(); } };
  $('next').onclick = () => { if (state.offset + PAGE < state.total) { state.offset += PAGE; loadPage(); } };
  for (const id of ['f-class', 'f-priority', 'f-county', 'f-verdict']) $(id).onchange = () => { state.offset = 0; state.index = -1; loadPage(); };
  $('train').onclick = async () => {
    say('training…', true);
    try {
      const r = await post('/api/train');
      say(`model ${r.model}: ${r.examples} labelled patches (${r.verdicts} verdicts). Next: ${r.next}`, true);
    } catch (e) { say('retrain: ' + e.message); }
  };
  document.addEventListener('keydown', e => {
    if (e.ctrlKey || e.metaKey || e.altKey || /^(TEXTAREA|INPUT|SELECT)$/.test(e.target.tagName)) return;
    const k = e.key;
    if (k === 'j') step(1);
    else if (k === 'k') step(-1);
    else if (k === 'a') accept();
    else if (k === 'r') judge('pseudo');
    else if (k === 'u') judge('unsure');
    else if (k === 'b') toggleDate();
    else if (k >= '1' && k <= '9') judgeCode(Number(k) - 1);
    else return;
    e.preventDefault();
  });

  await refreshProgress();
  await loadPage();
  const linked = decodeURIComponent(location.hash.slice(1));
  if (linked && state.features[linked]) await select(linked);
  document.body.dataset.ready = 'true';
})().catch(e => { document.getElementById('message').textContent = 'cdx review: ' + e.message; });
