import { type ActionResult, OPERATOR_ACTIONS, type OperatorActionName } from '../../../app/operator-actions';
import { ROLES } from '../../../domain/link';
import type { LinkDoc } from '../../../store/links';
import type { WebhookDeliveryDoc } from '../../../store/webhooks';
import type { FieldError, Problem } from '../../problem';
import { type ConsoleContext, consolePage, csrfField, html } from './shell';

const linkHref = (link: LinkDoc) => `/ops/console/links/${encodeURIComponent(link._id)}`;
const back = (link: LinkDoc) =>
  `<p><a href="${html(linkHref(link))}">← Back to link <code>${html(link._id)}</code></a></p>`;

function fieldsOf(
  name: OperatorActionName,
  link: LinkDoc,
  deliveries: WebhookDeliveryDoc[],
  values: Record<string, unknown>,
  errors: FieldError[],
): string {
  const error = (field: string) => {
    const e = errors.find((x) => x.field === field);
    return e ? `<p class="field-error" id="${field}-error">${html(`${field}: ${e.message}`)}</p>` : '';
  };
  const invalid = (field: string) =>
    errors.some((e) => e.field === field) ? ` aria-invalid="true" aria-describedby="${field}-error"` : '';
  const value = (field: string) => (typeof values[field] === 'string' ? (values[field] as string) : '');
  if (name === 'reassign') {
    const options = ROLES.filter((r) => r !== link.assignee)
      .map(
        (r) =>
          `<option value="${r}">${r === 'admin' ? `the admin (${html(link.admin?.email ?? 'none')})` : `the requester (${html(link.requester.email)})`}</option>`,
      )
      .join('');
    return `<label for="to">Reassign to</label>${error('to')}<select id="to" name="to"${invalid('to')}>${options}</select>`;
  }
  if (name === 'cancel') {
    return `<label for="reason">Reason (kept in the audit log and the timeline)</label>${error('reason')}<input id="reason" name="reason" required maxlength="200" value="${html(value('reason'))}"${invalid('reason')}>`;
  }
  if (name === 'replay') {
    const chosen = value('deliveryId');
    const options = deliveries
      .map(
        (d) =>
          `<option value="${html(d._id)}"${d._id === chosen ? ' selected' : ''}>${html(`${d.type} · ${d.status} · ${d.attemptCount} attempt(s) · ${d.firstAttemptAt.toISOString()}`)}</option>`,
      )
      .join('');
    return deliveries.length
      ? `<label for="deliveryId">Delivery</label>${error('deliveryId')}<select id="deliveryId" name="deliveryId"${invalid('deliveryId')}>${options}</select>`
      : '<p>This link has no webhook delivery to replay.</p>';
  }
  return '';
}

/** The confirmation step of an action (or why it cannot be done now), as a form that works without script. */
export function confirmActionPage(
  ctx: ConsoleContext,
  o: {
    link: LinkDoc;
    name: OperatorActionName;
    unavailable?: string;
    errors?: FieldError[];
    deliveries: WebhookDeliveryDoc[];
    values: Record<string, unknown>;
  },
): string {
  const action = OPERATOR_ACTIONS[o.name];
  const title = `${action.label} — ${o.link._id}`;
  const summary = o.errors?.length
    ? `<div class="error-summary" role="alert"><h2>Check the form</h2><ul>${o.errors.map((e) => `<li>${html(`${e.field}: ${e.message}`)}</li>`).join('')}</ul></div>`
    : '';
  const body = o.unavailable
    ? `<div class="error-summary" role="alert"><h2>Not possible now</h2><p>${html(`${action.label} cannot be done: ${o.unavailable}.`)}</p></div>`
    : `${summary}<p>${html(action.explain)}</p>
<form method="post" action="${html(`${linkHref(o.link)}/actions/${o.name}`)}">
${csrfField(ctx)}
${fieldsOf(o.name, o.link, o.deliveries, o.values, o.errors ?? [])}
<p class="actions"><button type="submit">Confirm: ${html(action.label.toLowerCase())}</button> <a href="${html(linkHref(o.link))}">Cancel</a></p>
</form>`;
  return consolePage(
    ctx,
    title,
    '',
    `${back(o.link)}<h1>${html(action.label)}</h1>
<p>Link <code>${html(o.link._id)}</code> · ${html(o.link.organization.name)} · ${html(o.link.status)}, waiting on the ${html(o.link.assignee)}</p>
${body}`,
  );
}

/** An action's result that holds a secret (a connect URL): shown on this page only, never in a URL or log. */
export function actionDonePage(ctx: ConsoleContext, o: { link: LinkDoc; result: ActionResult }): string {
  const once = o.result.showOnce;
  return consolePage(
    ctx,
    'Done',
    '',
    `${back(o.link)}<h1>Done</h1>
<p role="status">${html(o.result.summary)}</p>
${once ? `<h2>${html(once.label)} (shown once)</h2><p><input aria-label="${html(once.label)}" readonly value="${html(once.value)}" class="once"></p><p>Valid until ${html(once.expiresAt)}. Copy it now: it is not stored in a form Greenlink can show again.</p>` : ''}`,
  );
}

export function consoleErrorPage(ctx: ConsoleContext, problem: Problem): string {
  return consolePage(
    ctx,
    problem.title,
    '',
    `<h1>${html(problem.title)}</h1><p>${html(problem.detail ?? problem.message)}</p><p><a href="/ops/console">← All links</a></p>`,
  );
}
