// Small helpers shared by the page's modules. Every piece of data from the
// API reaches the DOM as text nodes (h, replace), never parsed as markup,
// so a service description cannot inject any.

// h builds an element: h('td', {class: 'num'}, '443', h('b', {}, 'x')).
// Attributes starting with "on" are listeners; null/false ones are skipped.
export function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, kids);
  return el;
}

function append(el, kids) {
  for (const k of kids) {
    if (k === null || k === undefined || k === false) continue;
    if (Array.isArray(k)) append(el, k);
    else el.append(k instanceof Node ? k : String(k));
  }
}

// replace swaps an element's children for kids.
export function replace(el, ...kids) {
  el.replaceChildren();
  append(el, kids);
}

export const $ = (sel, root = document) => root.querySelector(sel);

// ApiError is a failed API call with the server's code and message.
export class ApiError extends Error {
  constructor(message, code, status) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

// The bearer token a teammate signs in with. It lives in sessionStorage:
// gone with the tab, never written to disk by localStorage, never in a URL.
const TOKEN_KEY = 'portolan.token';

export function token() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) || '';
  } catch {
    return '';
  }
}

export function setToken(t) { sessionStorage.setItem(TOKEN_KEY, t); }
export function clearToken() { sessionStorage.removeItem(TOKEN_KEY); }

// getJSON fetches an API path, with the signed-in token when there is one;
// errors carry the API's one-line message. A 401 also tells the page
// (event "portolan:unauthorized") so it can ask for a token.
export async function getJSON(path, signal) {
  let res;
  const headers = { Accept: 'application/json' };
  const t = token();
  if (t) headers.Authorization = 'Bearer ' + t;
  try {
    res = await fetch(path, { signal, headers });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError('the server does not answer (' + e.message + ')', 'unavailable', 0);
  }
  const body = await res.json().catch(() => null);
  if (!res.ok) {
    const err = body && body.error;
    if (res.status === 401) {
      window.dispatchEvent(new CustomEvent('portolan:unauthorized', { detail: err ? err.message : 'this server needs a token' }));
    }
    throw new ApiError(err ? err.message : res.status + ' ' + res.statusText, err ? err.code : 'http', res.status);
  }
  return body;
}

// debounce delays fn until calls stop for ms.
export function debounce(fn, ms) {
  let t = 0;
  return (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
}

const nf = new Intl.NumberFormat('en');
export const num = (n) => nf.format(n);

// CLASSES mirrors RFC 6335 and the API's class names.
export const CLASSES = [
  { name: 'system', lo: 0, hi: 1023, title: 'system / well-known' },
  { name: 'user', lo: 1024, hi: 49151, title: 'user / registered' },
  { name: 'dynamic', lo: 49152, hi: 65535, title: 'dynamic / private / ephemeral' },
];

export function classOf(port) {
  return port <= 1023 ? CLASSES[0] : port <= 49151 ? CLASSES[1] : CLASSES[2];
}

// when formats an RFC 3339 time as a short local date and time.
export function when(iso) {
  if (!iso || iso.startsWith('0001-')) return '';
  const d = new Date(iso);
  if (isNaN(d)) return iso;
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

// relative says how far away an RFC 3339 time is ("in 4 min", "2 h ago").
export function relative(iso, now = Date.now()) {
  if (!iso) return '';
  const s = Math.round((new Date(iso).getTime() - now) / 1000);
  const a = Math.abs(s);
  const v = a < 60 ? a + ' s' : a < 3600 ? Math.round(a / 60) + ' min' : a < 172800 ? Math.round(a / 3600) + ' h' : Math.round(a / 86400) + ' days';
  return s >= 0 ? 'in ' + v : v + ' ago';
}

// ago says how long ago an RFC 3339 time in the past was ("5 s ago"): under
// a second, or ahead of this browser's clock (the server's differs a
// little), it is "just now", never "in 0 s".
export function ago(iso, now = Date.now()) {
  if (!iso) return '';
  return new Date(iso).getTime() > now - 1000 ? 'just now' : relative(iso, now);
}

// portButton is a port number that opens its details when activated.
export function portButton(port, label, onOpen) {
  return h('button', { type: 'button', class: 'port-link', 'aria-label': 'Port ' + port + ' details', onclick: () => onOpen(port) }, label ?? String(port));
}

// table builds a table with a header and rows of cells; each cell carries
// its column's name, which phones show beside it when rows stack.
export function table(label, head, rows, cls = '') {
  return h('div', { class: 'table-wrap' },
    h('table', { class: cls, 'aria-label': label },
      h('thead', {}, h('tr', {}, head.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c, i) => h('td', { 'data-label': head[i] }, c)))))));
}
