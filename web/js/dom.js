// DOM helpers. Everything that comes from the network goes into the page as text:
// strings become text nodes (Node.append) or textContent, never HTML.

/**
 * Creates an element. `props`: `class`, `text` (textContent), `dataset`, `on<event>`
 * listeners, anything else as an attribute. Children are nodes or strings (text).
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value == null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child != null && child !== false) el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** The element with `id`; throws early when the page and the script disagree. */
export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing #${id}`);
  return el;
}

/** Sets textContent only when it changed (keeps selections and avoids layout work). */
export function setText(el, text) {
  const value = String(text ?? '');
  if (el.textContent !== value) el.textContent = value;
}

/** Shows or hides an element through the `hidden` attribute. */
export function show(el, visible) {
  if (el.hidden === !!visible) el.hidden = !visible;
}
