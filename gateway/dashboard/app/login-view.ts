import { ApiError, login } from './api.ts';
import { h } from './dom.ts';

/**
 * The login form. The token is posted once to `/v1/session`, which answers with an HttpOnly
 * cookie; the page never stores it (no localStorage, no URL) and clears the field either way.
 */
export function loginView(onLoggedIn: () => void): HTMLElement {
  const input = h('input', {
    id: 'token',
    name: 'token',
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: 'fjord token',
    required: true,
    'aria-label': 'Token',
  });
  const error = h('p', { id: 'login-error', class: 'error', role: 'alert', hidden: true });
  const button = h('button', { type: 'submit' }, 'Sign in');
  const form = h(
    'form',
    {
      id: 'login-form',
      class: 'login card',
      onsubmit: (event) => {
        event.preventDefault();
        const token = input.value.trim();
        input.value = '';
        button.disabled = true;
        error.hidden = true;
        login(token)
          .then(onLoggedIn, (thrown: unknown) => {
            error.textContent =
              thrown instanceof ApiError && thrown.status === 401
                ? 'That token is not valid. Use the token from .fn/credentials.json or one an admin created.'
                : thrown instanceof Error
                  ? thrown.message
                  : String(thrown);
            error.hidden = false;
            input.focus();
          })
          .finally(() => {
            button.disabled = false;
          });
      },
    },
    h('h1', {}, 'Fjord'),
    h('p', { class: 'muted' }, 'Sign in with a token of scope invoke, deploy or admin.'),
    h('label', { for: 'token' }, 'Token'),
    input,
    button,
    error,
  );
  return h('main', { class: 'login-page' }, form);
}
