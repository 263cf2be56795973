// The protocol client: one WebSocket to the node, kept open.
//
//   idle ─start─▶ connecting ─open─▶ online ─close─▶ retrying ─timer─▶ connecting …
//                     ▲                 │ offline event          │ offline event
//                     └──online event── waiting ◀────────────────┘
//
// - Reconnects with exponential backoff and jitter (backoff.js); `1001` (node draining)
//   comes back sooner, still jittered.
// - Every joined room is rejoined on reconnect with `since` (the newest message id seen)
//   and `epoch` (the room's history incarnation), so the node sends exactly what was
//   missed, or `gap: true` when it cannot.
// - Messages go through an outbox keyed by `cid`: kept until their `ack`, sent again with
//   the same `cid` after a reconnect, `rate_limited` (after `retry_ms`) or `unavailable`;
//   the node's dedupe makes the retries safe.
// - A silent connection is probed (`chats`) and dropped when the probe gets no answer.

import { Backoff } from './backoff.js';
import { isId, maxId } from './ids.js';

const LIVENESS_CHECK_MS = 5000;
const SILENCE_BEFORE_PROBE_MS = 30000;
const PROBE_TIMEOUT_MS = 10000;
const STABLE_CONNECTION_MS = 5000;
const JOIN_TIMEOUT_MS = 10000;

