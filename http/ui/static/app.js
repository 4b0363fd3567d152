// portolan's web page: search, the port map, and this host's and the
// organisation's state, all read from the JSON API under /v1/. The page
// polls while it is visible, so a lease or an assignment made elsewhere
// shows up within a few seconds.
import { $, clearToken, debounce, getJSON, h, num, portButton, replace, setToken, table, token } from './dom.js';
import { PortMap, axis } from './map.js';
import * as details from './details.js';
import { loadFleet } from './fleet.js';

const REFRESH_MS = 3000;
// Listing sockets with their owners walks /proc on the server: less often.
const SOCKETS_EVERY = 4;
// Rows shown in the listeners table; the map and search cover the rest.
const MAX_ROWS = 300;
const PORTISH = /^\d{1,5}(-\d{1,5})?(\/[a-z]+)?$/i;

const page = { sockets: [], leases: [], assignments: [], by: new Map(), seen: {} };
let map;

// ---- details -------------------------------------------------------------

let openCtl;
// open shows everything about a port, range or name in the details panel.
async function open(query, { focus = false, hash = true } = {}) {
  if (openCtl) openCtl.abort();
  const ctl = (openCtl = new AbortController());
  const panel = $('#details');
  panel.hidden = false;
  panel.setAttribute('aria-busy', 'true');
  try {
    const info = await getJSON('/v1/ports/' + encodeURIComponent(query), ctl.signal);
    details.render(panel, info, (p) => openPort(p, { focus: true }));
    if (info.ports) map.select(Number(String(info.ports).split('-')[0]));
    if (hash && location.hash !== '#' + info.query) history.replaceState(null, '', '#' + info.query);
    if (focus) $('#details-title').focus();
    return info;
  } catch (e) {
    if (e.name === 'AbortError') return null;
    replace(panel, h('h2', { id: 'details-title', tabindex: '-1' }, query), h('p', { class: 'error' }, e.message));
    return null;
  } finally {
    if (openCtl === ctl) panel.removeAttribute('aria-busy');
  }
}

function openPort(p, opts) {
  map.select(p);
  return open(String(p), opts);
}

// ---- search --------------------------------------------------------------

let searchCtl;
async function search(raw) {
  const q = raw.trim();
  if (searchCtl) searchCtl.abort();
  const status = $('#status'), list = $('#results');
  if (!q) {
    replace(list);
    status.textContent = '';
    return;
  }
  const ctl = (searchCtl = new AbortController());
  // A port or range: its own records lead (free-text search ranks words,
  // not numbers), and its details open at once.
  const direct = PORTISH.test(q) ? open(q) : Promise.resolve(null);
  try {
    const [info, res] = await Promise.all([direct, getJSON('/v1/search?q=' + encodeURIComponent(q) + '&limit=40', ctl.signal)]);
    if (ctl.signal.aborted) return;
    const rs = [], seen = new Set();
    for (const r of [...(info ? info.records : []), ...(res.results || [])]) {
      const k = r.name + '/' + r.protocol + '/' + r.ports + '/' + r.status;
      if (!seen.has(k)) { seen.add(k); rs.push(r); }
    }
    // The curated common uses (never IANA data) lead a word search: people
    // type "remote desktop" or "vite", which IANA does not list by port.
    const common = (res.common_uses || []).map((c) => ({ ...c, has_port: true, status: 'assigned', common: true }));
    if (info) rs.splice(info.records.length, 0, ...common);
    else rs.unshift(...common);
    replace(list, rs.map(result));
    status.textContent = rs.length
      ? num(rs.length) + (rs.length === 1 ? ' result' : ' results') + ' for “' + q + '”'
      : 'Nothing in the IANA registry or the common uses matches “' + q + '”';
  } catch (e) {
    if (e.name === 'AbortError') return;
    replace(list);
    status.textContent = e.message;
  }
}

function result(r) {
  const where = r.has_port ? String(r.ports) : '';
  const target = where ? where.split('-')[0] : r.name;
  return h('li', {},
    h('button', { type: 'button', class: 'result', onclick: () => (where ? openPort(Number(target), { focus: true }) : open(r.name, { focus: true })) },
      h('span', { class: 'r-port mono' }, where || '—', h('span', { class: 'r-proto' }, r.protocol && r.protocol !== 'any' ? '/' + r.protocol : '')),
      h('span', { class: 'r-name' }, r.name || r.status, r.common ? h('span', { class: 'badge muted' }, 'common use, not IANA') : r.status !== 'assigned' ? h('span', { class: 'badge muted' }, r.status) : null),
      h('span', { class: 'r-desc' }, (r.description || '').replace(/<br\s*\/?>/gi, ' '))));
}

