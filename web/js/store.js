// The page's state: chats, their messages, unread counts, typing, presence, read marks,
// the connection state and the node's load mode. Frames from the node go in through
// `apply`; views subscribe and redraw (batched to one redraw per animation frame).
//
// Chat keys: "r:<room>" for rooms, "d:<user>" for direct messages.
// Messages: {id, from, ts, text, edited, cid, status}; `id` is a decimal string and
// `status` ('pending' | 'sent' | 'failed') is set on the user's own messages only.

import { compareIds, isId, maxId } from './ids.js';

export const HISTORY_PAGE = 50;
const TYPING_MS = 5000;

/** The key of the chat a message or command belongs to. */
export function chatKey(target) {
  return target.room != null ? `r:${target.room}` : `d:${target.dm}`;
}

export class Store {
  constructor(me, memory) {
    this.me = me;
    this.memory = memory;
    this.conn = { state: 'idle', retryAt: 0 };
    this.mode = { level: 'normal', disabled: [] };
    /** key -> chat */
    this.chats = new Map();
    this.active = null;
    /** uid -> true/false for watched users */
    this.online = new Map();
    this.names = new Map(Object.entries(memory.data.names).map(([uid, name]) => [Number(uid), name]));
    if (me.name) this.names.set(me.uid, me.name);
    this.toasts = [];
    this.listeners = new Set();
    this.scheduled = false;
    /** Rooms left but not yet confirmed by `left`: a `chats` reply in flight must not bring them back. */
    this.leaving = new Set();
    for (const peer of memory.data.dms) this.chat(`d:${peer}`);
    for (const room of Object.keys(memory.data.rooms)) this.chat(`r:${room}`);
  }

  // MARK: subscriptions

  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Redraws once per frame, however many changes came in. */
  changed() {
    if (this.scheduled) return;
    this.scheduled = true;
    const run = () => {
      this.scheduled = false;
      for (const listener of this.listeners) listener(this);
    };
    if (document.visibilityState === 'visible') requestAnimationFrame(run);
    else setTimeout(run, 50);
  }

  // MARK: chats and messages

  /** The chat for `key`, created empty when new. */
  chat(key) {
    let chat = this.chats.get(key);
    if (!chat) {
      const [kind, id] = key.split(':');
      chat = {
        key,
        kind: kind === 'r' ? 'room' : 'dm',
        id: Number(id),
        confirmed: [], // messages with ids, oldest first
        pending: [], // own messages waiting for their ack, in send order
        byId: new Map(),
        last: null, // from `chats`, when no message is loaded
        unread: 0,
        members: null,
        joined: false,
        hasMore: false,
        loadingOlder: false,
        gapBefore: null, // id before which a "missing messages" divider goes
        readUpTo: kind === 'r' ? this.memory.data.readUpTo[id] ?? null : null, // the highest id others have read
        typing: new Map(), // uid -> until (ms)
        createdAt: Date.now(),
      };
      this.chats.set(key, chat);
    }
    return chat;
  }

  title(chat) {
    if (chat.kind === 'room') return `Room ${chat.id}`;
    return this.nameOf(chat.id);
  }

  nameOf(uid) {
    if (uid === this.me.uid) return this.me.name || `User ${uid}`;
    return this.names.get(uid) || `User ${uid}`;
  }

  learnName(uid, name) {
    if (!name || this.names.get(uid) === name) return;
    this.names.set(uid, name);
    this.memory.data.names[uid] = name;
    this.memory.touch();
    this.changed();
  }

  /** The newest message of a chat (a pending one included), or the `chats` preview. */
  lastOf(chat) {
    const pending = chat.pending[chat.pending.length - 1];
    if (pending) return pending;
    const newest = chat.confirmed[chat.confirmed.length - 1];
    if (!newest) return chat.last;
    if (chat.last && compareIds(chat.last.id, newest.id) > 0) return chat.last;
    return newest;
  }

  /** Chats newest activity first. */
  sortedChats() {
    const activity = (chat) => this.lastOf(chat)?.ts ?? chat.createdAt;
    return [...this.chats.values()].sort((a, b) => activity(b) - activity(a) || a.key.localeCompare(b.key));
  }

  /** Inserts or updates a message with an id; returns true when it was new. */
  upsert(chat, raw) {
    if (!isId(raw?.id) || typeof raw.text !== 'string') return false;
    const existing = chat.byId.get(raw.id);
    if (existing) {
      existing.text = raw.text;
      if (raw.edited) existing.edited = raw.edited;
      return false;
    }
    const from = Number(raw.from);
    const message = { id: raw.id, from, ts: Number(raw.ts) || Date.now(), text: raw.text, edited: raw.edited || null };
    if (from === this.me.uid) message.status = 'sent';
    chat.byId.set(message.id, message);
    const list = chat.confirmed;
    let at = list.length;
    while (at > 0 && compareIds(list[at - 1].id, message.id) > 0) at -= 1;
    list.splice(at, 0, message);
    return true;
  }

