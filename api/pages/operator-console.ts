import type { TimelineEntry } from '../../app/link-service';
import { type HealthProblem, LINK_STATUSES } from '../../domain/link';
import type { AccessLogDoc } from '../../store/access-log';
import type { LinkDoc } from '../../store/links';
import type { OperatorReadDoc } from '../../store/operator-audit';
import { escapeHtml as html, layout } from './html';

const cell = (text: string) => `<td>${html(text)}</td>`;

/** The operators' list of links across apps (read-only), newest first. */
export function consoleListPage(links: LinkDoc[], filter: { status?: string; appId?: string }): string {
  const options = ['', ...LINK_STATUSES]
    .map((s) => `<option value="${s}"${filter.status === s ? ' selected' : ''}>${s || 'any status'}</option>`)
    .join('');
  const rows = links
    .map(
      (l) =>
        `<tr><td><a href="/ops/console/links/${html(encodeURIComponent(l._id))}">${html(l._id)}</a></td>${cell(l.status)}${cell(l.assignee)}${cell(l.organization.name)}${cell(l.appId)}${cell(l.updatedAt.toISOString())}</tr>`,
    )
    .join('');
  return layout(
    'Operator console',
    `<h1>Operator console</h1>
<p><a href="/ops/console/audit">Operator activity</a> (every operator read, kept a year)</p>
<form method="get" action="/ops/console">
<label for="status">Status</label><select id="status" name="status">${options}</select>
<label for="appId">App id</label><input id="appId" name="appId" value="${html(filter.appId ?? '')}" autocomplete="off">
<button type="submit">Filter</button>
</form>
<table><caption>${links.length} newest link(s)</caption>
<thead><tr><th scope="col">Link</th><th scope="col">Status</th><th scope="col">Assigned to</th><th scope="col">Organization</th><th scope="col">App</th><th scope="col">Updated (UTC)</th></tr></thead>
<tbody>${rows}</tbody></table>`,
  );
}

/** Who read what, when: the operator audit log, newest first. */
export function consoleAuditPage(reads: OperatorReadDoc[]): string {
  const rows = reads
    .map((r) => `<tr>${cell(r.at.toISOString())}${cell(r.operator)}${cell(r.method)}${cell(r.path)}</tr>`)
    .join('');
  return layout(
    'Operator activity',
    `<p><a href="/ops/console">← All links</a></p><h1>Operator activity</h1>
<table><caption>${reads.length} latest operator read(s)</caption>
<thead><tr><th scope="col">When (UTC)</th><th scope="col">Operator (token fingerprint)</th><th scope="col">Method</th><th scope="col">Path</th></tr></thead>
<tbody>${rows}</tbody></table>`,
  );
}

function healthProblemText(problem: HealthProblem | undefined): string {
  if (!problem) return '—';
  if (problem.kind === 'credentials_rejected') return `credentials rejected (${problem.problem})`;
  const what = problem.kind === 'needs_site_admin' ? 'needs a Site Admin acting user' : 'missing';
  return `${what}: ${problem.scopes.join(', ')}`;
}

/** One link and its whole story: the event log merged with the Temporal history. */
export function consoleLinkPage(link: LinkDoc, timeline: TimelineEntry[], recentUse: AccessLogDoc[]): string {
  const facts: [string, string][] = [
    ['Status', link.status],
    ['Assigned to', link.assignee],
    ['Organization', `${link.organization.name} (${link.organization.id})`],
    ['Requester', link.requester.email],
    ['Admin', link.admin?.email ?? '—'],
    ['App', link.appId],
    ['Permission set', link.permissionSet],
    ['Reminders sent', String(link.remindersSent)],
    ['Health checked', link.health?.checkedAt ?? '—'],
    ['Last healthy', link.health?.lastHealthyAt ?? '—'],
    ['Health problem', healthProblemText(link.health?.problem)],
    ['Created', link.createdAt.toISOString()],
  ];
  const missing = (link.lastProbe?.results ?? []).filter((r) => r.status !== 'granted');
  const rows = timeline
    .map(
      (e) =>
        `<tr>${cell(e.at)}${cell(e.source)}${cell(e.type)}${cell(e.actor)}<td><code>${html(Object.keys(e.detail).length ? JSON.stringify(e.detail) : '')}</code></td></tr>`,
    )
    .join('');
  const uses = recentUse
    .map(
      (u) =>
        `<tr>${cell(u.at.toISOString())}${cell(u.kind)}${cell(u.method && u.path ? `${u.method} ${u.path}` : '')}${cell(String(u.status))}${cell(`${u.durationMs} ms`)}${cell(u.responseBytes === undefined ? '' : String(u.responseBytes))}${cell(u.apiKeyId)}</tr>`,
    )
    .join('');
  return layout(
    `Link ${link._id}`,
    `<p><a href="/ops/console">← All links</a></p>
<h1>Link <code>${html(link._id)}</code></h1>
<dl>${facts.map(([k, v]) => `<dt>${html(k)}</dt><dd>${html(v)}</dd>`).join('')}</dl>
<h2>Missing permissions</h2>
${missing.length ? `<ul>${missing.map((r) => `<li><code>${html(r.scope)}</code> — ${html(r.status)}${r.evidence.httpStatus ? ` (HTTP ${r.evidence.httpStatus})` : ''}</li>`).join('')}</ul>` : '<p>None.</p>'}
<h2>Timeline</h2>
<table><caption>${timeline.length} entries, oldest first</caption>
<thead><tr><th scope="col">When (UTC)</th><th scope="col">Source</th><th scope="col">What</th><th scope="col">Who</th><th scope="col">Detail</th></tr></thead>
<tbody>${rows}</tbody></table>
<h2>Recent use</h2>
<table><caption>${recentUse.length ? `The ${recentUse.length} latest tokens, proxied calls and exports, newest first` : 'Not used yet'}</caption>
<thead><tr><th scope="col">When (UTC)</th><th scope="col">What</th><th scope="col">Call</th><th scope="col">Status</th><th scope="col">Took</th><th scope="col">Bytes</th><th scope="col">API key</th></tr></thead>
<tbody>${uses}</tbody></table>`,
  );
}
