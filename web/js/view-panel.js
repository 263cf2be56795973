// The open chat: header (title, members or presence, typing), the messages with day
// dividers and own-message ticks, upward paging, and the composer (Enter sends,
// Shift+Enter breaks the line, editing an own message reuses the composer).

import { byId, h, setText, show } from './dom.js';
import { clock, colorFor, dayKey, dayLabel, initials } from './format.js';

const TICKS = { pending: '◷', sent: '✓', read: '✓✓', failed: '!' };
const TICK_TITLES = { pending: 'Sending…', sent: 'Sent', read: 'Read', failed: 'Not sent' };

export class PanelView {
  /** `actions`: send(text), edit(id, text), typing(), loadOlder(), leave(), back(). */
  constructor(store, actions) {
    this.store = store;
    this.actions = actions;
    this.rows = new Map();
    this.shownKey = null;
    this.editing = null; // {id, chatKey}
    this.el = {
      empty: byId('empty'), chat: byId('chat'), avatar: byId('chat-avatar'), name: byId('chat-name'), sub: byId('chat-sub'),
      leave: byId('leave'), back: byId('back'), scroller: byId('messages'), older: byId('older'), list: byId('message-list'),
      composer: byId('composer'), input: byId('composer-input'), editBar: byId('edit-bar'), editPreview: byId('edit-preview'),
      editCancel: byId('edit-cancel'),
    };
    const { el } = this;
    el.composer.addEventListener('submit', (event) => {
      event.preventDefault();
      this.submit();
    });
    el.input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.submit();
      } else if (event.key === 'Escape' && this.editing) {
        this.stopEditing();
      } else if (event.key === 'ArrowUp' && !el.input.value) {
        this.editLastOwn();
      }
    });
    el.input.addEventListener('input', () => {
      this.grow();
      if (!this.editing && el.input.value.trim()) actions.typing();
    });
    el.editCancel.addEventListener('click', () => this.stopEditing());
    el.leave.addEventListener('click', () => actions.leave());
    el.back.addEventListener('click', () => actions.back());
    el.scroller.addEventListener('scroll', () => {
      if (el.scroller.scrollTop < 120) actions.loadOlder();
    });
    el.list.addEventListener('click', (event) => {
      const button = event.target.closest('.edit');
      const row = button?.closest('.msg');
      if (row?.dataset.id) this.startEditing(row.dataset.id);
    });
  }

  // MARK: composer

  submit() {
    const text = this.el.input.value.replace(/\s+$/, '');
    if (!text.trim()) return;
    const ok = this.editing ? this.actions.edit(this.editing.id, text) : this.actions.send(text);
    if (ok === false) return;
    this.el.input.value = '';
    this.grow();
    if (this.editing) this.stopEditing();
    this.stickToBottom = true;
  }

  startEditing(id) {
    const chat = this.store.chats.get(this.shownKey);
    const message = chat?.byId.get(id);
    if (!message || message.from !== this.store.me.uid || chat.kind !== 'room') return;
    if (!this.store.allows('edits')) {
      this.store.toast('Editing is paused while the server is busy.');
      return;
    }
    this.editing = { id, chatKey: chat.key };
    setText(this.el.editPreview, message.text);
    show(this.el.editBar, true);
    this.el.input.value = message.text;
    this.grow();
    this.el.input.focus();
  }

  stopEditing() {
    this.editing = null;
    show(this.el.editBar, false);
    this.el.input.value = '';
    this.grow();
  }

  editLastOwn() {
    const chat = this.store.chats.get(this.shownKey);
    if (!chat || chat.kind !== 'room') return;
    const own = [...chat.confirmed].reverse().find((m) => m.from === this.store.me.uid);
    if (own) this.startEditing(own.id);
  }

  grow() {
    const { input } = this.el;
    input.style.height = 'auto';
    input.style.height = `${Math.min(input.scrollHeight, 180)}px`;
  }

  // MARK: render

  render() {
    const { store, el } = this;
    const chat = store.active ? store.chats.get(store.active) : null;
    show(el.empty, !chat);
    show(el.chat, !!chat);
    document.body.classList.toggle('chat-open', !!chat);
    if (!chat) {
      this.shownKey = null;
      return;
    }
    const switched = this.shownKey !== chat.key;
    if (switched) {
      this.shownKey = chat.key;
      this.clearRows();
      if (this.editing) this.stopEditing();
      this.el.input.focus({ preventScroll: true });
    }
    this.renderHeader(chat);
    this.renderMessages(chat, switched);
  }

  renderHeader(chat) {
    const { store, el } = this;
    const title = store.title(chat);
    setText(el.name, title);
    setText(el.avatar, chat.kind === 'room' ? '#' : initials(title));
    el.avatar.style.backgroundColor = colorFor(chat.id);
    show(el.leave, chat.kind === 'room');
    const typers = chat.kind === 'room' ? store.typers(chat) : [];
    let sub;
    if (typers.length === 1) sub = `${store.nameOf(typers[0])} is typing…`;
    else if (typers.length > 1) sub = `${typers.map((u) => store.nameOf(u)).join(', ')} are typing…`;
    else if (chat.kind === 'room') sub = chat.joined ? `${chat.members ?? 0} member${chat.members === 1 ? '' : 's'}` : 'joining…';
    else if (!store.allows('presence')) sub = '';
    else sub = store.online.get(chat.id) ? 'online' : 'offline';
    setText(el.sub, sub);
    el.sub.classList.toggle('typing', typers.length > 0);
    el.sub.classList.toggle('online', chat.kind === 'dm' && store.online.get(chat.id) === true);
    el.chat.dataset.key = chat.key;
  }

  clearRows() {
    this.el.list.replaceChildren();
    this.rows.clear();
  }

  /** The rows to show: day dividers, a gap divider, then messages. */
  rowsFor(chat) {
    const rows = [];
    let day = null;
    let previous = null;
    const messages = [...chat.confirmed, ...chat.pending];
    for (const m of messages) {
      if (chat.gapBefore && m.id === chat.gapBefore) {
        rows.push({ key: `gap:${m.id}`, type: 'gap' });
        previous = null;
      }
      const mDay = dayKey(m.ts);
      if (mDay !== day) {
        rows.push({ key: `day:${mDay}`, type: 'day', ts: m.ts });
        day = mDay;
        previous = null;
      }
      const first = !previous || previous.from !== m.from || m.ts - previous.ts > 5 * 60000;
      rows.push({ key: m.cid ? `c:${m.cid}` : `i:${m.id}`, type: 'msg', message: m, first });
      previous = m;
    }
    return rows;
  }

  renderMessages(chat, switched) {
    const { el } = this;
    const scroller = el.scroller;
    const atBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 60;
    const fromBottom = scroller.scrollHeight - scroller.scrollTop;
    const firstBefore = el.list.firstChild;

    const seen = new Set();
    let previous = null;
    for (const row of this.rowsFor(chat)) {
      seen.add(row.key);
      let node = this.rows.get(row.key);
      if (!node) {
        node = this.create(row);
        this.rows.set(row.key, node);
      }
      if (row.type === 'msg') this.update(node, chat, row);
      const wanted = previous ? previous.nextSibling : el.list.firstChild;
      if (wanted !== node) el.list.insertBefore(node, wanted);
      previous = node;
    }
    for (const [key, node] of this.rows) {
      if (!seen.has(key)) {
        node.remove();
        this.rows.delete(key);
      }
    }

    let older = '';
    if (chat.kind === 'dm') older = 'Direct messages received in this session, and the latest one';
    else if (chat.loadingOlder) older = 'Loading earlier messages…';
    else if (!chat.hasMore && chat.joined && chat.confirmed.length > 0) older = 'Beginning of the conversation';
    setText(el.older, older);

    if (switched || this.stickToBottom || atBottom) {
      scroller.scrollTop = scroller.scrollHeight;
      this.stickToBottom = false;
    } else if (firstBefore && el.list.firstChild !== firstBefore) {
      scroller.scrollTop = scroller.scrollHeight - fromBottom; // older messages came in above
    }
    if (chat.kind === 'room' && chat.hasMore && !chat.loadingOlder && scroller.scrollHeight <= scroller.clientHeight + 120) {
      this.actions.loadOlder(); // not enough to scroll yet: fill the view
    }
    el.list.dataset.count = String(chat.confirmed.length + chat.pending.length);
  }

  create(row) {
    if (row.type === 'day') return h('li', { class: 'divider day' }, h('span', { text: dayLabel(row.ts) }));
    if (row.type === 'gap') return h('li', { class: 'divider gap' }, h('span', { text: 'Some earlier messages are not available' }));
    const parts = {
      sender: h('div', { class: 'sender' }),
      text: h('div', { class: 'text' }),
      edited: h('span', { class: 'edited', text: 'edited' }),
      time: h('span', { class: 'time' }),
      ticks: h('span', { class: 'ticks' }),
      edit: h('button', { type: 'button', class: 'edit', title: 'Edit', 'aria-label': 'Edit message' }, '✎'),
    };
    const node = h('li', { class: 'msg' },
      h('div', { class: 'bubble' }, parts.sender, parts.text, h('span', { class: 'meta' }, parts.edited, parts.time, parts.ticks)),
      parts.edit);
    node.parts = parts;
    return node;
  }

  update(node, chat, row) {
    const { store } = this;
    const m = row.message;
    const { parts } = node;
    const own = m.from === store.me.uid;
    node.classList.toggle('own', own);
    node.classList.toggle('other', !own);
    node.classList.toggle('first', row.first);
    if (m.id) node.dataset.id = m.id;
    if (m.cid) node.dataset.cid = m.cid;
    const showSender = !own && chat.kind === 'room' && row.first;
    show(parts.sender, showSender);
    if (showSender) {
      setText(parts.sender, store.nameOf(m.from));
      parts.sender.style.color = colorFor(m.from);
    }
    setText(parts.text, m.text);
    show(parts.edited, !!m.edited);
    setText(parts.time, clock(new Date(m.ts)));
    const status = own ? store.statusOf(chat, m) : null;
    node.dataset.status = status ?? '';
    show(parts.ticks, !!status);
    if (status) {
      setText(parts.ticks, TICKS[status]);
      parts.ticks.title = TICK_TITLES[status];
      parts.ticks.className = `ticks ${status}`;
    }
    show(parts.edit, own && chat.kind === 'room' && !!m.id && store.allows('edits'));
  }
}
