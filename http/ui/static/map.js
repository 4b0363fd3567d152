// The port map: all 65,536 ports as a 256x256 grid, one cell per port,
// row-major (port = row*256 + column). The base layer (class, IANA
// assignment, this host's ephemeral and reserved ranges) is one 256x256
// image scaled up without smoothing; listeners, leases and assignments are
// sparse, so they are drawn as markers on a second, full-resolution canvas
// where a single cell would be too small to see.
import { classOf, h, num, replace } from './dom.js';

const N = 256;
const PORTS = N * N;

// Keys that move the cursor, as port offsets.
const MOVES = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -N, ArrowDown: N, PageUp: -N * 16, PageDown: N * 16 };

function hex(c) {
  c = c.trim().replace('#', '');
  if (c.length === 3) c = c.replace(/./g, '$&$&');
  const n = parseInt(c, 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

const mix = (a, b, t) => [0, 1, 2].map((i) => Math.round(a[i] * (1 - t) + b[i] * t));

export class PortMap {
  // root holds the two canvases, the cursor and the tooltip; onOpen(port,
  // byPointer) opens a port's details; annotate(port) adds the page's facts (names of
  // listeners, leases, assignments); lookup(port) resolves to the IANA name.
  constructor(root, { onOpen, annotate, lookup, readout }) {
    this.root = root;
    this.base = root.querySelector('.map-base');
    this.marks = root.querySelector('.map-marks');
    this.cursorEl = root.querySelector('.map-cursor');
    this.tip = root.querySelector('.map-tip');
    this.readout = readout;
    this.onOpen = onOpen;
    this.annotate = annotate || (() => []);
    this.lookup = lookup || (() => Promise.resolve(''));
    this.layers = { class: true, iana: true, ephemeral: true, listeners: true, leases: true, assignments: true };
    this.data = null;
    this.cursor = -1;
    this.hover = -1;
    this.names = new Map();
    this.base.width = this.base.height = N;
    this.bind();
  }

  // set takes the answer of GET /v1/map and redraws.
  set(m) {
    const raw = atob(m.iana || '');
    const iana = new Uint8Array(8192);
    for (let i = 0; i < raw.length && i < 8192; i++) iana[i] = raw.charCodeAt(i);
    const eph = new Uint8Array(PORTS);
    for (const [lo, hi] of m.ephemeral || []) eph.fill(1, lo, hi + 1);
    for (const [lo, hi] of m.reserved || []) eph.fill(2, lo, hi + 1);
    this.data = {
      iana, eph,
      ephemeral: m.ephemeral || [], reserved: m.reserved || [],
      listeners: new Set(m.listeners || []), leases: new Set(m.leases || []), assignments: new Set(m.assignments || []),
    };
    this.draw();
  }

  setLayer(name, on) {
    this.layers[name] = on;
    this.draw();
  }

  isIANA(p) {
    return this.data ? (this.data.iana[p >> 3] >> (p & 7)) & 1 : 0;
  }

  colors() {
    const cs = getComputedStyle(this.root);
    const c = (name) => hex(cs.getPropertyValue('--' + name) || '#888');
    return {
      free: [c('map-system'), c('map-user'), c('map-dynamic')],
      iana: [c('map-system-iana'), c('map-user-iana'), c('map-dynamic-iana')],
      plain: c('map-plain'), plainIana: c('map-plain-iana'),
      eph: c('map-ephemeral'), reserved: c('map-reserved'),
      listener: cs.getPropertyValue('--mark-listener').trim(), lease: cs.getPropertyValue('--mark-lease').trim(),
      assignment: cs.getPropertyValue('--mark-assignment').trim(), edge: cs.getPropertyValue('--mark-edge').trim(),
      line: cs.getPropertyValue('--map-line').trim(), hatch: cs.getPropertyValue('--map-hatch').trim(),
    };
  }

  draw() {
    if (!this.data) return;
    const C = this.colors();
    this.drawBase(C);
    this.drawMarks(C);
    if (!document.documentElement.dataset.mapDrawn) {
      document.documentElement.dataset.mapDrawn = String(Math.round(performance.now()));
      performance.mark('portolan-map-drawn');
    }
  }

  drawBase(C) {
    const L = this.layers, d = this.data;
    const img = new ImageData(N, N);
    const px = new Uint32Array(img.data.buffer);
    // 3 classes x assigned or not x plain/ephemeral/reserved: a palette of
    // 18 RGBA words (little-endian canvas memory is ABGR).
    const word = (c) => (255 << 24) | (c[2] << 16) | (c[1] << 8) | c[0];
    const pal = new Uint32Array(18);
    for (let cls = 0; cls < 3; cls++) {
      for (let a = 0; a < 2; a++) {
        const b = L.class ? (a && L.iana ? C.iana[cls] : C.free[cls]) : (a && L.iana ? C.plainIana : C.plain);
        const i = (cls * 2 + a) * 3;
        pal[i] = word(b);
        pal[i + 1] = word(L.ephemeral ? mix(b, C.eph, 0.18) : b);
        pal[i + 2] = word(L.ephemeral ? C.reserved : b);
      }
    }
    const iana = d.iana, eph = d.eph;
    for (let p = 0; p < PORTS; p++) {
      const cls = p <= 1023 ? 0 : p <= 49151 ? 1 : 2;
      px[p] = pal[(cls * 2 + ((iana[p >> 3] >> (p & 7)) & 1)) * 3 + eph[p]];
    }
    this.base.getContext('2d').putImageData(img, 0, 0);
  }

  drawMarks(C) {
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(this.root.clientWidth * dpr));
    if (this.marks.width !== w) this.marks.width = this.marks.height = w;
    const g = this.marks.getContext('2d');
    g.clearRect(0, 0, w, w);
    const cell = w / N;
    // Class boundaries: 1024 starts row 4, 49152 starts row 192.
    g.strokeStyle = C.line;
    g.lineWidth = Math.max(1, dpr);
    for (const row of [4, 192]) {
      g.beginPath();
      g.moveTo(0, row * cell);
      g.lineTo(w, row * cell);
      g.stroke();
    }
    if (this.layers.ephemeral) this.hatch(g, cell, dpr, C.hatch);
    // A few markers are drawn large enough to see; thousands shrink to
    // their cells so the map stays readable.
    const size = (n) => (n > 300 ? Math.max(dpr, cell * 0.8) : Math.max(3.5 * dpr, cell * 1.9));
    const L = this.layers, d = this.data;
    g.lineWidth = Math.max(1, dpr);
    g.strokeStyle = C.edge;
    const at = (p) => [(p % N + 0.5) * cell, (Math.floor(p / N) + 0.5) * cell];
    if (L.assignments) {
      const r = size(d.assignments.size) * 1.25, edge = r > 2 * dpr;
      g.fillStyle = C.assignment;
      for (const p of d.assignments) {
        const [x, y] = at(p);
        g.beginPath();
        g.moveTo(x, y - r); g.lineTo(x + r, y); g.lineTo(x, y + r); g.lineTo(x - r, y);
        g.closePath(); g.fill();
        if (edge) g.stroke();
      }
    }
    if (L.leases) {
      const r = size(d.leases.size), edge = r > 2 * dpr;
      g.fillStyle = C.lease;
      for (const p of d.leases) {
        const [x, y] = at(p);
        g.fillRect(x - r, y - r, 2 * r, 2 * r);
        if (edge) g.strokeRect(x - r, y - r, 2 * r, 2 * r);
      }
    }
    if (L.listeners) {
      const r = size(d.listeners.size), edge = r > 2 * dpr;
      g.fillStyle = C.listener;
      for (const p of d.listeners) {
        const [x, y] = at(p);
        if (!edge) { g.fillRect(x - r, y - r, 2 * r, 2 * r); continue; }
        g.beginPath();
        g.arc(x, y, r, 0, 2 * Math.PI);
        g.fill(); g.stroke();
      }
    }
  }

  // hatch strokes diagonal lines over this host's ephemeral range, so the
  // class colours beneath stay readable.
  hatch(g, cell, dpr, color) {
    const step = Math.max(5, Math.round(7 * dpr));
    const tile = document.createElement('canvas');
    tile.width = tile.height = step;
    const t = tile.getContext('2d');
    t.strokeStyle = color;
    t.lineWidth = Math.max(1, dpr * 1.2);
    t.beginPath();
    t.moveTo(-1, step + 1); t.lineTo(step + 1, -1);
    t.moveTo(-1, 1); t.lineTo(1, -1);
    t.moveTo(step - 1, step + 1); t.lineTo(step + 1, step - 1);
    t.stroke();
    g.save();
    g.fillStyle = g.createPattern(tile, 'repeat');
    for (const [lo, hi] of this.data.ephemeral) {
      const r0 = Math.floor(lo / N), r1 = Math.floor(hi / N);
      g.beginPath();
      if (r0 === r1) g.rect((lo % N) * cell, r0 * cell, (hi - lo + 1) * cell, cell);
      else {
        g.rect((lo % N) * cell, r0 * cell, (N - (lo % N)) * cell, cell);
        if (r1 > r0 + 1) g.rect(0, (r0 + 1) * cell, N * cell, (r1 - r0 - 1) * cell);
        g.rect(0, r1 * cell, ((hi % N) + 1) * cell, cell);
      }
      g.fill();
    }
    g.restore();
  }

  // facts lists what the map knows of port p, for the tooltip and readout.
  // The page's annotations (who listens, which lease, which assignment)
  // replace the bare facts they explain.
  facts(p) {
    const d = this.data, out = [classOf(p).title];
    if (!d) return out;
    const extra = this.annotate(p);
    const has = (prefix) => extra.some((x) => x.startsWith(prefix));
    if (this.isIANA(p)) out.push('IANA-assigned');
    if (d.eph[p] === 1) out.push("in this host's ephemeral range");
    if (d.eph[p] === 2) out.push('reserved on this host');
    if (d.listeners.has(p) && !has('listening')) out.push('listening here');
    if (d.leases.has(p) && !has('leased')) out.push('leased');
    if (d.assignments.has(p) && !has('assigned')) out.push('assigned in the organisation');
    return out.concat(extra);
  }

  describe(p) {
    const name = this.names.get(p);
    return ['Port ' + p + (name ? ' (' + name + ')' : ''), ...this.facts(p)].join(', ');
  }

  portAt(ev) {
    const b = this.root.getBoundingClientRect();
    const x = Math.floor(((ev.clientX - b.left) / b.width) * N);
    const y = Math.floor(((ev.clientY - b.top) / b.height) * N);
    if (x < 0 || y < 0 || x >= N || y >= N) return -1;
    return y * N + x;
  }

  // select moves the cursor to p (after a search or a click elsewhere).
  select(p) {
    this.cursor = p;
    this.place(this.cursorEl, p);
    this.cursorEl.hidden = false;
  }

  place(el, p) {
    el.style.left = ((p % N) * 100) / N + '%';
    el.style.top = (Math.floor(p / N) * 100) / N + '%';
  }

  showTip(p) {
    this.hover = p;
    const name = this.names.get(p);
    replace(this.tip,
      h('strong', {}, String(p)), name ? h('span', { class: 'tip-name' }, ' ' + name) : null,
      h('ul', {}, this.facts(p).map((f) => h('li', {}, f))));
    const col = p % N, row = Math.floor(p / N);
    this.tip.classList.toggle('tip-left', col > N * 0.6);
    this.tip.classList.toggle('tip-up', row > N * 0.7);
    this.place(this.tip, p);
    this.tip.hidden = false;
    if (!this.names.has(p) && this.isIANA(p)) this.resolve(p);
  }

  resolve(p) {
    clearTimeout(this.lookupTimer);
    this.lookupTimer = setTimeout(() => {
      this.lookup(p).then((name) => {
        this.names.set(p, name || '');
        if (this.hover === p && !this.tip.hidden) this.showTip(p);
      }).catch(() => {});
    }, 120);
  }

  announce(p) {
    clearTimeout(this.sayTimer);
    this.sayTimer = setTimeout(() => { this.readout.textContent = this.describe(p); }, 200);
    if (!this.names.has(p) && this.isIANA(p)) {
      this.lookup(p).then((name) => {
        this.names.set(p, name || '');
        if (this.cursor === p) this.readout.textContent = this.describe(p);
      }).catch(() => {});
    }
  }

  bind() {
    const root = this.root;
    root.addEventListener('pointermove', (ev) => {
      const p = this.portAt(ev);
      if (p < 0) this.tip.hidden = true;
      else if (p !== this.hover || this.tip.hidden) this.showTip(p);
    });
    root.addEventListener('pointerleave', () => { this.tip.hidden = true; this.hover = -1; });
    root.addEventListener('click', (ev) => {
      const p = this.portAt(ev);
      if (p < 0) return;
      this.select(p);
      this.announce(p);
      this.onOpen(p, true);
    });
    root.addEventListener('focus', () => {
      if (this.cursor < 0) this.select(0);
      this.announce(this.cursor);
    });
    root.addEventListener('keydown', (ev) => {
      if (ev.altKey || ev.metaKey) return;
      let p = this.cursor < 0 ? 0 : this.cursor;
      if (ev.key in MOVES && !ev.ctrlKey) p += MOVES[ev.key];
      else if (ev.key === 'Home') p = ev.ctrlKey ? 0 : p - (p % N);
      else if (ev.key === 'End') p = ev.ctrlKey ? PORTS - 1 : p - (p % N) + N - 1;
      else if (ev.key === 'Enter' || ev.key === ' ') {
        ev.preventDefault();
        this.onOpen(p, false);
        return;
      } else return;
      ev.preventDefault();
      p = Math.min(PORTS - 1, Math.max(0, p));
      this.select(p);
      this.tip.hidden = true;
      this.announce(p);
    });
    new ResizeObserver(() => { if (this.data) this.drawMarks(this.colors()); }).observe(root);
    matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => this.draw());
  }
}

// axis labels the rows where the classes start and every 8,192 ports.
export function axis(el) {
  const rows = [0, 32, 64, 96, 128, 160, 192, 224];
  el.replaceChildren(...rows.map((r) => {
    const s = h('span', { class: r === 4 || r === 192 ? 'axis-class' : '' }, num(r * N));
    s.style.top = (r * 100) / N + '%';
    return s;
  }));
}
