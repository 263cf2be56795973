// Status around the chat: the connection line and banner ("Connecting…", "Waiting for
// network"), the node's degraded-mode banner, toasts, the page title's unread count.

import { byId, h, setText, show } from './dom.js';

const FEATURE_NAMES = { typing: 'typing', presence: 'online status', receipts: 'read receipts', edits: 'editing', uploads: 'uploads' };

export class StatusView {
  constructor(store, { retryNow }) {
    this.store = store;
    this.el = { status: byId('conn-status'), banner: byId('conn-banner'), mode: byId('mode-banner'), toasts: byId('toasts') };
    this.retryNow = retryNow;
    this.toastNodes = new Map();
    this.ticker = null;
  }

  /** The connection in words, for the sidebar line and the banner. */
  connectionText() {
    const { state, retryAt } = this.store.conn;
    switch (state) {
      case 'online': return 'online';
      case 'waiting': return 'Waiting for network…';
      case 'retrying': {
        const seconds = Math.ceil((retryAt - Date.now()) / 1000);
        return seconds > 1 ? `Connecting… (retry in ${seconds} s)` : 'Connecting…';
      }
      case 'closed': return 'Signed out';
      default: return 'Connecting…';
    }
  }

  render() {
    const { store, el } = this;
    const { state } = store.conn;
    const text = this.connectionText();
    document.body.dataset.conn = state;
    setText(el.status, state === 'online' ? 'online' : text);
    el.status.classList.toggle('offline', state !== 'online');
    show(el.banner, state !== 'online' && state !== 'closed');
    if (state !== 'online') {
      if (!el.banner.firstChild) {
        el.banner.append(h('span', { class: 'banner-text' }), h('button', { type: 'button', class: 'link', onclick: () => this.retryNow() }, 'Retry now'));
      }
      setText(el.banner.firstChild, text);
      show(el.banner.lastChild, state === 'retrying' && store.conn.retryAt - Date.now() > 1500);
    }
    // Count the retry down while waiting.
    if (state === 'retrying' && !this.ticker) this.ticker = setInterval(() => this.render(), 1000);
    if (state !== 'retrying' && this.ticker) {
      clearInterval(this.ticker);
      this.ticker = null;
    }

    const { level, disabled } = store.mode;
    const degraded = level !== 'normal';
    show(el.mode, degraded);
    el.mode.dataset.level = level;
    if (degraded) {
      const off = disabled.map((f) => FEATURE_NAMES[f] || f);
      setText(el.mode, off.length > 0
        ? `The server is under heavy load (${level}): ${off.join(', ')} paused. Messages still go through.`
        : `The server is busy (${level}): messages may be slower than usual.`);
    }

    const unread = store.totalUnread();
    document.title = unread > 0 ? `(${unread}) chat-node` : 'chat-node';

    for (const toast of store.toasts) {
      if (this.toastNodes.has(toast)) continue;
      const node = h('div', { class: 'toast', role: 'alert', text: toast.text });
      this.toastNodes.set(toast, node);
      el.toasts.append(node);
    }
    for (const [toast, node] of this.toastNodes) {
      if (!store.toasts.includes(toast)) {
        node.remove();
        this.toastNodes.delete(toast);
      }
    }
  }
}
