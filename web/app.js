// The web messenger: login, then the protocol client, the state store and the views,
// wired together. No build step: plain ES modules served by the node.
//
//   WebSocket ─▶ ChatClient (reconnect, rejoin with since/epoch, outbox)
//                   │ frames
//                   ▼
//                 Store (chats, messages, unread, typing, presence, mode) ─▶ views
//                   ▲                                                      │
//                   └──────────── actions (send, edit, join, read …) ◀─────┘

import { ChatClient } from './js/client.js';
import { byId, setText } from './js/dom.js';
import { colorFor, initials, utf8Length } from './js/format.js';
import { compareIds } from './js/ids.js';
import { Memory, devUserId, forgetToken, identity, isDevName, saveToken, savedToken } from './js/session.js';
import { HISTORY_PAGE, Store } from './js/store.js';
import { ChatListView } from './js/view-chats.js';
import { LoginView } from './js/view-login.js';
import { PanelView } from './js/view-panel.js';
import { StatusView } from './js/view-status.js';

const MAX_TEXT_BYTES = 4096;
const TYPING_EVERY_MS = 3000;
const MAX_WATCHED = 500;
const NOTICE_KEY = 'chat.notice';

async function main() {
  let token = savedToken();
  if (!token || !identity(token)) {
    forgetToken();
    const notice = sessionStorage.getItem(NOTICE_KEY) || '';
    sessionStorage.removeItem(NOTICE_KEY);
    token = await new LoginView().ask(notice);
    saveToken(token);
  }
  startMessenger(identity(token));
}

/** Back to the login screen, with a reason to show there. */
function signOut(client, memory, notice = '') {
  client.stop();
  forgetToken();
  if (memory) sessionStorage.removeItem(memory.key);
  if (notice) sessionStorage.setItem(NOTICE_KEY, notice);
  window.location.reload();
}

