import type { TimelineEntry } from '../../../app/link-service';
import { OPERATOR_ACTIONS, type OperatorActionName } from '../../../app/operator-actions';
import { type HealthProblem, missingScopes } from '../../../domain/link';
import { mayAct } from '../../../domain/operator';
import type { AccessLogDoc } from '../../../store/access-log';
import type { EmailLogDoc } from '../../../store/email-log';
import type { LinkDoc } from '../../../store/links';
import type { WebhookDeliveryDoc } from '../../../store/webhooks';
import { type StoryStep, scopeGrid, storySteps } from './link-story';
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
export function linkSummary(link: LinkDoc, now: Date, nextReminderAt?: Date): string {
  const waitingOn = link.assignee === 'admin' ? (link.admin?.email ?? 'the admin') : link.requester.email;
  const since = spanText(now.getTime() - (link.assignedAt ?? link.createdAt).getTime());
  const missing = missingScopes(link).length;
  const next = nextReminderAt
    ? `; next ${nextReminderAt > now ? `in ${spanText(nextReminderAt.getTime() - now.getTime())}` : 'now'}`
    : '';
  const reminders = `${link.remindersSent} reminder${link.remindersSent === 1 ? '' : 's'} sent${next}`;
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
      return `Degraded: ${healthProblemText(link.health?.problem ?? undefined)}; waiting on ${waitingOn}; ${reminders}.`;
    case 'disconnected':
      return `Disconnected: Greenhouse rejects the credentials; waiting on ${waitingOn} to reconnect; ${reminders}.`;
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

function emailsList(emails: EmailLogDoc[]): string {
  if (!emails.length) return '<p>No email yet.</p>';
  const items = emails.map((e) => {
    const when = e.sentAt
      ? `sent ${e.sentAt.toISOString()}`
      : `${e.status} since ${e.createdAt.toISOString()}`;
    const head = `${e.kind} to ${e.copy?.to ?? '?'} — ${when}`;
    return e.copy
      ? `<li><details><summary>${html(head)}: “${html(e.copy.subject)}”</summary><pre>${html(e.copy.text)}</pre></details></li>`
      : `<li>${html(head)} <small>(sent before copies were kept)</small></li>`;
  });
  return `<ul class="emails">${items.join('')}</ul>`;
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

const GRID_MARK: Record<string, string> = {
  granted: '✓ granted',
  missing: '✗ missing',
  needs_site_admin: '! needs Site Admin',
  unknown: '? unknown',
};

function gridTable(link: LinkDoc, timeline: TimelineEntry[]): string {
  const { scopes, columns } = scopeGrid(link, timeline);
  if (!columns.length) return '<p>Not checked yet.</p>';
  const head = columns
    .map(
      (c) =>
        `<th scope="col"><time datetime="${html(c.at)}">${html(c.at.slice(0, 16).replace('T', ' '))}</time><br><small>${html(c.label)}</small></th>`,
    )
    .join('');
  const rows = scopes
    .map((scope) => {
      const cells = columns.map((c) => {
        const state = c.cells.get(scope) ?? 'unknown';
        return `<td class="grid-${state}">${html(GRID_MARK[state] ?? state)}</td>`;
      });
      return `<tr><th scope="row"><code>${html(scope)}</code></th>${cells.join('')}</tr>`;
    })
    .join('');
  return `<div class="scroll"><table class="grid"><caption>Each required permission at each check, oldest first (the last column is the latest probe's exact answers)</caption>
<thead><tr><th scope="col">Permission</th>${head}</tr></thead><tbody>${rows}</tbody></table></div>`;
}

function storyList(steps: StoryStep[]): string {
  const items = steps.map((step) => {
    const raw = step.entries
      .map(
        (e) =>
          `${e.at}  ${e.source}  ${e.type}  ${e.actor}${Object.keys(e.detail).length ? `  ${JSON.stringify(e.detail)}` : ''}`,
      )
      .join('\n');
    return `<li><p><time datetime="${html(step.at)}">${html(step.at.slice(0, 19).replace('T', ' '))}</time>${step.afterMs !== undefined ? ` <small>(+${html(spanText(step.afterMs))})</small>` : ''} — ${html(step.sentence)} <small>by ${html(step.actor)}</small></p>
<details><summary>${step.entries.length} event(s)</summary><pre>${html(raw)}</pre></details></li>`;
  });
  return `<ol class="story">${items.join('')}</ol>`;
}

/** One link: where it stands, what can be done, and its whole story (event log merged with Temporal history). */
export function consoleLinkPage(
  ctx: ConsoleContext,
  o: {
    link: LinkDoc;
    timeline: TimelineEntry[];
    recentUse: AccessLogDoc[];
    deliveries: WebhookDeliveryDoc[];
    emails: EmailLogDoc[];
    /** When the schedule's next reminder is due, as the run said. */
    nextReminderAt?: Date;
    /** The link's workflow in the Temporal UI, when TEMPORAL_UI_URL is set. */
    temporalUrl?: string;
  },
  now = new Date(),
): string {
  const { link, timeline, recentUse } = o;
  const steps = storySteps(timeline);
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
<p class="summary">${html(linkSummary(link, now, o.nextReminderAt))}</p>
${actionsPanel(ctx, link)}
<h2>Facts</h2>
<dl class="facts">${facts.map(([k, v]) => `<dt>${html(k)}</dt><dd>${html(v)}</dd>`).join('')}</dl>
${o.temporalUrl ? `<p><a href="${html(o.temporalUrl)}">Open the workflow in the Temporal UI</a> (payloads decrypt there through /ops/codec)</p>` : ''}
<h2>Story</h2>
<p>${timeline.length} timeline entries in ${steps.length} steps, oldest first; each step's raw events fold under it.</p>
${storyList(steps)}
<h2>Permissions, check by check</h2>
${gridTable(link, timeline)}
<h2>Emails, as sent</h2>
<p class="muted">Connect links are removed from these copies: they are secrets of the person they were sent to.</p>
${emailsList(o.emails)}
<h2>Webhook deliveries</h2>
${deliveriesTable(o.deliveries)}
<h2>Recent use</h2>
<table><caption>${recentUse.length ? `The ${recentUse.length} latest tokens, proxied calls and exports, newest first` : 'Not used yet'}</caption>
<thead><tr><th scope="col">When (UTC)</th><th scope="col">What</th><th scope="col">Call</th><th scope="col">Status</th><th scope="col">Took</th><th scope="col">Bytes</th><th scope="col">API key</th></tr></thead>
<tbody>${uses}</tbody></table>`,
  );
}
