import type { OperatorAuditDoc } from '../../../store/operator-audit';
import { type ConsoleContext, consolePage, html } from './shell';

/** Who signed in, read and did what, when: the operator audit log, newest first. */
export function consoleAuditPage(ctx: ConsoleContext, entries: OperatorAuditDoc[]): string {
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
<tbody>${rows}</tbody></table>`,
  );
}
