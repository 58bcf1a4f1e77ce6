// The totals, the inbox and the event list, rendered from GraphQL results. Payloads are as
// Mobiniti (or anyone holding the webhook token) sent them: every field is checked for its type
// and shown as text only.

import { el, formatNumber, formatPercent, timeElement } from './dom.js';

export function renderTotals(totals) {
  for (const node of document.querySelectorAll('[data-total]')) {
    const value = totals[node.dataset.total];
    node.textContent = typeof value === 'number' ? formatNumber(value) : '–';
  }
  for (const node of document.querySelectorAll('[data-share]')) {
    const value = totals[node.dataset.share];
    node.textContent = totals.contacts ? `${formatPercent(value / totals.contacts)} of contacts` : '';
  }
}

const CATEGORIES = { STOP: 'Stop', HELP: 'Help', KEYWORD: 'Keyword' };

const text = (value) => (typeof value === 'string' ? value : '');

function sender(message) {
  const contact = message.contact ?? {};
  const name = [text(contact.firstName), text(contact.lastName)].filter(Boolean).join(' ');
  return name || text(message.phone) || 'Unknown sender';
}

/** One inbox row; `fresh` marks it as just arrived. */
export function inboxItem(message, fresh) {
  const name = sender(message);
  const category = CATEGORIES[message.category];
  return el(
    'li',
    { class: fresh ? 'row fresh' : 'row', 'data-id': message.id },
    el('span', { class: 'avatar', 'aria-hidden': 'true' }, initials(name)),
    el(
      'div',
      { class: 'row-main' },
      el(
        'div',
        { class: 'row-head' },
        el('span', { class: 'row-title' }, name),
        name !== message.phone ? el('span', { class: 'muted' }, text(message.phone)) : null,
        category ? el('span', { class: `chip category-${message.category.toLowerCase()}` }, category) : null,
        timeElement(message.occurredAt),
      ),
      el('p', { class: 'body' }, text(message.body)),
    ),
  );
}

/** Two letters of a name, or the last two digits of a phone number. */
function initials(name) {
  const words = name.split(/\s+/).filter((word) => /\p{L}/u.test(word));
  if (words.length) return words.slice(0, 2).map((word) => word.match(/\p{L}/u)[0].toUpperCase()).join('');
  return name.replace(/\D/g, '').slice(-2) || '?';
}

const KINDS = {
  INBOUND_MESSAGE: ['Inbound', 'inbound'],
  UNSUBSCRIBE: ['Unsubscribe', 'unsubscribe'],
  BOUNCE: ['Bounce', 'bounce'],
  DELIVERY_REPORT: ['Delivery report', 'delivery'],
  CONTACT_STATUS: ['Contact status', 'status'],
  REJECTION: ['Rejection', 'rejection'],
};

/** What an event says, in a line, from the fields its kind's payload documents. */
function summary(event) {
  const p = event.payload && typeof event.payload === 'object' ? event.payload : {};
  switch (event.kind) {
    case 'INBOUND_MESSAGE':
      return text(p.message);
    case 'UNSUBSCRIBE':
      return p.to ? `Opted out of ${text(String(p.to))}` : 'Opted out';
    case 'BOUNCE':
      return typeof p.bounces === 'number' ? `${formatNumber(p.bounces)} bounces in total` : 'Bounced';
    case 'CONTACT_STATUS':
      return p.status ? `Carrier status: ${text(p.status)}` : 'Carrier status changed';
    case 'DELIVERY_REPORT': {
      const statuses = Array.isArray(p.statuses) ? p.statuses : [];
      const parts = statuses
        .filter((s) => s && typeof s === 'object')
        .map((s) => `${typeof s.count === 'number' ? s.count : 1} × ${text(s.status) || text(s.code)}`);
      return parts.join(' · ') || 'No status';
    }
    case 'REJECTION':
      return [text(p.code), text(p.message), text(p.description)].filter(Boolean).join(' · ') || 'No details given';
    default:
      return '';
  }
}

export function eventItem(event, fresh) {
  const [label, style] = KINDS[event.kind] ?? ['Unknown kind', 'unknown'];
  const who = text(event.contact?.phone);
  return el(
    'li',
    { class: fresh ? 'row fresh' : 'row', 'data-position': event.position },
    el('span', { class: `chip kind-${style}` }, label),
    el(
      'div',
      { class: 'row-main' },
      el(
        'div',
        { class: 'row-head' },
        who ? el('span', { class: 'row-title' }, who) : null,
        el('span', { class: 'muted position' }, `#${event.position}`),
        timeElement(event.receivedAt),
      ),
      el('p', { class: 'body clamp' }, summary(event)),
    ),
  );
}