// Arrow keys walk from the search box through the results.
function resultKeys(ev) {
  const items = [...document.querySelectorAll('#results .result')];
  if (!items.length || (ev.key !== 'ArrowDown' && ev.key !== 'ArrowUp')) return;
  const i = items.indexOf(document.activeElement);
  const next = ev.key === 'ArrowDown' ? Math.min(items.length - 1, i + 1) : i - 1;
  ev.preventDefault();
  if (next < 0) $('#q').focus();
  else items[next].focus();
}

// ---- panels --------------------------------------------------------------

// changed reports whether a source's JSON differs from the last render.
function changed(key, v) {
  const s = JSON.stringify(v);
  if (page.seen[key] === s) return false;
  page.seen[key] = s;
  return true;
}

// note shows a message in a panel; `code` in it becomes <code>.
function note(id, text) {
  replace($(id), h('p', { class: 'empty' }, text.split('`').map((part, i) => (i % 2 ? h('code', {}, part) : part))));
}

async function loadMap() {
  const m = await getJSON('/v1/map');
  if (!changed('map', { ...m, generated: 0 })) return;
  map.set(m);
  for (const k of ['listeners', 'leases', 'assignments']) $('#count-' + k).textContent = num((m[k] || []).length);
}

async function loadSockets() {
  try {
    page.sockets = await getJSON('/v1/sockets');
  } catch (e) {
    page.sockets = [];
    if (changed('sockets', e.message)) note('#listeners-body', e.message);
    return;
  }
  page.sockets.sort((a, b) => Number(a.local.split(':').pop()) - Number(b.local.split(':').pop()) || a.local.localeCompare(b.local));
  if (!changed('sockets', page.sockets)) return;
  index();
  $('#listeners-count').textContent = num(page.sockets.length);
  renderSockets();
}

// renderSockets shows the listeners that match the filter box, at most
// MAX_ROWS of them.
function renderSockets() {
  if (!page.sockets.length) return note('#listeners-body', 'Nothing listens on this host.');
  const f = $('#listeners-filter').value.trim().toLowerCase();
  const match = !f ? page.sockets : page.sockets.filter((s) => {
    const o = s.owner || {};
    return [s.local + '/' + s.protocol, o.name, o.user, String(o.pid || ''), (o.cmdline || []).join(' '), details.holderText(o.holder),
      s.exposure && s.exposure.exposed ? 'exposed' : ''].some((v) => (v || '').toLowerCase().includes(f));
  });
  if (!match.length) return note('#listeners-body', 'No listener matches “' + f + '”.');
  const shown = match.slice(0, MAX_ROWS);
  replace($('#listeners-body'), table('Listening sockets on this host', ['Port', 'Address', 'Process', 'User'],
    shown.map((s) => details.socketRow(s, openPort))),
  match.length > shown.length ? h('p', { class: 'sub' }, 'The first ' + num(shown.length) + ' of ' + num(match.length) +
    ' by port; filter by port or process for the others.') : null);
}

async function loadLeases() {
  try {
    page.leases = await getJSON('/v1/leases');
  } catch (e) {
    page.leases = [];
    if (changed('leases', e.message)) note('#leases-body', e.message);
    return;
  }
  if (!changed('leases', page.leases)) return;
  index();
  $('#leases-count').textContent = num(page.leases.length);
  if (!page.leases.length) return note('#leases-body', 'No live leases. `portolan lease` or POST /v1/leases grants one.');
  replace($('#leases-body'), table('Live leases', ['Port', 'Proto', 'Label', 'Owner PID', 'Expires', 'By'],
    page.leases.map((l) => details.leaseRow(l, openPort))));
}

