import { mayAct } from '../../../domain/operator';
import type { OperatorAuditDoc } from '../../../store/operator-audit';
import { type ConsoleContext, consolePage, csrfField, html } from './shell';

/** Who holds a console session now; operators with `act` can end them (everyone's, or one operator's). */
function sessionsPanel(ctx: ConsoleContext, sessions: { operator: string; sessions: number }[]): string {
  const rows = sessions.map((s) => `<tr><td>${html(s.operator)}</td><td>${s.sessions}</td></tr>`).join('');
  const options = sessions
    .map((s) => `<option value="${html(s.operator)}">${html(s.operator)}</option>`)
    .join('');
  const form =
    mayAct(ctx.operator) && ctx.csrf
      ? `<form method="post" action="/ops/console/sessions/end">${csrfField(ctx)}
<label for="end-operator">End the sessions of</label>
<select id="end-operator" name="operator"><option value="">every operator (you too)</option>${options}</select>
<button type="submit">End sessions</button></form>`
      : '';
  return `<h2>Console sessions</h2>
<p>A session lasts until it expires, is signed out, or its token leaves OPERATOR_TOKENS; the role is read from OPERATOR_TOKENS on every request. <code>npm run cli -- operators sign-out-all</code> ends them too.</p>
<table><caption>Open sessions by operator</caption><thead><tr><th scope="col">Operator</th><th scope="col">Sessions</th></tr></thead><tbody>${rows}</tbody></table>${form}`;
}

/** Who signed in, read and did what, when: the operator audit log, newest first. */
export function consoleAuditPage(
  ctx: ConsoleContext,
  entries: OperatorAuditDoc[],
  sessions: { operator: string; sessions: number }[],
): string {
  const rows = entries
    .map((e) => {
      const what = e.linkId
        ? `<a href="/ops/console/links/${html(encodeURIComponent(e.linkId))}"><code>${html(e.linkId)}</code></a>`
        : `<code>${html(`${e.method} ${e.path}`)}</code>`;
      return `<tr><td>${html(e.at.toISOString())}</td><td>${html(e.operator)}</td><td>${html(e.kind ?? 'read')}</td><td>${what}</td><td>${html(e.detail ?? '')}</td></tr>`;
    })
    .join('');
  return consolePage(
    ctx,
    'Operator activity',
    '/ops/console/audit',
    `<h1>Operator activity</h1>
<p>Every sign-in (and refused attempt), sign-out, read and action, kept a year. Operators appear by their token's name, never the token.</p>
<table><caption>${entries.length} latest entries, newest first</caption>
<thead><tr><th scope="col">When (UTC)</th><th scope="col">Operator</th><th scope="col">Kind</th><th scope="col">What</th><th scope="col">Detail</th></tr></thead>
<tbody>${rows}</tbody></table>
${sessionsPanel(ctx, sessions)}`,
  );
}
