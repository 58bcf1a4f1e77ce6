// The visitor's API key: asked for once in a form, kept in this browser's localStorage (which
// only this origin can read), forgotten on request.

import { byId } from './dom.js';

const STORAGE_NAME = 'mobiniti-events.api-key';

// localStorage throws where storage is disabled; the key then lasts as long as the page.
export function storedKey() {
  try {
    return localStorage.getItem(STORAGE_NAME) || '';
  } catch {
    return '';
  }
}

export function keepKey(key) {
  try {
    localStorage.setItem(STORAGE_NAME, key);
  } catch {
    // Not kept: asked again on the next visit.
  }
}

export function forgetKey() {
  try {
    localStorage.removeItem(STORAGE_NAME);
  } catch {
    // Nothing was kept.
  }
}

/**
 * Shows the key form and resolves with what the visitor submits. `problem` says why it is
 * shown again (a refused key, too many attempts); the first time it is empty.
 */
export function askForKey(problem = '') {
  const panel = byId('key-panel');
  const form = byId('key-form');
  const input = byId('key-input');
  const error = byId('key-error');
  byId('board').hidden = true;
  byId('forget-key').hidden = true;
  panel.hidden = false;
  error.textContent = problem;
  error.hidden = !problem;
  input.setAttribute('aria-invalid', problem ? 'true' : 'false');
  input.value = '';
  input.focus();
  return new Promise((resolve) => {
    const submitted = (event) => {
      event.preventDefault();
      const key = input.value.trim();
      if (!key) return;
      form.removeEventListener('submit', submitted);
      panel.hidden = true;
      resolve(key);
    };
    form.addEventListener('submit', submitted);
  });
}