async function loadAssignments() {
  let rows;
  try {
    rows = await getJSON('/v1/assignments?conflicts=1');
  } catch (e) {
    if (e.status !== 501) {
      if (changed('assignments', e.message)) note('#assignments-body', e.message);
      return;
    }
    rows = (await getJSON('/v1/assignments')).map((a) => ({ assignment: a }));
  }
  if (!changed('assignments', rows)) return;
  page.assignments = rows.map((r) => r.assignment);
  index();
  const clashing = rows.filter((r) => r.conflicts && r.conflicts.length).length;
  $('#assignments-count').textContent = num(rows.length) + (clashing ? ' · ' + num(clashing) + ' with conflicts' : '');
  if (!rows.length) return note('#assignments-body', 'No assignments yet. `portolan assign PORT/PROTO NAME` or POST /v1/assignments makes one.');
  const head = ['Port', 'Name', 'Owner', 'Hosts', 'Note'];
  if (rows.some((r) => r.conflicts)) head.push('Conflicts');
  replace($('#assignments-body'), table('The organisation’s assignments', head,
    rows.map((r) => details.assignmentRow(r.assignment, r.conflicts, openPort))));
}

// loadNames shows this host's named ports, grouped by checkout.
async function loadNames() {
  let rows;
  try {
    rows = await getJSON('/v1/names');
  } catch (e) {
    if (changed('names', e.message)) note('#names-body', e.status === 501 ? 'This server keeps no named ports.' : e.message);
    return;
  }
  if (!changed('names', rows)) return;
  page.names = rows;
  index();
  $('#names-count').textContent = num(rows.length);
  if (!rows.length) return note('#names-body', 'No named ports yet. `portolan port NAME` in a checkout names one.');
  rows.sort((a, b) => a.project.localeCompare(b.project) || a.worktree.localeCompare(b.worktree) || a.name.localeCompare(b.name));
  replace($('#names-body'), table('Named ports of this host', ['Port', 'Name', 'Worktree', 'Project'],
    rows.map((r) => [portButton(r.port, String(r.port), openPort), h('strong', { class: 'nowrap' }, r.name),
      h('span', { class: 'mono' }, r.worktree), r.project === r.worktree ? '' : h('span', { class: 'mono' }, r.project)])));
}

// showFleet fills the fleet panel, shown only when the server keeps a fleet.
async function showFleet() {
  let f;
  try {
    f = await loadFleet(openPort);
  } catch (e) {
    $('#fleet').hidden = false;
    if (changed('fleet', e.message)) note('#fleet-body', e.message);
    return;
  }
  $('#fleet').hidden = !f;
  if (!f) return;
  $('#fleet-count').textContent = f.count;
  replace($('#fleet-body'), f.body);
}

// index maps ports to the page's facts for the map's tooltip.
function index() {
  const by = new Map();
  const add = (p, s) => (by.get(p) || by.set(p, []).get(p)).push(s);
  for (const a of page.assignments) add(a.port, 'assigned: ' + a.name + '/' + a.protocol + (a.owner ? ' (' + a.owner + ')' : ''));
  for (const l of page.leases) add(l.port, 'leased' + (l.label ? ': ' + l.label : '') + (l.pid ? ' (pid ' + l.pid + ')' : ''));
  for (const n of page.names || []) add(n.port, 'named: ' + n.name + ' in ' + n.worktree);
  for (const s of page.sockets) {
    const p = Number(s.local.split(':').pop());
    const held = s.owner ? details.holderText(s.owner.holder) : '';
    const who = s.owner ? s.owner.name + ' (pid ' + s.owner.pid + (held ? ', ' + held : '') + ')' : 'owner unknown';
    const line = 'listening: ' + who + ' ' + s.protocol + (s.exposure && s.exposure.exposed ? ' — exposed: ' + s.exposure.reach : '');
    if (!(by.get(p) || []).includes(line)) add(p, line);
  }
  page.by = by;
}

async function loadRanges() {
  const r = await getJSON('/v1/ranges');
  const host = r.host;
  const parts = [];
  if (host.ephemeral && host.ephemeral !== '0') parts.push(h('span', {}, 'ephemeral ', h('b', { class: 'mono' }, host.ephemeral)));
  if (host.unprivileged_start !== undefined) parts.push(h('span', {}, 'unprivileged from ', h('b', { class: 'mono' }, String(host.unprivileged_start))));
  if (host.reserved && host.reserved.length) parts.push(h('span', {}, 'reserved ', h('b', { class: 'mono' }, host.reserved.join(', '))));
  replace($('#hostline'), h('span', { class: 'host-label' }, 'This host'), parts, host.defaults ? h('span', { class: 'badge muted' }, 'defaults, not read from the OS') : null);
}