  /** Adds the user's own message before its ack. */
  addPending(key, cid, text) {
    const chat = this.chat(key);
    chat.pending.push({ id: null, cid, from: this.me.uid, ts: Date.now(), text, status: 'pending', edited: null });
    this.changed();
  }

  // MARK: frames from the node

  apply(frame, info = {}) {
    switch (frame.t) {
      case 'joined': this.joined(frame, info); break;
      case 'left': this.left(frame); break;
      case 'msg': this.message(frame); break;
      case 'ack': this.ack(frame, info); break;
      case 'history': this.history(frame); break;
      case 'typing': this.typing(frame); break;
      case 'read': this.read(frame); break;
      case 'edited': this.edited(frame); break;
      case 'presence': this.presence(frame); break;
      case 'chats': this.chatList(frame); break;
      case 'mode': this.setMode(frame); break;
      case 'error': this.error(frame, info); break;
      default: return;
    }
    this.changed();
  }

  joined(frame, info) {
    const chat = this.chat(`r:${frame.room}`);
    const history = Array.isArray(frame.history) ? frame.history : [];
    if (info.epochChanged) {
      // The room's history was lost on the node: what we show belongs to the old one.
      chat.confirmed = [];
      chat.byId = new Map();
      chat.readUpTo = null;
      delete this.memory.data.readUpTo[frame.room];
    }
    const hadMessages = chat.confirmed.length > 0;
    chat.joined = true;
    chat.members = Number(frame.members) || chat.members;
    if (frame.gap && (hadMessages || info.resumed)) chat.gapBefore = history[0]?.id ?? null;
    for (const m of history) this.upsert(chat, m);
    if (!hadMessages) chat.hasMore = info.resumed || history.length >= HISTORY_PAGE;
  }

  left(frame) {
    this.leaving.delete(frame.room);
    this.chats.delete(`r:${frame.room}`);
    delete this.memory.data.readUpTo[frame.room];
    if (this.active === `r:${frame.room}`) this.active = null;
  }

  message(frame) {
    const key = frame.room != null ? `r:${frame.room}` : frame.dm != null ? `d:${frame.dm}` : null;
    if (!key) return;
    const chat = this.chat(key);
    if (!this.upsert(chat, frame)) return;
    const from = Number(frame.from);
    chat.typing.delete(from);
    if (from !== this.me.uid && !this.isReading(chat)) chat.unread += 1;
    if (chat.kind === 'dm') {
      this.rememberDm(chat.id);
      if (this.isReading(chat)) this.markDmSeen(chat);
    }
    this.onNewSender?.(from);
  }

  /** Keeps a DM in the list across reloads (the node lists it only once it has a message). */
  rememberDm(peer) {
    if (this.memory.data.dms.includes(peer)) return;
    this.memory.data.dms.push(peer);
    this.memory.touch();
  }

  ack(frame, info) {
    if (!info.target || !isId(frame.id)) return;
    const chat = this.chat(chatKey(info.target));
    const index = chat.pending.findIndex((m) => m.cid === frame.cid);
    if (index < 0) return;
    const [message] = chat.pending.splice(index, 1);
    const known = chat.byId.get(frame.id);
    if (known) {
      // It came in a rejoin's history before its ack: keep one copy.
      known.cid = message.cid;
      known.status = 'sent';
      return;
    }
    Object.assign(message, { id: frame.id, ts: Number(frame.ts) || message.ts, status: 'sent' });
    chat.byId.set(message.id, message);
    const list = chat.confirmed;
    let at = list.length;
    while (at > 0 && compareIds(list[at - 1].id, message.id) > 0) at -= 1;
    list.splice(at, 0, message);
    if (chat.kind === 'dm') this.markDmSeen(chat);
  }

  history(frame) {
    const chat = this.chat(`r:${frame.room}`);
    const msgs = Array.isArray(frame.msgs) ? frame.msgs : [];
    for (const m of msgs) this.upsert(chat, m);
    chat.loadingOlder = false;
    if (msgs.length < (chat.pageSize || HISTORY_PAGE)) chat.hasMore = false;
  }

  typing(frame) {
    const uid = Number(frame.user);
    if (uid === this.me.uid) return;
    const chat = this.chats.get(`r:${frame.room}`);
    if (!chat) return;
    chat.typing.set(uid, Date.now() + TYPING_MS);
    setTimeout(() => this.changed(), TYPING_MS + 50);
  }

  /** Users typing in a chat now. */
  typers(chat) {
    const now = Date.now();
    const users = [];
    for (const [uid, until] of chat.typing) {
      if (until > now) users.push(uid);
      else chat.typing.delete(uid);
    }
    return users;
  }