function startMessenger(me) {
  const memory = new Memory(me.uid);
  const store = new Store(me, memory);
  const lastRead = new Map(); // room -> id sent in our last `read`
  const refreshedAt = new Map(); // room -> when it was last opened with a fresh join
  let lastTypingAt = 0;
  let watched = [];
  let presenceTimer = null;

  const client = new ChatClient({
    token: me.token,
    resume: memory.data.rooms,
    handlers: {
      frame(frame, info) {
        store.apply(frame, info);
        afterFrame(frame);
      },
      state(state, detail) {
        store.conn = { state, retryAt: detail.retryAt || 0 };
        store.changed();
      },
      open() {
        for (const chat of store.chats.values()) chat.loadingOlder = false;
        client.command({ t: 'chats' });
        watched = [];
        schedulePresence(0);
      },
      closedBeforeOpen(everOpened) {
        if (!everOpened) checkRefused();
      },
      resume(room, point) {
        if (!client.rooms.has(room)) return;
        memory.data.rooms[room] = point;
        memory.touch();
      },
    },
  });

  /** A first connection that fails while the node answers HTTP: the token was refused. */
  async function checkRefused() {
    try {
      const health = await fetch('/health', { cache: 'no-store' });
      if (health.ok) signOut(client, memory, 'The node refused this session: sign in again.');
    } catch {
      // The node is unreachable: keep retrying.
    }
  }

  function afterFrame(frame) {
    switch (frame.t) {
      case 'chats':
        for (const chat of store.chats.values()) {
          if (chat.kind === 'room' && !client.rooms.has(chat.id)) client.join(chat.id);
        }
        schedulePresence(0);
        break;
      case 'joined':
      case 'msg':
      case 'history': {
        const chat = store.chats.get(store.active);
        if (chat && chat.kind === 'room' && chat.id === frame.room) markRead(chat);
        break;
      }
      case 'left':
        delete memory.data.rooms[frame.room];
        memory.touch();
        break;
      case 'mode':
        if (store.allows('presence')) schedulePresence(0);
        break;
      default:
        break;
    }
  }

  // MARK: reading and presence

  function markRead(chat) {
    if (chat.kind !== 'room' || !chat.joined || !store.isReading(chat) || !store.allows('receipts')) return;
    const newest = chat.confirmed[chat.confirmed.length - 1];
    if (!newest) return;
    const sent = lastRead.get(chat.id);
    if (sent && compareIds(newest.id, sent) <= 0) return;
    if (client.command({ t: 'read', room: chat.id, id: newest.id })) lastRead.set(chat.id, newest.id);
  }

  /** Watches DM peers and the people seen in rooms (at most 500, as the node allows). */
  function schedulePresence(delay = 500) {
    clearTimeout(presenceTimer);
    presenceTimer = setTimeout(() => {
      if (!store.allows('presence') || store.conn.state !== 'online') return;
      const users = new Set();
      for (const chat of store.chats.values()) if (chat.kind === 'dm') users.add(chat.id);
      for (const chat of store.chats.values()) {
        for (let i = chat.confirmed.length - 1; i >= 0 && users.size < MAX_WATCHED; i -= 1) users.add(chat.confirmed[i].from);
      }
      users.delete(me.uid);
      const list = [...users].slice(0, MAX_WATCHED).sort((a, b) => a - b);
      if (list.join() === watched.join()) return;
      if (client.command({ t: 'presence', users: list })) {
        watched = list;
        store.watched = list;
      }
    }, delay);
  }
  store.onNewSender = (uid) => {
    if (uid !== me.uid && !watched.includes(uid)) schedulePresence();
  };

  // MARK: actions

  function activeChat() {
    return store.active ? store.chats.get(store.active) : null;
  }

  function open(key) {
    store.open(key);
    const chat = activeChat();
    if (!chat) return;
    markRead(chat);
    // The node announces no member changes: opening a room refreshes its count (at most every 30 s).
    if (chat.kind === 'room' && chat.joined && Date.now() - (refreshedAt.get(chat.id) || 0) > 30000) {
      refreshedAt.set(chat.id, Date.now());
      client.refresh(chat.id);
    }
  }

  const actions = {
    send(text) {
      const chat = activeChat();
      if (!chat) return false;
      if (utf8Length(text) > MAX_TEXT_BYTES) {
        store.toast(`Messages are limited to ${MAX_TEXT_BYTES} bytes.`);
        return false;
      }
      const target = chat.kind === 'room' ? { room: chat.id } : { dm: chat.id };
      const cid = client.post(target, text);
      store.addPending(chat.key, cid, text);
      if (chat.kind === 'dm') store.rememberDm(chat.id);
      return true;
    },
    edit(id, text) {
      const chat = activeChat();
      if (!chat || chat.kind !== 'room') return false;
      if (utf8Length(text) > MAX_TEXT_BYTES) {
        store.toast(`Messages are limited to ${MAX_TEXT_BYTES} bytes.`);
        return false;
      }
      if (!client.command({ t: 'edit', room: chat.id, id, text })) {
        store.toast('You are offline: the edit was not sent.');
        return false;
      }
      return true;
    },
    typing() {
      const chat = activeChat();
      if (!chat || chat.kind !== 'room' || !chat.joined || !store.allows('typing')) return;
      const now = Date.now();
      if (now - lastTypingAt < TYPING_EVERY_MS) return;
      if (client.command({ t: 'typing', room: chat.id })) lastTypingAt = now;
    },
    loadOlder() {
      const chat = activeChat();
      if (!chat || chat.kind !== 'room' || !chat.joined || !chat.hasMore || chat.loadingOlder) return;
      const cmd = { t: 'history', room: chat.id, limit: HISTORY_PAGE };
      if (chat.confirmed.length > 0) cmd.before = chat.confirmed[0].id;
      if (client.command(cmd)) {
        chat.loadingOlder = true;
        chat.pageSize = HISTORY_PAGE;
        store.changed();
      }
    },
    leave() {
      const chat = activeChat();
      if (!chat || chat.kind !== 'room') return;
      client.leave(chat.id);
      store.leaving.add(chat.id);
      store.chats.delete(chat.key);
      delete memory.data.rooms[chat.id];
      memory.touch();
      open(null);
    },
    back() {
      open(null);
    },
  };

  function joinRoom(text) {
    const room = /^[0-9]{1,10}$/.test(text) ? Number(text) : NaN;
    if (!(room >= 0 && room <= 4294967295)) {
      store.toast('A room id is a number from 0 to 4294967295.');
      return false;
    }
    if (me.rooms && !me.rooms.includes(room)) {
      store.toast(`Your token does not allow room ${room}.`);
      return false;
    }
    store.chat(`r:${room}`);
    if (!client.rooms.has(room)) client.join(room);
    open(`r:${room}`);
    return true;
  }

  function messageUser(text) {
    let uid;
    if (/^[0-9]{1,10}$/.test(text)) uid = Number(text);
    else if (isDevName(text)) {
      uid = devUserId(text);
      store.learnName(uid, text);
    }
    if (!(uid >= 0 && uid <= 4294967295)) {
      store.toast('Enter a user id (a number) or a name.');
      return false;
    }
    if (uid === me.uid) {
      store.toast('That is you.');
      return false;
    }
    store.chat(`d:${uid}`);
    store.rememberDm(uid);
    open(`d:${uid}`);
    schedulePresence(0);
    return true;
  }

  // MARK: views

  const list = new ChatListView(byId('chat-list'), store, open);
  const panel = new PanelView(store, actions);
  const status = new StatusView(store, { retryNow: () => client.retryNow() });
  store.subscribe(() => {
    list.render();
    panel.render();
    status.render();
  });

  const meTitle = me.name || `User ${me.uid}`;
  setText(byId('me-name'), meTitle);
  const avatar = byId('me-avatar');
  setText(avatar, initials(meTitle));
  avatar.style.backgroundColor = colorFor(me.uid);
  avatar.title = `Your user id: ${me.uid}`;

  for (const [formId, inputId, run] of [['join-form', 'join-room', joinRoom], ['dm-form', 'dm-user', messageUser]]) {
    const input = byId(inputId);
    byId(formId).addEventListener('submit', (event) => {
      event.preventDefault();
      if (run(input.value.trim())) input.value = '';
    });
  }
  byId('logout').addEventListener('click', () => signOut(client, memory));
  document.addEventListener('visibilitychange', () => {
    const chat = activeChat();
    if (document.visibilityState === 'visible' && chat) {
      chat.unread = 0;
      markRead(chat);
      store.changed();
    }
  });
  window.addEventListener('pagehide', () => memory.flush());

  document.body.dataset.screen = 'app';
  byId('app').hidden = false;
  if (memory.data.active && store.chats.has(memory.data.active)) open(memory.data.active);
  store.changed();
  client.start();

  // Test and debugging hooks (read-only views of the state, plus a simulated network cut).
  window.__chat = {
    me,
    store,
    client,
    debugDisconnect: (holdMs = 0) => client.debugDisconnect(holdMs),
    sent: () => client.sent.slice(),
  };
}

main();