/** The node's WebSocket URL for this page (same origin). */
export function socketUrl(location = window.location) {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws`;
}

/** A random client message id (32 hex digits; also outside secure contexts). */
export function newCid() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export class ChatClient {
  /**
   * `handlers`: `frame(f, info)` for every frame from the node, `state(name, detail)` on
   * every state change, `open()` after each connect, `closedBeforeOpen(everOpened)` when a
   * connection attempt failed before the upgrade, `resume(room, point)` when a room's
   * resume point changed. `resume`: stored `{room: {since, epoch}}` from an earlier page.
   */
  constructor({ token, url = socketUrl(), handlers, resume = {}, backoff = new Backoff() }) {
    this.token = token;
    this.url = url;
    this.handlers = handlers;
    this.backoff = backoff;
    this.state = 'idle';
    this.ws = null;
    /** room -> {since, epoch, joined, sentAt, sentSince} */
    this.rooms = new Map();
    /** cid -> {cmd, attempts, timer} */
    this.outbox = new Map();
    /** The last commands sent (type, room, since, epoch), newest last: for tests and debugging. */
    this.sent = [];
    this.everOpened = false;
    this.holdUntil = 0;
    this.retryTimer = null;
    this.lastFrameAt = 0;
    this.probeAt = 0;
    for (const [room, point] of Object.entries(resume)) {
      const id = Number(room);
      if (!Number.isInteger(id) || id < 0 || id > 4294967295) continue;
      this.rooms.set(id, {
        since: isId(point?.since) ? point.since : null,
        epoch: typeof point?.epoch === 'string' ? point.epoch : null,
        joined: false,
      });
    }
    this.onOnline = () => this.networkBack();
    this.onOffline = () => this.networkLost();
  }

  // MARK: lifecycle

  start() {
    window.addEventListener('online', this.onOnline);
    window.addEventListener('offline', this.onOffline);
    this.liveness = setInterval(() => this.checkLiveness(), LIVENESS_CHECK_MS);
    if (navigator.onLine === false) this.setState('waiting');
    else this.connect();
  }

  /** Closes for good (logout). */
  stop() {
    window.removeEventListener('online', this.onOnline);
    window.removeEventListener('offline', this.onOffline);
    clearInterval(this.liveness);
    clearTimeout(this.retryTimer);
    for (const entry of this.outbox.values()) clearTimeout(entry.timer);
    const ws = this.ws;
    this.ws = null;
    if (ws) ws.close(1000, 'bye');
    this.setState('closed');
  }

  connect() {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.state === 'closed') return;
    this.setState('connecting');
    let ws;
    try {
      ws = new WebSocket(`${this.url}?token=${encodeURIComponent(this.token)}`, 'chat.v1');
    } catch {
      this.scheduleReconnect(1006);
      return;
    }
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      opened = true;
      this.everOpened = true;
      this.openedAt = Date.now();
      this.lastFrameAt = Date.now();
      this.probeAt = 0;
      this.setState('online');
      this.handlers.open?.();
      for (const [room, entry] of this.rooms) {
        entry.retries = 0;
        this.sendJoin(room);
      }
      this.flushOutbox((cmd) => cmd.t === 'dm');
    };
    ws.onmessage = (event) => {
      if (this.ws !== ws || typeof event.data !== 'string') return;
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (!frame || typeof frame !== 'object' || typeof frame.t !== 'string') return;
      this.lastFrameAt = Date.now();
      this.probeAt = 0;
      this.receive(frame);
    };
    ws.onclose = (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      for (const entry of this.rooms.values()) entry.joined = false;
      if (!opened) this.handlers.closedBeforeOpen?.(this.everOpened);
      if (this.state === 'closed') return;
      this.scheduleReconnect(event.code, opened);
    };
  }

  /** Plans the next attempt: waits for the network, else backoff with jitter. */
  scheduleReconnect(code, wasOpen = false) {
    if (this.state === 'closed') return;
    if (navigator.onLine === false) {
      this.setState('waiting');
      return;
    }
    if (wasOpen && Date.now() - this.openedAt >= STABLE_CONNECTION_MS) this.backoff.reset();
    let delay = code === 1001 ? 250 + Math.round(Math.random() * 1000) : this.backoff.next();
    delay = Math.max(delay, this.holdUntil - Date.now());
    const retryAt = Date.now() + delay;
    this.setState('retrying', { retryAt });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  networkLost() {
    if (this.state === 'closed') return;
    clearTimeout(this.retryTimer);
    const ws = this.ws;
    this.ws = null;
    for (const entry of this.rooms.values()) entry.joined = false;
    if (ws) ws.close(4000, 'offline');
    this.setState('waiting');
  }

  networkBack() {
    if (this.state !== 'waiting' && this.state !== 'retrying') return;
    this.backoff.reset();
    clearTimeout(this.retryTimer);
    // A little jitter: a whole office coming back online should not arrive at once.
    const delay = Math.max(Math.round(Math.random() * 300), this.holdUntil - Date.now());
    this.setState('retrying', { retryAt: Date.now() + delay });
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  /** Reconnects now (the "retry" button). */
  retryNow() {
    if (this.state === 'retrying') this.connect();
  }

  checkLiveness() {
    const ws = this.ws;
    if (!ws || this.state !== 'online') return;
    const now = Date.now();
    if (this.probeAt && now - this.probeAt > PROBE_TIMEOUT_MS) {
      this.ws = null;
      for (const entry of this.rooms.values()) entry.joined = false;
      ws.close(4000, 'no answer');
      this.scheduleReconnect(1006, true);
      return;
    }
    if (!this.probeAt && now - this.lastFrameAt > SILENCE_BEFORE_PROBE_MS) {
      this.probeAt = now;
      this.command({ t: 'chats' });
    }
    for (const [room, entry] of this.rooms) {
      // A join without an answer (storage trouble) is asked again, a few times per connection.
      if (!entry.joined && entry.sentAt && now - entry.sentAt > JOIN_TIMEOUT_MS && (entry.retries ?? 0) < 3) {
        entry.retries = (entry.retries ?? 0) + 1;
        this.sendJoin(room);
      }
    }
  }

  /** Test hook: drops the socket as a network cut would; no reconnect before `holdMs`. */
  debugDisconnect(holdMs = 0) {
    this.holdUntil = Date.now() + holdMs;
    const ws = this.ws;
    if (!ws) return false;
    this.ws = null;
    for (const entry of this.rooms.values()) entry.joined = false;
    ws.close(4000, 'debug');
    this.scheduleReconnect(1006, true);
    return true;
  }

  setState(state, detail = {}) {
    this.state = state;
    this.handlers.state?.(state, detail);
  }

  // MARK: commands

  /** Sends a command now if the socket is open; false otherwise (the caller decides). */
  command(cmd) {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(cmd));
    this.sent.push({ t: cmd.t, room: cmd.room, since: cmd.since, epoch: cmd.epoch, at: Date.now() });
    if (this.sent.length > 100) this.sent.splice(0, this.sent.length - 100);
    return true;
  }

  /** Joins a room (and rejoins it after every reconnect until `leave`). */
  join(room) {
    if (!this.rooms.has(room)) this.rooms.set(room, { since: null, epoch: null, joined: false });
    if (this.state === 'online') this.sendJoin(room);
  }

  /** Joins an already joined room again: fresh `members`, and anything missed, via `since`. */
  refresh(room) {
    if (this.rooms.get(room)?.joined) this.sendJoin(room);
  }

  sendJoin(room) {
    const entry = this.rooms.get(room);
    if (!entry) return;
    const cmd = { t: 'join', room };
    if (entry.since) cmd.since = entry.since;
    if (entry.since && entry.epoch) cmd.epoch = entry.epoch;
    entry.sentAt = Date.now();
    entry.sentSince = entry.since;
    this.command(cmd);
  }

  leave(room) {
    this.rooms.delete(room);
    for (const [cid, entry] of this.outbox) {
      if (entry.cmd.room === room) {
        clearTimeout(entry.timer);
        this.outbox.delete(cid);
      }
    }
    this.command({ t: 'leave', room });
  }

  /** Queues a message for a room (`{room}`) or a user (`{dm}`); returns its cid. */
  post(target, text) {
    const cid = newCid();
    const cmd = target.room != null ? { t: 'send', room: target.room, text, cid } : { t: 'dm', to: target.dm, text, cid };
    this.outbox.set(cid, { cmd, attempts: 0, timer: null });
    this.trySend(cid);
    return cid;
  }

  trySend(cid) {
    const entry = this.outbox.get(cid);
    if (!entry) return;
    entry.timer = null;
    const { cmd } = entry;
    if (cmd.t === 'send' && !this.rooms.get(cmd.room)?.joined) return; // sent after `joined`
    if (this.command(cmd)) entry.attempts += 1;
  }

  flushOutbox(filter) {
    for (const [cid, entry] of this.outbox) if (!entry.timer && filter(entry.cmd)) this.trySend(cid);
  }

  retryLater(cid, delay) {
    const entry = this.outbox.get(cid);
    if (!entry) return;
    clearTimeout(entry.timer);
    entry.timer = setTimeout(() => this.trySend(cid), delay);
  }

  // MARK: frames

  receive(frame) {
    const info = {};
    switch (frame.t) {
      case 'joined': {
        const entry = this.rooms.get(frame.room);
        if (!entry) break; // left meanwhile
        info.resumed = entry.sentSince != null;
        info.epochChanged = entry.epoch != null && entry.epoch !== frame.epoch;
        if (info.epochChanged) entry.since = null;
        entry.epoch = typeof frame.epoch === 'string' ? frame.epoch : null;
        entry.joined = true;
        for (const m of Array.isArray(frame.history) ? frame.history : []) {
          if (isId(m?.id)) entry.since = maxId(entry.since, m.id);
        }
        this.handlers.resume?.(frame.room, { since: entry.since, epoch: entry.epoch });
        this.flushOutbox((cmd) => cmd.t === 'send' && cmd.room === frame.room);
        break;
      }
      case 'msg': {
        const entry = frame.room != null ? this.rooms.get(frame.room) : null;
        if (entry && isId(frame.id)) {
          entry.since = maxId(entry.since, frame.id);
          this.handlers.resume?.(frame.room, { since: entry.since, epoch: entry.epoch });
        }
        break;
      }
      case 'left':
        this.rooms.delete(frame.room);
        break;
      case 'ack': {
        const entry = this.outbox.get(frame.cid);
        if (entry) {
          clearTimeout(entry.timer);
          this.outbox.delete(frame.cid);
          info.target = entry.cmd.t === 'send' ? { room: entry.cmd.room } : { dm: entry.cmd.to };
        }
        break;
      }
      case 'error':
        info.final = this.handleError(frame);
        break;
      default:
        break;
    }
    this.handlers.frame(frame, info);
  }

  /** Retries what can be retried; returns true when a queued message has failed for good. */
  handleError(frame) {
    const entry = frame.cid != null ? this.outbox.get(frame.cid) : null;
    if (!entry) {
      if (frame.code === 'unavailable') {
        // A join that could not reach storage: ask again a little later.
        for (const [room, point] of this.rooms) if (!point.joined) setTimeout(() => this.join(room), 2000);
      }
      return false;
    }
    switch (frame.code) {
      case 'rate_limited':
        this.retryLater(frame.cid, Math.max(50, Number(frame.retry_ms) || 1000) + Math.round(Math.random() * 100));
        return false;
      case 'unavailable':
        if (entry.attempts < 8) {
          this.retryLater(frame.cid, Math.min(10000, 500 * 2 ** entry.attempts));
          return false;
        }
        break;
      case 'not_member':
        if (entry.cmd.t === 'send' && this.rooms.has(entry.cmd.room) && entry.attempts < 3) {
          this.rooms.get(entry.cmd.room).joined = false;
          this.sendJoin(entry.cmd.room);
          return false;
        }
        break;
      default:
        break;
    }
    clearTimeout(entry.timer);
    this.outbox.delete(frame.cid);
    return true;
  }
}
