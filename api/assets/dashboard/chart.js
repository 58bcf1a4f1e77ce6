// The delivery chart: one stacked bar per day (delivered below, failed above) drawn as SVG, and
// the same numbers as a table for screen readers and for anyone who wants the figures.

import { el, svg, formatNumber, formatPercent } from './dom.js';

const HEIGHT = 200;
const MARGIN = { top: 12, right: 4, bottom: 28, left: 36 };
/** Narrower day bands than this get every other label. */
const LABEL_ROOM = 26;

const dayLabel = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });
const dayNumber = new Intl.DateTimeFormat(undefined, { day: 'numeric' });
const weekday = new Intl.DateTimeFormat(undefined, { weekday: 'short', month: 'short', day: 'numeric' });

/** `YYYY-MM-DD` of a date in the browser's time zone, the one the buckets are laid out in. */
export function localDay(date) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** The days from `from` (local midnight) for `count` days, with their buckets' counts. */
export function daysOf(from, count, buckets) {
  const byDay = new Map(buckets.map((bucket) => [localDay(new Date(bucket.start)), bucket]));
  return Array.from({ length: count }, (_, i) => {
    const date = new Date(from.getFullYear(), from.getMonth(), from.getDate() + i);
    const bucket = byDay.get(localDay(date));
    return { date, day: localDay(date), delivered: bucket?.delivered ?? 0, failed: bucket?.failed ?? 0 };
  });
}

/** A round step for about four grid lines up to `max`; counts are whole numbers. */
function gridStep(max) {
  const rough = Math.max(1, max / 4);
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
  return Math.max(1, Math.round(step));
}

const describe = (d) => {
  const total = d.delivered + d.failed;
  const rate = total ? ` (${formatPercent(d.delivered / total)} delivered)` : '';
  return `${weekday.format(d.date)}: ${formatNumber(d.delivered)} delivered, ${formatNumber(d.failed)} failed${rate}`;
};

/**
 * The chart in `container` and its table in `tableContainer`. It is drawn at the container's
 * width in CSS pixels, so its text keeps its size on a phone, and drawn again when that changes.
 */
export class DeliveryChart {
  constructor(container, tableContainer) {
    this.container = container;
    this.tableContainer = tableContainer;
    this.days = [];
    this.width = 0;
    new ResizeObserver(() => {
      if (this.container.clientWidth !== this.width && this.days.length) this.draw();
    }).observe(container);
  }

  /** Shows `days`; returns the delivery rate over them, or null when nothing was reported. */
  show(days) {
    this.days = days;
    this.draw();
    this.tableContainer.replaceChildren(table(days));
    const delivered = days.reduce((sum, d) => sum + d.delivered, 0);
    const failed = days.reduce((sum, d) => sum + d.failed, 0);
    return delivered + failed ? delivered / (delivered + failed) : null;
  }

  /** "Nov 14 – Nov 27", the span the axis labels (day numbers) belong to. */
  span() {
    const first = this.days[0];
    const last = this.days[this.days.length - 1];
    return first ? `${dayLabel.format(first.date)} – ${dayLabel.format(last.date)}` : '';
  }

  draw() {
    this.width = this.container.clientWidth;
    this.container.replaceChildren(drawing(this.days, Math.max(this.width, 240)), legend());
  }
}

function drawing(days, width) {
  const plotWidth = width - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const max = Math.max(0, ...days.map((d) => d.delivered + d.failed));
  const step = gridStep(max);
  const top = Math.max(step, Math.ceil(max / step) * step);
  const y = (value) => MARGIN.top + plotHeight - (value / top) * plotHeight;
  const band = plotWidth / days.length;
  const barWidth = Math.min(32, band * 0.62);

  const grid = [];
  for (let value = 0; value <= top; value += step) {
    grid.push(
      svg('line', { class: 'grid', x1: MARGIN.left, x2: width - MARGIN.right, y1: y(value), y2: y(value) }),
      svg('text', { class: 'axis', x: MARGIN.left - 8, y: y(value), dy: '0.35em', 'text-anchor': 'end' }, formatNumber(value)),
    );
  }

  const every = band >= LABEL_ROOM ? 1 : 2;
  const bars = days.map((d, i) => {
    const x = MARGIN.left + band * i + (band - barWidth) / 2;
    const parts = [svg('title', {}, describe(d))];
    if (d.delivered) {
      parts.push(svg('rect', { class: 'bar delivered', x, width: barWidth, y: y(d.delivered), height: y(0) - y(d.delivered), rx: 2 }));
    }
    if (d.failed) {
      const topOf = d.delivered + d.failed;
      parts.push(svg('rect', { class: 'bar failed', x, width: barWidth, y: y(topOf), height: y(d.delivered) - y(topOf), rx: 2 }));
    }
    // Counted from the last day, so that today always has its label.
    if ((days.length - 1 - i) % every === 0) {
      parts.push(svg('text', { class: 'axis', x: x + barWidth / 2, y: HEIGHT - MARGIN.bottom + 18, 'text-anchor': 'middle' }, dayNumber.format(d.date)));
    }
    return svg('g', { class: 'day', 'data-day': d.day, 'data-delivered': d.delivered, 'data-failed': d.failed }, parts);
  });

  const delivered = days.reduce((sum, d) => sum + d.delivered, 0);
  const failed = days.reduce((sum, d) => sum + d.failed, 0);
  const summary = `Delivery reports per day, ${days.length} days: ${formatNumber(delivered)} delivered, ${formatNumber(failed)} failed.`;
  return svg(
    'svg',
    { width, height: HEIGHT, viewBox: `0 0 ${width} ${HEIGHT}`, role: 'img', 'aria-label': summary },
    grid,
    svg('line', { class: 'baseline', x1: MARGIN.left, x2: width - MARGIN.right, y1: y(0), y2: y(0) }),
    bars,
    max === 0
      ? svg('text', { class: 'no-data', x: MARGIN.left + plotWidth / 2, y: MARGIN.top + plotHeight / 2, 'text-anchor': 'middle' }, 'No delivery reports in this period')
      : null,
  );
}

function legend() {
  return el(
    'ul',
    { class: 'legend', 'aria-hidden': 'true' },
    el('li', {}, el('span', { class: 'swatch delivered' }), 'Delivered'),
    el('li', {}, el('span', { class: 'swatch failed' }), 'Failed'),
  );
}

function table(days) {
  const rows = days.map((d) => {
    const total = d.delivered + d.failed;
    return el(
      'tr',
      {},
      el('th', { scope: 'row' }, weekday.format(d.date)),
      el('td', {}, formatNumber(d.delivered)),
      el('td', {}, formatNumber(d.failed)),
      el('td', {}, total ? formatPercent(d.delivered / total) : '–'),
    );
  });
  return el(
    'table',
    {},
    el('caption', { class: 'visually-hidden' }, 'Delivery reports per day'),
    el('thead', {}, el('tr', {}, ['Day', 'Delivered', 'Failed', 'Rate'].map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, rows),
  );
}