let refreshing = false, rounds = 0;
async function refresh(all = false) {
  if (refreshing) return;
  refreshing = true;
  const sockets = all || rounds++ % SOCKETS_EVERY === 0;
  try {
    const drawn = loadMap().then(() => replace($('#map-error')), (e) => note('#map-error', 'The port map did not load: ' + e.message));
    // On the first round the map goes first: the other lists (the server's
    // socket scan above all) would compete with it for the same CPU.
    if (rounds === 1) await drawn;
    await Promise.allSettled([drawn, sockets ? loadSockets() : null, loadLeases(), loadAssignments(), loadNames(), sockets ? showFleet() : null]);
    $('#updated').textContent = 'Updated ' + new Date().toLocaleTimeString();
    $('#updated').dateTime = new Date().toISOString();
  } finally {
    refreshing = false;
  }
}

// ---- sign-in ---------------------------------------------------------------

// auth asks for a token when the server refuses a read (a teammate on
// another host, or a server reached by name), keeps it in this tab's
// sessionStorage and reads every panel again with it. Signing out reloads
// the page, so nothing read with the token stays on it.
function auth() {
  const form = $('#signin'), signed = $('#signed-in'), msg = $('#signin-msg');
  if (token()) signed.hidden = false;
  window.addEventListener('portolan:unauthorized', (ev) => {
    if (!form.hidden) return;
    if (token()) {
      // The token this tab holds was refused: forget it, say so.
      clearToken();
      msg.textContent = 'The token was not accepted: ' + ev.detail;
    } else {
      msg.textContent = ev.detail;
    }
    signed.hidden = true;
    form.hidden = false;
    $('#token').focus();
  });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const t = $('#token').value.trim();
    if (!t) return;
    setToken(t);
    $('#token').value = '';
    form.hidden = true;
    signed.hidden = false;
    page.seen = {};
    refresh(true).then(() => loadRanges().catch(() => {}));
    const q = decodeURIComponent(location.hash.slice(1));
    if (q) open(q, { hash: false });
  });
  $('#signout').addEventListener('click', () => {
    clearToken();
    location.reload();
  });
}

// ---- start ---------------------------------------------------------------

function start() {
  auth();
  map = new PortMap($('#map'), {
    // On one column the details sit above the map: a tap there scrolls up
    // to them. The keyboard stays on the map, and so does the view.
    onOpen: (p, byPointer) => open(String(p)).then((info) => {
      if (info && byPointer && matchMedia('(max-width: 980px)').matches) {
        const smooth = !matchMedia('(prefers-reduced-motion: reduce)').matches;
        $('#details').scrollIntoView({ behavior: smooth ? 'smooth' : 'auto', block: 'start' });
      }
    }),
    annotate: (p) => page.by.get(p) || [],
    lookup: (p) => getJSON('/v1/ports/' + p).then((i) => {
      const r = i.records.find((x) => x.status === 'assigned' && x.name);
      return r ? r.name : '';
    }),
    readout: $('#map-readout'),
  });
  axis($('#map-axis'));

  const q = $('#q');
  const run = debounce(() => search(q.value), 150);
  q.addEventListener('input', run);
  q.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') { q.value = ''; search(''); }
  });
  $('#search-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const first = $('#results .result');
    if (first) first.click();
    else if (q.value.trim()) open(q.value.trim(), { focus: true });
  });
  $('#search').addEventListener('keydown', resultKeys);
  $('#listeners-filter').addEventListener('input', debounce(renderSockets, 100));
  for (const b of document.querySelectorAll('[data-q]')) {
    b.addEventListener('click', () => { q.value = b.dataset.q; search(q.value); q.focus(); });
  }
  document.addEventListener('keydown', (ev) => {
    const t = ev.target;
    if (ev.key === '/' && !(t instanceof HTMLInputElement) && !(t instanceof HTMLTextAreaElement)) {
      ev.preventDefault();
      q.focus();
    }
  });
  for (const box of document.querySelectorAll('[data-layer]')) {
    box.addEventListener('change', () => map.setLayer(box.dataset.layer, box.checked));
  }
  // A link to /#443 shows port 443 and puts 443 in the search box, as if
  // it had been typed there.
  const fromHash = () => {
    const want = decodeURIComponent(location.hash.slice(1));
    if (!want) return;
    if (q.value.trim() !== want) q.value = want;
    open(want, { hash: false });
  };
  window.addEventListener('hashchange', fromHash);
  fromHash();

  refresh().then(() => loadRanges().catch(() => {}));
  setInterval(() => { if (document.visibilityState === 'visible') refresh(); }, REFRESH_MS);
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') refresh(true); });
}

start();
