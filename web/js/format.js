// Display helpers: names, initials, avatar colours, times. Pure functions of their input.

const COLORS = ['#e17076', '#7bc862', '#65aadd', '#a695e7', '#ee7aae', '#6ec9cb', '#faa774'];

/** A stable avatar colour for a user or room id. */
export function colorFor(id) {
  return COLORS[Math.abs(Number(id) || 0) % COLORS.length];
}

/** One or two letters for an avatar. */
export function initials(title) {
  const words = String(title).replace(/^(User|Room) /, '').split(/[\s._-]+/).filter(Boolean);
  if (words.length === 0) return '?';
  const letters = words.length > 1 ? words[0][0] + words[1][0] : [...words[0]].slice(0, 2).join('');
  return letters.toUpperCase();
}

/** "14:05" today, "Mon" this week, else "3 Mar" (or "3 Mar 2023" for another year). */
export function shortTime(ts, now = Date.now()) {
  const date = new Date(ts);
  const today = new Date(now);
  if (date.toDateString() === today.toDateString()) return clock(date);
  if (now - ts < 6 * 86400000 && ts < now) return date.toLocaleDateString(undefined, { weekday: 'short' });
  const options = { day: 'numeric', month: 'short' };
  if (date.getFullYear() !== today.getFullYear()) options.year = 'numeric';
  return date.toLocaleDateString(undefined, options);
}

/** "14:05". */
export function clock(date) {
  return date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

/** "Today", "Yesterday" or a date, for day dividers. */
export function dayLabel(ts, now = Date.now()) {
  const date = new Date(ts);
  const today = new Date(now);
  if (date.toDateString() === today.toDateString()) return 'Today';
  const yesterday = new Date(now - 86400000);
  if (date.toDateString() === yesterday.toDateString()) return 'Yesterday';
  const options = { weekday: 'long', day: 'numeric', month: 'long' };
  if (date.getFullYear() !== today.getFullYear()) options.year = 'numeric';
  return date.toLocaleDateString(undefined, options);
}

/** The local day of a timestamp, for grouping. */
export function dayKey(ts) {
  return new Date(ts).toDateString();
}

/** Bytes of `text` in UTF-8 (the node's limit is in bytes). */
export function utf8Length(text) {
  return new TextEncoder().encode(text).length;
}
