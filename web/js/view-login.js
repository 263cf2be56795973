// The login screen: with DEV_LOGIN a name (fetched into a token from /dev/token), else a
// pasted token. Resolves with the token; the caller checks it by connecting.

import { byId, setText, show } from './dom.js';
import { devLogin, devLoginAvailable, identity, isDevName } from './session.js';

export class LoginView {
  constructor() {
    this.el = {
      screen: byId('login'), form: byId('login-form'), nameRow: byId('login-name-row'), name: byId('login-name'),
      tokenRow: byId('login-token-row'), token: byId('login-token'), error: byId('login-error'),
      submit: byId('login-submit'), switcher: byId('login-switch'), hint: byId('login-hint'),
    };
  }

  /** Shows the screen and resolves with a usable token. `message` explains why it is shown. */
  async ask(message = '') {
    const { el } = this;
    const dev = await devLoginAvailable();
    let useName = dev;
    const layout = () => {
      show(el.nameRow, useName);
      show(el.tokenRow, !useName);
      show(el.switcher, dev);
      setText(el.switcher, useName ? 'Use a token instead' : 'Use a name (development login)');
      setText(el.hint, useName ? 'Development login: pick any name.' : 'Paste a token issued for this node.');
      (useName ? el.name : el.token).focus();
    };
    document.body.dataset.screen = 'login';
    show(el.screen, true);
    setText(el.error, message);
    layout();
    el.switcher.onclick = () => {
      useName = !useName;
      setText(el.error, '');
      layout();
    };
    return new Promise((resolve) => {
      el.form.onsubmit = async (event) => {
        event.preventDefault();
        setText(el.error, '');
        el.submit.disabled = true;
        try {
          let token;
          if (useName) {
            const name = el.name.value.trim();
            if (!isDevName(name)) throw new Error('Names are 1 to 32 letters, digits, "-", "_" or ".".');
            token = await devLogin(name);
          } else {
            token = el.token.value.trim();
          }
          if (!identity(token)) throw new Error('That is not a valid, unexpired token.');
          show(el.screen, false);
          el.form.onsubmit = null;
          resolve(token);
        } catch (error) {
          setText(el.error, error.message || String(error));
        } finally {
          el.submit.disabled = false;
        }
      };
    });
  }
}
