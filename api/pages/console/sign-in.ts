import { escapeHtml as html, layout } from '../html';

/** The console's sign-in form: an operator token in, a session cookie out. Works without JavaScript. */
export function signInPage(o: { csrf: string; next: string; error?: string }): string {
  const error = o.error
    ? `<div class="error-summary" role="alert" tabindex="-1"><h2>Not signed in</h2><p>${html(o.error)}</p></div>`
    : '';
  return layout(
    'Operator sign-in',
    `<h1>Operator sign-in</h1>
${error}
<p>Sign in with your operator token (one of <code>OPERATOR_TOKENS</code>). The session lasts a few hours; sign-ins and actions are recorded under your token's name.</p>
<form method="post" action="/ops/login">
<input type="hidden" name="_csrf" value="${html(o.csrf)}">
<input type="hidden" name="next" value="${html(o.next)}">
<label for="token">Operator token</label>
<input id="token" name="token" type="password" required autocomplete="current-password" spellcheck="false"${o.error ? ' aria-invalid="true"' : ''}>
<button type="submit">Sign in</button>
</form>`,
    { stylesheet: '/assets/console.css' },
  );
}
