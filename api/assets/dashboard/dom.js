// Building DOM without markup strings: every piece of text from the API (message bodies, names,
// payload fields) is untrusted, so it only ever becomes a text node, never parsed HTML.

const SVG_NS = 'http://www.w3.org/2000/svg';

function build(node, attributes, children) {
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** An HTML element; strings among `children` become text nodes. */
export function el(tag, attributes, ...children) {
  return build(document.createElement(tag), attributes, children);
}

/** An SVG element, the same way. */
export function svg(tag, attributes, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attributes, children);
}

export const byId = (id) => document.getElementById(id);

const numbers = new Intl.NumberFormat();
export const formatNumber = (n) => numbers.format(n);

const percent = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 });
export const formatPercent = (ratio) => percent.format(ratio);

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const fullDate = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const shortDate = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const STEPS = [
  [60, 'second'],
  [60, 'minute'],
  [24, 'hour'],
  [7, 'day'],
];

/** "2 minutes ago" for the last week, then the date. */
export function formatWhen(date, now = Date.now()) {
  let amount = (date.getTime() - now) / 1000;
  for (const [size, unit] of STEPS) {
    if (Math.abs(amount) < size) {
      return unit === 'second' && Math.abs(amount) < 45
        ? 'just now'
        : relative.format(Math.round(amount), unit);
    }
    amount /= size;
  }
  return shortDate.format(date);
}

/** A `<time>` that `refreshTimes` keeps current. */
export function timeElement(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return el('time', {}, '');
  return el('time', { datetime: date.toISOString(), title: fullDate.format(date) }, formatWhen(date));
}

export function refreshTimes(root = document) {
  const now = Date.now();
  for (const node of root.querySelectorAll('time[datetime]')) {
    node.textContent = formatWhen(new Date(node.getAttribute('datetime')), now);
  }
}
