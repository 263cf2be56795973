// The chat list: rooms and DMs, newest activity first, with the last message, its time,
// an unread badge and (for DMs) an online dot. Rows are kept and updated in place.

import { h, setText, show } from './dom.js';
import { colorFor, initials, shortTime } from './format.js';

export class ChatListView {
  constructor(list, store, onOpen) {
    this.list = list;
    this.store = store;
    this.rows = new Map();
    list.addEventListener('click', (event) => {
      const row = event.target.closest('.chat-item');
      if (row) onOpen(row.dataset.key);
    });
    list.addEventListener('keydown', (event) => {
      const row = event.target.closest('.chat-item');
      if (row && (event.key === 'Enter' || event.key === ' ')) {
        event.preventDefault();
        onOpen(row.dataset.key);
      }
    });
  }

  render() {
    const { store } = this;
    const seen = new Set();
    let previous = null;
    for (const chat of store.sortedChats()) {
      seen.add(chat.key);
      let row = this.rows.get(chat.key);
      if (!row) {
        row = this.create(chat);
        this.rows.set(chat.key, row);
      }
      this.update(row, chat);
      const wanted = previous ? previous.nextSibling : this.list.firstChild;
      if (wanted !== row) this.list.insertBefore(row, wanted);
      previous = row;
    }
    for (const [key, row] of this.rows) {
      if (!seen.has(key)) {
        row.remove();
        this.rows.delete(key);
      }
    }
  }

  create(chat) {
    const parts = {
      avatar: h('div', { class: 'avatar' }),
      dot: h('span', { class: 'dot', title: 'online' }),
      title: h('span', { class: 'chat-item-title' }),
      time: h('span', { class: 'chat-item-time' }),
      who: h('span', { class: 'chat-item-who' }),
      text: h('span', { class: 'chat-item-text' }),
      badge: h('span', { class: 'badge' }),
    };
    const row = h('li', { class: 'chat-item', role: 'button', tabindex: '0', dataset: { key: chat.key, kind: chat.kind } },
      h('div', { class: 'avatar-wrap' }, parts.avatar, parts.dot),
      h('div', { class: 'chat-item-body' },
        h('div', { class: 'chat-item-row' }, parts.title, parts.time),
        h('div', { class: 'chat-item-row' }, h('span', { class: 'chat-item-preview' }, parts.who, parts.text), parts.badge)));
    row.parts = parts;
    parts.avatar.style.backgroundColor = colorFor(chat.id);
    return row;
  }

  update(row, chat) {
    const { store } = this;
    const { parts } = row;
    const title = store.title(chat);
    setText(parts.avatar, chat.kind === 'room' ? '#' : initials(title));
    setText(parts.title, title);
    row.classList.toggle('active', store.active === chat.key);
    const last = store.lastOf(chat);
    setText(parts.time, last ? shortTime(last.ts) : '');
    const typers = chat.kind === 'room' ? store.typers(chat) : [];
    row.classList.toggle('typing', typers.length > 0);
    if (typers.length > 0) {
      setText(parts.who, '');
      setText(parts.text, typers.length === 1 ? `${store.nameOf(typers[0])} is typing…` : `${typers.length} people are typing…`);
    } else if (last) {
      const own = last.from === store.me.uid;
      setText(parts.who, own ? 'You: ' : chat.kind === 'room' ? `${store.nameOf(last.from)}: ` : '');
      setText(parts.text, last.text.replace(/\s+/g, ' '));
    } else {
      setText(parts.who, '');
      setText(parts.text, chat.kind === 'room' ? (chat.joined ? 'No messages yet' : 'Joining…') : 'No messages yet');
    }
    setText(parts.badge, chat.unread > 99 ? '99+' : String(chat.unread));
    show(parts.badge, chat.unread > 0);
    const online = chat.kind === 'dm' && store.online.get(chat.id) === true;
    show(parts.dot, online);
    row.dataset.online = online ? '1' : '0';
    row.dataset.unread = String(chat.unread);
  }
}
