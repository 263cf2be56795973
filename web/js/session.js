// Login and what survives a reload: the token (sessionStorage, so it ends with the tab),
// and per user the resume points of rooms (last seen id and epoch), DM read marks,
// known names and the open chat.

const TOKEN_KEY = 'chat.token';

/** The claims of a JWT, unverified (the node verifies; the page only reads sub/name/exp/rooms). */
export function readClaims(token) {
  const parts = String(token).trim().split('.');
  if (parts.length !== 3) return null;
  try {
    const base64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4)), (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    if (!claims || typeof claims.sub !== 'string' || !/^(0|[1-9][0-9]{0,9})$/.test(claims.sub)) return null;
    return claims;
  } catch {
    return null;
  }
}

/** Whether a token's `exp` is in the past (with a minute of slack for clock skew). */
export function isExpired(claims, now = Date.now()) {
  return typeof claims.exp === 'number' && claims.exp * 1000 < now - 60000;
}

/** The identity a token stands for: `{token, uid, name, rooms}`; null when unusable. */
export function identity(token) {
  const claims = readClaims(token);
  if (!claims || isExpired(claims)) return null;
  const uid = Number(claims.sub);
  if (uid > 4294967295) return null;
  const rooms = Array.isArray(claims.rooms) ? claims.rooms : null;
  return { token: String(token).trim(), uid, name: typeof claims.name === 'string' ? claims.name : null, rooms };
}

export function savedToken() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function saveToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function forgetToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** Whether the node offers `/dev/token` (it answers 400 to a request without a name, 404 when off). */
export async function devLoginAvailable() {
  try {
    const response = await fetch('/dev/token', { cache: 'no-store' });
    return response.status === 400;
  } catch {
    return false;
  }
}

/** A token for `name` from `/dev/token`; throws with a readable message. */
export async function devLogin(name) {
  const response = await fetch(`/dev/token?user=${encodeURIComponent(name)}`, { cache: 'no-store' });
  if (response.status === 400) throw new Error('Names are 1 to 32 letters, digits, "-", "_" or ".".');
  if (!response.ok) throw new Error(`The node answered ${response.status}.`);
  const body = await response.json();
  if (typeof body.token !== 'string') throw new Error('The node sent no token.');
  return body.token;
}

const VALID_NAME = /^[\p{Alphabetic}0-9._-]{1,32}$/u;

/** Whether `name` is a dev login name. */
export function isDevName(name) {
  return VALID_NAME.test(name) && new TextEncoder().encode(name).length <= 32;
}

/** The user id the node derives from a dev login name: FNV-1a 32-bit of the lower-cased name, never 0. */
export function devUserId(name) {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(name.toLowerCase())) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash === 0 ? 1 : hash;
}

/**
 * Per-user state kept in sessionStorage:
 * `{rooms: {room: {since, epoch}}, dmSeen: {peer: id}, names: {uid: name}, dms: [peer],
 * readUpTo: {room: id}, active}` (readUpTo: how far others have read, for ticks after a reload).
 */
export class Memory {
  constructor(uid) {
    this.key = `chat.user.${uid}`;
    let stored = null;
    try {
      stored = JSON.parse(sessionStorage.getItem(this.key));
    } catch {
      stored = null;
    }
    this.data = Object.assign({ rooms: {}, dmSeen: {}, names: {}, dms: [], readUpTo: {}, active: null }, stored || {});
    this.timer = null;
  }

  /** Saves soon (many changes in one burst cost one write). */
  touch() {
    if (this.timer) return;
    this.timer = setTimeout(() => this.flush(), 250);
  }

  flush() {
    clearTimeout(this.timer);
    this.timer = null;
    try {
      sessionStorage.setItem(this.key, JSON.stringify(this.data));
    } catch {
      // Storage full or disabled: resume points are an optimisation, the chat still works.
    }
  }
}
