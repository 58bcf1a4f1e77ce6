// A small graphql-transport-ws client for the dashboard's subscriptions.
//
// One WebSocket carries every subscription. When it drops, it reconnects with exponential
// backoff and subscribes again with the variables each subscription asks for at that moment:
// the dashboard passes `afterPosition: <last position seen>`, so the service replays what
// happened while the page was away and nothing is missed (or shown twice).

const PROTOCOL = 'graphql-transport-ws';
const ACK_TIMEOUT_MS = 10_000;
const PING_EVERY_MS = 20_000;
const BACKOFF_FIRST_MS = 1_000;
const BACKOFF_MAX_MS = 30_000;
/** The service closes with this when the key in `connection_init` is missing or wrong. */
const CLOSE_FORBIDDEN = 4403;

export class Live {
  /**
   * `onState(state, detail)` hears `connecting`, `live`, `reconnecting` (detail: seconds until
   * the next attempt) and `refused` (the key was refused; no more attempts). `onProblem(text)`
   * hears errors that do not end the connection.
   */
  constructor({ key, onState, onProblem }) {
    this.key = key;
    this.onState = onState;
    this.onProblem = onProblem;
    this.subscriptions = new Map();
    this.socket = null;
    this.attempt = 0;
    this.timers = new Set();
    this.stopped = false;
    this.nextId = 1;
    this.silent = false;
    this.reconnectNow = () => {
      if (!this.socket && !this.stopped) this.connect();
    };
    window.addEventListener('online', this.reconnectNow);
  }

  /** Registers a subscription: `variables()` is asked at every (re)subscribe. */
  subscribe(query, variables, onData) {
    this.subscriptions.set(String(this.nextId++), { query, variables, onData });
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    window.removeEventListener('online', this.reconnectNow);
    this.clearTimers();
    if (this.socket) this.socket.close(1000, 'closed by the page');
    this.socket = null;
  }

  connect() {
    this.clearTimers();
    this.onState(this.attempt === 0 ? 'connecting' : 'reconnecting', 0);
    const url = new URL('/graphql', window.location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(url, PROTOCOL);
    this.socket = socket;
    let acknowledged = false;

    socket.addEventListener('open', () => {
      const payload = this.key ? { Authorization: `Bearer ${this.key}` } : {};
      this.send({ type: 'connection_init', payload });
      this.later(ACK_TIMEOUT_MS, () => socket.close(4408, 'no connection_ack'));
    });
    socket.addEventListener('message', (event) => {
      // Whatever arrives shows the connection is alive (see `keepAlive`).
      this.silent = false;
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        socket.close(4400, 'a message that is not JSON');
        return;
      }
      if (message.type === 'connection_ack') {
        acknowledged = true;
        this.attempt = 0;
        this.clearTimers();
        this.onState('live');
        this.keepAlive(socket);
        for (const [id, { query, variables }] of this.subscriptions) {
          this.send({ id, type: 'subscribe', payload: { query, variables: variables() } });
        }
      } else {
        this.handle(message);
      }
    });
    socket.addEventListener('close', (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.clearTimers();
      if (this.stopped) return;
      if (event.code === CLOSE_FORBIDDEN) {
        this.stopped = true;
        this.onState('refused');
        return;
      }
      // A connection that never got its ack does not reset the backoff.
      if (acknowledged) this.attempt = 0;
      const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this.attempt);
      this.attempt += 1;
      // Jitter keeps many dashboards from reconnecting to a restarted service in one burst.
      const wait = Math.round(delay * (0.5 + Math.random() / 2));
      this.onState('reconnecting', Math.ceil(wait / 1000));
      this.later(wait, () => this.connect());
    });
  }

  handle(message) {
    switch (message.type) {
      case 'next': {
        const subscription = this.subscriptions.get(message.id);
        const { data, errors } = message.payload ?? {};
        if (errors?.length) this.onProblem(errors[0].message);
        if (subscription && data) subscription.onData(data);
        break;
      }
      case 'error':
        this.onProblem(message.payload?.[0]?.message ?? 'a subscription failed');
        break;
      case 'ping':
        this.send({ type: 'pong' });
        break;
      default:
        // `pong`, `complete` and anything newer need nothing more from the dashboard.
        break;
    }
  }

  /**
   * Pings the service; a connection on which nothing (not even the `pong`) arrived for a whole
   * period is closed and made again, as a half-open TCP connection would never say so itself.
   */
  keepAlive(socket) {
    this.silent = false;
    const beat = () => {
      if (this.silent) {
        socket.close(4000, 'no answer to ping');
        return;
      }
      this.silent = true;
      this.send({ type: 'ping' });
      this.later(PING_EVERY_MS, beat);
    };
    this.later(PING_EVERY_MS, beat);
  }

  send(message) {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  later(ms, action) {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      action();
    }, ms);
    this.timers.add(timer);
  }

  clearTimers() {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