  read(frame) {
    const chat = this.chats.get(`r:${frame.room}`);
    if (!chat || !isId(frame.id)) return;
    if (Number(frame.user) === this.me.uid) {
      // Read on another device: count only what is still above that position.
      chat.unread = chat.confirmed.filter((m) => m.from !== this.me.uid && compareIds(m.id, frame.id) > 0).length;
      return;
    }
    chat.readUpTo = maxId(chat.readUpTo, frame.id);
    this.memory.data.readUpTo[frame.room] = chat.readUpTo;
    this.memory.touch();
  }

  edited(frame) {
    const chat = this.chats.get(`r:${frame.room}`);
    const message = chat?.byId.get(frame.id);
    if (!message || typeof frame.text !== 'string') return;
    message.text = frame.text;
    message.edited = Number(frame.ets) || Date.now();
  }

  presence(frame) {
    if (Array.isArray(frame.online)) {
      const now = new Set(frame.online.map(Number));
      for (const uid of this.watched ?? []) this.online.set(uid, now.has(uid));
    } else if (frame.user != null) {
      this.online.set(Number(frame.user), frame.online === true);
    }
  }

  chatList(frame) {
    for (const item of Array.isArray(frame.items) ? frame.items : []) {
      const key = item.room != null ? `r:${item.room}` : item.dm != null ? `d:${item.dm}` : null;
      if (!key || this.leaving.has(item.room) || item.dm === this.me.uid) continue;
      const chat = this.chat(key);
      if (item.last && isId(item.last.id)) chat.last = { ...item.last, from: Number(item.last.from), ts: Number(item.last.ts) };
      let unread = Number(item.unread) || 0;
      if (chat.kind === 'dm') {
        const seen = this.memory.data.dmSeen[chat.id];
        if (seen && chat.last && compareIds(chat.last.id, seen) <= 0) unread = 0;
        if (typeof item.online === 'boolean') this.online.set(chat.id, item.online);
        // DMs have no history command: the newest one at least is shown in the panel.
        if (chat.last) this.upsert(chat, chat.last);
        this.rememberDm(chat.id);
      }
      chat.unread = this.isReading(chat) ? 0 : unread;
    }
  }

  setMode(frame) {
    const level = typeof frame.level === 'string' ? frame.level : 'normal';
    const disabled = Array.isArray(frame.disabled) ? frame.disabled.filter((f) => typeof f === 'string') : [];
    this.mode = { level, disabled };
  }

  /** Whether a feature (`typing`, `presence`, `receipts`, `edits`) is on at the node's level. */
  allows(feature) {
    return !this.mode.disabled.includes(feature);
  }

  error(frame, info) {
    if (frame.cid != null && info.final) {
      for (const chat of this.chats.values()) {
        const message = chat.pending.find((m) => m.cid === frame.cid);
        if (message) message.status = 'failed';
      }
    }
    if (frame.code === 'degraded' || (!info.final && frame.cid != null)) return; // the banner says it / retried
    if (frame.code === 'unavailable' && frame.cid == null) return; // joins are retried
    this.toast(describeError(frame));
  }

  toast(text) {
    const toast = { text, until: Date.now() + 4000 };
    this.toasts.push(toast);
    setTimeout(() => {
      this.toasts = this.toasts.filter((t) => t !== toast);
      this.changed();
    }, 4000);
    this.changed();
  }

  // MARK: reading

  /** Whether the user is looking at `chat` right now (open and the page visible). */
  isReading(chat) {
    return this.active === chat.key && document.visibilityState === 'visible';
  }

  open(key) {
    this.active = key;
    this.memory.data.active = key;
    this.memory.touch();
    const chat = key ? this.chat(key) : null;
    if (chat) {
      chat.unread = 0;
      if (chat.kind === 'dm') this.markDmSeen(chat);
    }
    this.changed();
  }

  markDmSeen(chat) {
    const last = this.lastOf(chat);
    if (!last?.id) return;
    const seen = this.memory.data.dmSeen[chat.id];
    if (seen && compareIds(seen, last.id) >= 0) return;
    this.memory.data.dmSeen[chat.id] = last.id;
    this.memory.touch();
  }

  /** Own message status for display: pending, sent, read or failed. */
  statusOf(chat, message) {
    if (message.status !== 'sent') return message.status;
    if (chat.readUpTo && compareIds(message.id, chat.readUpTo) <= 0) return 'read';
    return 'sent';
  }

  totalUnread() {
    let total = 0;
    for (const chat of this.chats.values()) total += chat.unread;
    return total;
  }
}

/** A short sentence for an error frame. */
export function describeError(frame) {
  const texts = {
    forbidden: 'This room is not open to you.',
    not_member: 'Join the room first.',
    not_author: 'Only the author can edit a message.',
    rate_limited: 'Slow down a little.',
    too_large: 'That message is too long.',
    unavailable: 'The server cannot store messages right now.',
    bad_request: 'The server did not accept that.',
  };
  return texts[frame.code] || `Error: ${String(frame.code || 'unknown')}`;
}
