// The fleet view: the hosts that report to this server, and a grid of
// ports by hosts in which each cell says what listens there, with the
// drift against the assignments marked in colour and in words.
import { ago, getJSON, h, portButton, table } from './dom.js';

// Bounds that keep the grid readable and the page fast.
const MAX_HOSTS = 24;
const MAX_PORTS = 200;

const DRIFT_TEXT = {
  unregistered: 'unregistered: no assignment covers it',
  foreign: 'foreign: another program than the assignment',
  exposed: 'exposed: assigned for loopback only',
  down: 'down: assigned here, nothing listens',
};

// loadFleet returns the panel's content, or null when this server keeps no
// fleet (the panel then stays hidden).
export async function loadFleet(openPort) {
  let hosts;
  try {
    hosts = await getJSON('/v1/hosts');
  } catch (e) {
    if (e.status === 501) return null;
    throw e;
  }
  if (!hosts.length) return { count: '0 hosts', body: h('p', { class: 'empty' }, 'No host reports here yet. Run ', h('code', {}, 'portolan agent --server URL'), ' on a host.') };
  const shown = hosts.slice(0, MAX_HOSTS);
  const [lists, drift] = await Promise.all([
    Promise.all(shown.map((x) => getJSON('/v1/hosts/' + encodeURIComponent(x.id) + '/listeners'))),
    getJSON('/v1/drift'),
  ]);
  const summary = table('Hosts of the fleet', ['Host', 'State', 'Last report', 'Listeners', 'Drift'], hosts.map((x) => [
    h('strong', {}, x.name || x.id),
    h('span', { class: 'badge host-' + x.state }, x.state),
    ago(x.last_seen),
    String(x.listeners),
    x.drift ? h('span', { class: 'badge drift' }, String(x.drift)) : '0',
  ]));
  // cells: port/proto -> host id -> {listener, drift[]}
  const rows = new Map();
  const cell = (port, proto, id) => {
    const key = port + '/' + proto;
    if (!rows.has(key)) rows.set(key, { port, proto, by: new Map() });
    const r = rows.get(key);
    if (!r.by.has(id)) r.by.set(id, { listeners: [], drift: [] });
    return r.by.get(id);
  };
  shown.forEach((x, i) => { for (const l of lists[i]) cell(l.port, l.protocol, x.id).listeners.push(l); });
  const ids = new Set(shown.map((x) => x.id));
  for (const d of drift) if (ids.has(d.host_id)) cell(d.port, d.protocol, d.host_id).drift.push(d);
  const ports = [...rows.values()].sort((a, b) => a.port - b.port || a.proto.localeCompare(b.proto)).slice(0, MAX_PORTS);
  const grid = table('Ports by host', ['Port', ...shown.map((x) => x.name || x.id)], ports.map((r) => [
    h('span', { class: 'nowrap' }, portButton(r.port, String(r.port), openPort), h('span', { class: 'r-proto' }, '/' + r.proto)),
    ...shown.map((x) => gridCell(r.by.get(x.id))),
  ]), 'fleet-grid');
  const more = [];
  if (hosts.length > shown.length) more.push(h('p', { class: 'empty' }, 'The grid shows ' + shown.length + ' of ' + hosts.length + ' hosts; ', h('code', {}, 'portolan fleet where PORT'), ' asks about all.'));
  if (rows.size > ports.length) more.push(h('p', { class: 'empty' }, 'The grid shows the first ' + ports.length + ' of ' + rows.size + ' ports.'));
  const drifting = hosts.reduce((n, x) => n + x.drift, 0);
  return { count: hosts.length + (hosts.length === 1 ? ' host' : ' hosts') + (drifting ? ' · ' + drifting + ' drift' : ''), body: [summary, grid, ...more] };
}

// gridCell is one host's cell of a port's row: the program, and the drift
// as a coloured badge with its words (colour is never the only sign).
function gridCell(c) {
  if (!c) return '';
  const kids = [];
  for (const l of c.listeners) {
    const prog = l.program.split('/').pop();
    kids.push(h('span', { class: 'fleet-prog mono', title: l.program + ' on ' + l.address + (l.reach ? ' (' + l.reach + ')' : '') }, prog));
  }
  for (const d of c.drift) kids.push(h('span', { class: 'badge drift drift-' + d.kind, title: d.detail }, DRIFT_TEXT[d.kind] || d.kind));
  return h('div', { class: 'fleet-cell' + (c.drift.length ? ' has-drift' : '') }, kids);
}
