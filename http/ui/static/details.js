// The details panel: everything GET /v1/ports/{query} says about a port, a
// range or a service name. Search results and map cells both open it.
import { h, num, portButton, relative, replace, table, when } from './dom.js';

const STATUS_NOTE = {
  assigned: '', reserved: 'reserved', unassigned: 'unassigned', alias: 'alias',
  historic: 'historic', removed: 'removed', 'name-only': 'no port',
};

function badge(text, kind = '') {
  return h('span', { class: 'badge ' + kind }, text);
}

function person(p) {
  if (!p) return '';
  const label = p.name || p.id;
  if (p.uri && /^(mailto:|https?:)/.test(p.uri)) return h('a', { href: p.uri, rel: 'noreferrer' }, label);
  return label;
}

// ref renders an IANA cross-reference (rfc, uri, ...) as a safe link.
function ref(r) {
  if (r.type === 'rfc') {
    const n = r.data.replace(/^rfc/i, '');
    return h('a', { href: 'https://www.rfc-editor.org/rfc/rfc' + encodeURIComponent(n), rel: 'noreferrer' }, 'RFC ' + n);
  }
  if (r.type === 'uri' && /^https?:\/\//.test(r.data)) return h('a', { href: r.data, rel: 'noreferrer' }, r.data);
  return r.type + ': ' + r.data;
}

// clean removes the IANA registry's <br/> markers from descriptions.
const clean = (s) => (s || '').replace(/<br\s*\/?>/gi, ' ').replace(/\s+/g, ' ').trim();

// records lists IANA's records, one entry per service and port with its
// protocols together (ssh 22 is tcp, udp and sctp with one description).
function records(recs, open) {
  if (!recs.length) return h('p', { class: 'empty' }, 'IANA lists no service here.');
  const groups = new Map();
  for (const r of recs) {
    const k = [r.name, r.ports, r.status, clean(r.description)].join('|');
    const g = groups.get(k);
    if (g) g.protos.push(r.protocol || 'any');
    else groups.set(k, { r, protos: [r.protocol || 'any'] });
  }
  return h('ul', { class: 'records', 'aria-label': 'IANA records' }, [...groups.values()].map(({ r, protos }) => {
    const who = person(r.assignee || r.contact);
    const refs = (r.refs || []).filter((x) => x.type !== 'person');
    const meta = [
      who ? ['Assignee ', who] : null,
      r.registered ? 'registered ' + r.registered : null,
      r.updated ? 'updated ' + r.updated : null,
      refs.length ? refs.map((x, i) => [i ? ', ' : '', ref(x)]) : null,
    ].filter(Boolean);
    return h('li', { class: 'rec' },
      h('div', { class: 'rec-head' },
        h('span', { class: 'svc' }, r.name || r.status),
        r.has_port ? portButton(Number(String(r.ports).split('-')[0]), String(r.ports), open) : null,
        h('span', { class: 'protos' }, protos.join(' · ')),
        r.status !== 'assigned' ? badge(STATUS_NOTE[r.status] || r.status, 'muted') : null,
        r.alias_of ? h('span', { class: 'sub-inline' }, 'alias of ' + r.alias_of) : null),
      r.description ? h('p', { class: 'rec-desc' }, clean(r.description)) : null,
      r.note ? h('p', { class: 'sub' }, clean(r.note)) : null,
      r.unauthorized ? h('p', { class: 'sub warn' }, 'Unauthorized use reported: ' + clean(r.unauthorized)) : null,
      meta.length ? h('p', { class: 'rec-meta' }, meta.map((m, i) => [i ? ' · ' : '', m])) : null);
  }));
}

function commonUses(cus) {
  if (!cus.length) return null;
  return h('section', { class: 'block' },
    h('h3', {}, 'Common use ', badge('not IANA', 'muted')),
    h('ul', { class: 'plain' }, cus.map((c) => h('li', {},
      h('strong', {}, c.name), ' ', h('span', { class: 'mono' }, c.ports + (c.protocol && c.protocol !== 'any' ? '/' + c.protocol : '')),
      ' — ', c.description, c.source ? h('span', { class: 'sub' }, 'Source: ' + c.source) : null))));
}

export function socketRow(s, open) {
  const o = s.owner;
  const port = Number(String(s.local).split(':').pop());
  const held = o ? holderText(o.holder) : '';
  const stop = o && o.holder && o.holder.supervisor && o.holder.supervisor.stop;
  return [
    portButton(port, port + '/' + s.protocol, open),
    h('span', {}, h('span', { class: 'mono' }, s.local), exposureBadge(s.exposure)),
    o ? h('span', {}, h('strong', {}, o.name), h('span', { class: 'pid' }, ' pid ' + o.pid),
      held ? h('span', { class: 'sub holder', title: stop ? 'stop it with: ' + stop : held }, held) : null,
      o.cmdline && o.cmdline.length ? h('span', { class: 'sub mono cmd', title: o.cmdline.join(' ') }, o.cmdline.join(' ')) : null)
      : (s.pid_hidden ? 'hidden from this user' : '—'),
    o && o.user ? o.user : String(s.uid),
  ];
}

// holderText says what holds the socket, as `portolan ls` says it in its
// OWNER column: "nginx.service", "under pm2 pid 812 shop [feat-x] orphan".
export function holderText(hd) {
  if (!hd) return '';
  const parts = [];
  const pub = hd.published;
  if (pub && pub.container && pub.container.id) parts.push(containerText(pub.container), 'published to ' + pub.target);
  else if (pub) parts.push('container at ' + pub.target + ' (published by ' + pub.via + ')');
  else if (hd.container) parts.push(containerText(hd.container));
  else if (hd.pod) parts.push('pod ' + hd.pod.uid.slice(0, 12));
  else if (hd.unit) parts.push(hd.unit);
  const sup = hd.supervisor;
  if (sup && !['systemd', 'docker', 'podman'].includes(sup.kind)) parts.push('under ' + sup.kind + ' pid ' + sup.pid);
  if (sup && sup.kind === 'systemd' && !hd.unit) parts.push('under systemd');
  if (hd.project) parts.push(hd.project.worktree + (hd.project.branch ? ' [' + hd.project.branch + ']' : ''));
  if (hd.orphan) parts.push('orphan');
  return parts.join(' ');
}

function containerText(c) {
  if (!c.name) return 'container ' + c.engine + ' ' + c.id.slice(0, 12);
  return 'container ' + c.name + (c.compose ? ' (compose ' + c.compose.project + '/' + c.compose.service + ')' : '') +
    (c.restart ? ' restart ' + c.restart : '');
}

// exposureBadge marks a listener that other hosts can reach, in colour and
// in words (the colour alone says nothing to a screen reader): "exposed:
// all interfaces", "exposed: local network", with the firewall's verdict
// when it is not a plain allow. Beyond loopback but denied by the firewall
// is said quietly; loopback says nothing.
export function exposureBadge(e) {
  if (!e || e.reach === 'loopback') return null;
  const where = e.reach === 'all' ? (e.scope === 'wildcard' ? 'all interfaces' : 'public address') : 'local network';
  if (!e.exposed) return h('span', { class: 'badge muted exposure', title: e.rule || '' }, where + ', firewall denies');
  const fw = { unknown: ', firewall unknown', 'docker-dnat': ', Docker bypasses the firewall' }[e.firewall] || '';
  return h('span', { class: 'badge exposure exposed exposed-' + e.reach, title: e.rule || '' }, 'exposed: ' + where + fw);
}

export function leaseRow(l, open) {
  return [
    portButton(l.port, String(l.port), open),
    l.protocol,
    l.label || '',
    l.pid ? String(l.pid) : '—',
    l.expires ? h('time', { datetime: l.expires, title: when(l.expires) }, relative(l.expires)) : 'when released',
    l.created_by || '',
  ];
}

export function conflictList(cs) {
  if (!cs || !cs.length) return h('span', { class: 'ok' }, 'none');
  return h('ul', { class: 'conflicts' }, cs.map((c) =>
    h('li', { class: 'sev-' + c.severity }, badge(c.kind, 'sev-' + c.severity), ' ', c.message)));
}

export function assignmentRow(a, conflicts, open) {
  return [
    portButton(a.port, a.port + '/' + a.protocol, open),
    h('strong', { class: 'nowrap' }, a.name),
    a.owner || '',
    a.hosts || 'all hosts',
    a.note || '',
    conflicts === undefined ? null : conflictList(conflicts),
  ].filter((c) => c !== null);
}

function hostFacts(info) {
  const out = [];
  const c = info.class;
  if (c) out.push(badge(c.class + ' · ' + c.names.join(' / '), 'class-' + c.class));
  const f = info.host;
  if (f) {
    if (f.in_ephemeral) out.push(badge("in this host's ephemeral range " + f.ephemeral, 'warn'));
    if (f.in_reserved) out.push(badge('reserved on this host', 'warn'));
    if (f.needs_privilege) out.push(badge('binding needs privilege (below ' + (f.unprivileged_start || 1024) + ')', 'muted'));
  }
  // Traps: it binds, but browsers refuse it or an OS service holds it.
  const kinds = new Set((info.traps || []).map((t) => t.kind));
  if (kinds.has('browser')) out.push(badge('browsers refuse to connect', 'warn'));
  if (kinds.has('os-service')) out.push(badge('an OS service usually holds it', 'warn'));
  return out;
}

function title(info) {
  if (info.ports) {
    const r = String(info.ports);
    return r.includes('-') ? 'Ports ' + r : 'Port ' + r;
  }
  return info.query;
}

// render fills el with info; open(port) opens another port's details.
export function render(el, info, open) {
  const n = info.records.length;
  const primary = info.records.find((r) => r.status === 'assigned' && r.name);
  const head = title(info);
  // A name query is headed by the name already: "kerberos", not
  // "kerberos kerberos".
  const named = primary && primary.name.toLowerCase() !== head.toLowerCase() ? primary.name : '';
  replace(el,
    h('header', { class: 'details-head' },
      h('h2', { id: 'details-title', tabindex: '-1' }, head, named ? h('span', { class: 'primary' }, ' ' + named) : null),
      h('div', { class: 'badges' }, hostFacts(info)),
      h('a', { class: 'json', href: '/v1/ports/' + encodeURIComponent(info.query), target: '_blank', rel: 'noreferrer' }, 'JSON')),
    h('section', { class: 'block' }, h('h3', {}, 'IANA registry', h('span', { class: 'count' }, num(n))), records(info.records, open)),
    commonUses(info.common_uses || []),
    info.assignments && info.assignments.length ? h('section', { class: 'block' }, h('h3', {}, 'Assigned in the organisation'),
      table('Assignments', ['Port', 'Name', 'Owner', 'Hosts', 'Note'], info.assignments.map((a) => assignmentRow(a, undefined, open)))) : null,
    info.sockets && info.sockets.length ? h('section', { class: 'block' }, h('h3', {}, 'Listening on this host'),
      table('Listeners', ['Port', 'Address', 'Process', 'User'], info.sockets.map((s) => socketRow(s, open)))) : null,
    info.leases && info.leases.length ? h('section', { class: 'block' }, h('h3', {}, 'Leased'),
      table('Leases', ['Port', 'Proto', 'Label', 'Owner PID', 'Expires', 'By'], info.leases.map((l) => leaseRow(l, open)))) : null,
  );
}
