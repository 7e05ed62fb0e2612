import type { TimelineEntry } from '../../../app/link-service';
import { OPERATOR_ACTIONS, type OperatorActionName } from '../../../app/operator-actions';
import { type HealthProblem, missingScopes } from '../../../domain/link';
import { mayAct } from '../../../domain/operator';
import type { AccessLogDoc } from '../../../store/access-log';
import type { LinkDoc } from '../../../store/links';
import type { WebhookDeliveryDoc } from '../../../store/webhooks';
import { type ConsoleContext, consolePage, html } from './shell';
import { spanText } from './time';

const cell = (text: string) => `<td>${html(text)}</td>`;

function healthProblemText(problem: HealthProblem | undefined): string {
  if (!problem) return '—';
  if (problem.kind === 'credentials_rejected') return `credentials rejected (${problem.problem})`;
  const what = problem.kind === 'needs_site_admin' ? 'needs a Site Admin acting user' : 'missing';
  return `${what}: ${problem.scopes.join(', ')}`;
}

/** One sentence: where the link stands and who it waits on. */
export function linkSummary(link: LinkDoc, now: Date): string {
  const waitingOn = link.assignee === 'admin' ? (link.admin?.email ?? 'the admin') : link.requester.email;
  const since = spanText(now.getTime() - (link.assignedAt ?? link.createdAt).getTime());
  const missing = missingScopes(link).length;
  const reminders = `${link.remindersSent} reminder${link.remindersSent === 1 ? '' : 's'} sent`;
  switch (link.status) {
    case 'awaiting_credentials':
      return `Waiting ${since} on ${waitingOn} to paste Greenhouse credentials; ${reminders}.`;
    case 'verifying':
      return 'Checking the credentials just submitted.';
    case 'awaiting_permissions':
      return `Waiting ${since} on ${waitingOn} for ${missing} permission${missing === 1 ? '' : 's'}; ${reminders}.`;
    case 'linked':
      return `Linked; last healthy check ${link.health?.checkedAt ?? 'not yet'}.`;
    case 'degraded':
      return `Degraded: ${healthProblemText(link.health?.problem ?? undefined)}; waiting on ${waitingOn}.`;
    case 'disconnected':
      return `Disconnected: Greenhouse rejects the credentials; waiting on ${waitingOn} to reconnect.`;
    default:
      return `${link.status[0]?.toUpperCase()}${link.status.slice(1)}${link.deletedAt ? ' and deleted' : ''}.`;
  }
}

function actionsPanel(ctx: ConsoleContext, link: LinkDoc): string {
  if (!mayAct(ctx.operator)) return '<p class="muted">Your role is read: actions need the act role.</p>';
  const items = (Object.keys(OPERATOR_ACTIONS) as OperatorActionName[]).map((name) => {
    const action = OPERATOR_ACTIONS[name];
    const why = action.unavailable(link);
    const href = `/ops/console/links/${encodeURIComponent(link._id)}/actions/${name}`;
    return why
      ? `<li><span class="muted">${html(action.label)} — ${html(why)}</span></li>`
      : `<li><a href="${html(href)}">${html(action.label)}…</a></li>`;
  });
  return `<section aria-labelledby="actions"><h2 id="actions">Actions</h2><ul class="action-list">${items.join('')}</ul></section>`;
}

function deliveriesTable(deliveries: WebhookDeliveryDoc[]): string {
  const rows = deliveries
    .map((d) => {
      const attempts = d.attempts
        .map((a) => `${a.at.toISOString()} → ${a.httpStatus ?? a.error ?? 'no answer'} (${a.durationMs} ms)`)
        .join('\n');
      return `<tr>${cell(d.firstAttemptAt.toISOString())}${cell(d.type)}${cell(d.status)}<td><details><summary>${d.attemptCount} attempt(s)</summary><pre>${html(attempts)}</pre></details></td>${cell(d.endpointId)}</tr>`;
    })
    .join('');
  return `<table><caption>${deliveries.length ? `${deliveries.length} latest webhook deliveries, newest first` : 'No webhook delivery yet'}</caption>
<thead><tr><th scope="col">First attempt (UTC)</th><th scope="col">Event</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col">Endpoint</th></tr></thead>
<tbody>${rows}</tbody></table>`;
}

/** One link: where it stands, what can be done, and its whole story (event log merged with Temporal history). */
export function consoleLinkPage(
  ctx: ConsoleContext,
  o: {
    link: LinkDoc;
    timeline: TimelineEntry[];
    recentUse: AccessLogDoc[];
    deliveries: WebhookDeliveryDoc[];
  },
  now = new Date(),
): string {
  const { link, timeline, recentUse } = o;
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
        `<tr>${cell(e.at)}${cell(e.source)}${cell(e.type)}${cell(e.actor)}<td>${Object.keys(e.detail).length ? `<details><summary>detail</summary><pre>${html(JSON.stringify(e.detail, null, 2))}</pre></details>` : ''}</td></tr>`,
    )
    .join('');
  const uses = recentUse
    .map(
      (u) =>
        `<tr>${cell(u.at.toISOString())}${cell(u.kind)}${cell(u.method && u.path ? `${u.method} ${u.path}` : '')}${cell(String(u.status))}${cell(`${u.durationMs} ms`)}${cell(u.responseBytes === undefined ? '' : String(u.responseBytes))}${cell(u.apiKeyId)}</tr>`,
    )
    .join('');
  return consolePage(
    ctx,
    `Link ${link._id}`,
    '',
    `<p><a href="/ops/console">← All links</a></p>
<h1>Link <code>${html(link._id)}</code></h1>
<p class="summary">${html(linkSummary(link, now))}</p>
${actionsPanel(ctx, link)}
<dl>${facts.map(([k, v]) => `<dt>${html(k)}</dt><dd>${html(v)}</dd>`).join('')}</dl>
<h2>Missing permissions</h2>
${missing.length ? `<ul>${missing.map((r) => `<li><code>${html(r.scope)}</code> — ${html(r.status)}${r.evidence.httpStatus ? ` (HTTP ${r.evidence.httpStatus})` : ''}</li>`).join('')}</ul>` : '<p>None.</p>'}
<h2>Webhook deliveries</h2>
${deliveriesTable(o.deliveries)}
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
