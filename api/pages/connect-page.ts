import { type ClosedStatus, isTerminalStatus, type Role } from '../../domain/link';
import { getScope, MANAGE_SCOPES_PATH } from '../../greenhouse/catalog';
import { LEGACY_V1_RETIRED_NOTICE } from '../../greenhouse/legacy-v1-catalog';
import type { Locale } from '../../i18n/locale';
import { type FormFieldName, PAGE_TEXT, type PageText } from '../../i18n/page-text';
import type { LinkDoc } from '../../store/links';
import { FORM_FIELDS, FORMS, type FormField, type FormName } from '../forms';
import type { FieldError } from '../problem';
import { escapeHtml, layout } from './html';

/** A form the server refused: which one, why (per field), and what to show again (never a secret). */
export interface FormErrors {
  form: FormName;
  fields: FieldError[];
  values: Record<string, string>;
}

export interface ConnectView {
  link: LinkDoc;
  token: string;
  /** Whom the token is for: the requester's page or the admin's. */
  role: Role;
  appName: string;
  locale: Locale;
  legacyV1Enabled: boolean;
  /** The anti-CSRF value every form posts back. */
  csrf: string;
  errors?: FormErrors;
  /** Set when the visitor picked the language (?lang=), so form posts keep it. */
  chosenLang?: Locale;
  /** What the last action did (from the redirect after a POST). */
  notice?: keyof PageText['notice'];
}

const html = escapeHtml;
const list = (items: string[], tag: 'ol' | 'ul') =>
  `<${tag}>${items.map((i) => `<li>${html(i)}</li>`).join('')}</${tag}>`;
const who = (p: { email: string; name?: string }) => (p.name ? `${p.name} (${p.email})` : p.email);

function checklist(v: ConnectView, t: PageText): string {
  const results = new Map((v.link.lastProbe?.results ?? []).map((r) => [r.scope, r.status]));
  // What needs doing comes first; granted scopes sink to the end.
  const order = { needs_site_admin: 0, missing: 0, unknown: 1, not_checked: 2, granted: 3 } as const;
  const scopes = [...v.link.requiredScopes].sort(
    (a, b) => order[results.get(a) ?? 'not_checked'] - order[results.get(b) ?? 'not_checked'],
  );
  const rows = scopes.map((id) => {
    const scope = getScope(id);
    const status = results.get(id) ?? 'not_checked';
    const fix = status === 'needs_site_admin' ? t.siteAdminFix : t.fixScope(MANAGE_SCOPES_PATH, scope.label);
    return `<li class="${status}" data-scope="${html(id)}">
<strong data-copy="${html(scope.label)}">${html(scope.label)}</strong> <code>${html(id)}</code>
— <span class="state">${html(t.scopeStatus[status])}</span>
${status === 'not_checked' || status === 'granted' ? '' : `<span class="fix">${html(t.howToFix)} ${html(fix)}</span>`}</li>`;
  });
  return `<ul class="checklist" id="checklist">${rows.join('')}</ul>`;
}

function statusBanner(v: ConnectView, t: PageText): string {
  const { link } = v;
  const missing = (link.lastProbe?.results ?? []).filter((r) => r.status !== 'granted').length;
  const headline =
    link.status === 'awaiting_permissions'
      ? `${t.missingCount(missing)}. ${t.status[link.status]}`
      : t.status[link.status];
  const when = (iso: string) =>
    `${new Date(iso).toLocaleString(v.locale === 'de' ? 'de-DE' : 'en-GB', { timeZone: 'UTC', dateStyle: 'medium', timeStyle: 'short' })} UTC`;
  const checked = link.lastProbe ? ` ${t.lastChecked(when(link.lastProbe.checkedAt))}` : '';
  return `<div class="banner ${link.status}" id="status" role="status" aria-live="polite"
 data-status-url="/connect/${html(encodeURIComponent(v.token))}/status" data-status="${link.status}"
 data-checked="${html(link.lastProbe?.checkedAt ?? '')}">${html(headline)}${html(checked)}</div>`;
}

/** A labelled input (from the form table) with its hint and, when the server refused it, its error. */
function field(
  t: PageText,
  errors: FormErrors | undefined,
  form: FormName,
  f: FormField,
  hint?: string,
): string {
  const error = errors?.form === form ? errors.fields.find((e) => e.field === f.name) : undefined;
  const value = errors?.form === form && f.type !== 'password' ? (errors.values[f.name] ?? '') : '';
  const hintText = hint ?? (f.hint ? t[f.hint] : undefined);
  const describedBy = [hintText ? `${f.id}-hint` : '', error ? `${f.id}-error` : '']
    .filter(Boolean)
    .join(' ');
  return `<label for="${f.id}">${html(t[f.label])}${f.required ? '' : ` <span class="hint inline">(${html(t.optional)})</span>`}
${hintText ? `<span class="hint" id="${f.id}-hint">${html(hintText)}</span>` : ''}
${error ? `<span class="field-error" id="${f.id}-error">${html(t.fieldError[f.name] ?? error.message)}</span>` : ''}</label>
<input id="${f.id}" name="${f.name}" type="${f.type}" value="${html(value)}"${f.required ? ' required' : ''}${describedBy ? ` aria-describedby="${describedBy}"` : ''}${error ? ' aria-invalid="true"' : ''} ${f.attributes ?? 'autocomplete="off"'}>`;
}

/** Every field of one form, in table order; `hints` replaces a field's hint where the page knows more. */
const fields = (
  v: ConnectView,
  t: PageText,
  form: FormName,
  hints: Partial<Record<FormFieldName, string>> = {},
) => FORMS[form].map((name) => field(t, v.errors, form, FORM_FIELDS[name], hints[name])).join('\n');

/** A language picked with ?lang= survives the form's post and redirect. */
const keepLang = (v: ConnectView) => (v.chosenLang ? `?lang=${v.chosenLang}` : '');

const csrfField = (v: ConnectView) => `<input type="hidden" name="_csrf" value="${html(v.csrf)}">`;

function errorSummary(v: ConnectView, t: PageText, form: FormName): string {
  if (v.errors?.form !== form) return '';
  // Each entry names the field as its label does and links to it (the GOV.UK error summary pattern).
  const items = v.errors.fields.map((f) => {
    const target = FORM_FIELDS[f.field as FormFieldName] as FormField | undefined;
    const message = target ? t.fieldError[target.name] : f.message;
    return target
      ? `<li><a href="#${target.id}">${html(t[target.label])}: ${html(message)}</a></li>`
      : `<li>${html(`${f.field}: ${message}`)}</li>`;
  });
  return `<div class="alert" role="alert" tabindex="-1" id="${form}-errors"><strong>${html(t.errorSummary)}</strong><ul>${items.join('')}</ul></div>`;
}

function credentialsForm(v: ConnectView, t: PageText, base: string): string {
  const writes = v.link.requiredScopes.some((id) => getScope(id).access === 'write');
  return `<section class="card" aria-labelledby="credentials-title">
<h2 id="credentials-title">${html(t.formTitle)}</h2>
${errorSummary(v, t, 'credentials')}
<form method="post" action="${base}/credentials${keepLang(v)}" id="credentials">
${csrfField(v)}
${fields(v, t, 'credentials', writes ? { userId: `${t.userIdHint} ${t.prerequisitesWrite}` } : {})}
<button type="submit">${html(t.submit)}</button>
</form>
${v.legacyV1Enabled ? legacyForm(v, t, base) : ''}
</section>`;
}

/** Only when GREENHOUSE_LEGACY_V1=true, and marked retired. */
function legacyForm(v: ConnectView, t: PageText, base: string): string {
  return `<details${v.errors?.form === 'legacy' ? ' open' : ''}><summary>${html(t.legacySummary)}</summary>
<p class="alert">${html(LEGACY_V1_RETIRED_NOTICE)}</p>
${errorSummary(v, t, 'legacy')}
<form method="post" action="${base}/credentials${keepLang(v)}">
${csrfField(v)}
${fields(v, t, 'legacy')}
<button type="submit">${html(t.legacySubmit)}</button>
</form></details>`;
}

function recheckForm(v: ConnectView, t: PageText, base: string): string {
  if (!v.link.lastProbe) return '';
  return `<form method="post" action="${base}/recheck${keepLang(v)}">${csrfField(v)}
<button type="submit">${html(t.checkAgain)}</button> <span class="hint inline">${html(t.checkAgainHint)}</span></form>`;
}

function handOffSection(v: ConnectView, t: PageText, base: string): string {
  const admin = v.link.assignee === 'admin' && v.link.admin ? v.link.admin : undefined;
  return `<section class="card" aria-labelledby="handoff-title">
<h2 id="handoff-title">${html(t.handOffTitle)}</h2>
${admin ? `<p class="banner" role="status">${html(t.handedOff(admin.email))}</p>` : ''}
<p>${html(t.handOffText)}</p>
${errorSummary(v, t, 'handoff')}
<form method="post" action="${base}/handoff${keepLang(v)}" id="handoff">
${csrfField(v)}
${fields(v, t, 'handoff')}
<button type="submit">${html(t.handOffSubmit)}</button>
</form></section>`;
}

function notAdminSection(v: ConnectView, t: PageText, base: string): string {
  return `<section class="card" aria-labelledby="not-admin-title">
<h2 id="not-admin-title">${html(t.notAdminTitle)}</h2><p>${html(t.notAdminText)}</p>
<form method="post" action="${base}/not-admin${keepLang(v)}">${csrfField(v)}
<button type="submit" class="secondary">${html(t.notAdminSubmit)}</button></form></section>`;
}

function guide(v: ConnectView, t: PageText): string {
  // The admin was asked because they are the admin: finding one or handing off is the requester's concern.
  const forRequester = v.role === 'requester';
  return `<section aria-labelledby="prereq-title">
<h2 id="prereq-title">${html(t.prerequisitesTitle)}</h2>${list(forRequester ? t.prerequisites : t.prerequisites.slice(0, 1), 'ul')}
<h3>${html(t.checkAccessTitle)}</h3>${list(t.checkAccess, 'ol')}${
    forRequester
      ? `<p>${html(t.noAccess)}</p>
<h3>${html(t.findAdminTitle)}</h3>${list(t.findAdmin, 'ol')}`
      : ''
  }
</section>
<section aria-labelledby="create-title">
<h2 id="create-title">${html(t.createTitle)}</h2>
<ol>${t
    .createSteps(v.appName)
    .map(
      (step, i) =>
        `<li>${html(step)}${i === 2 ? ` <code data-copy="${html(v.appName)}">${html(v.appName)}</code>` : ''}</li>`,
    )
    .join('')}</ol>
</section>`;
}

/** The hosted page for the requester or the admin: works without JavaScript; every action is a form POST. */
export function connectPage(v: ConnectView): string {
  const t = PAGE_TEXT[v.locale];
  const base = `/connect/${html(encodeURIComponent(v.token))}`;
  const { link } = v;
  const org = link.organization.name;
  if (isTerminalStatus(link.status)) return closedPage(v);
  const intro =
    link.status === 'disconnected'
      ? `<p>${html(t.reconnectIntro(v.appName, org))}</p>`
      : link.status === 'degraded'
        ? `<p>${html(t.degradedIntro(v.appName, org))}</p>`
        : v.role === 'admin'
          ? `<p>${html(t.adminIntro(who(link.requester), v.appName, org))}</p>${link.admin?.note ? `<p>${html(t.requesterNote)}</p><blockquote>${html(link.admin.note)}</blockquote>` : ''}`
          : `<p>${html(t.intro(v.appName, org))}</p>`;
  const problem = link.credentialProblem
    ? `<p class="alert" role="alert" id="credential-problem">${html(t.credentialProblem(link.credentialProblem.problem, link.credentialProblem.message))}</p>`
    : '';
  const permissions = `<section aria-labelledby="scopes-title" id="scopes">
<h2 id="scopes-title">${html(t.scopesTitle)}</h2><p>${html(t.scopesHint)}</p>
${checklist(v, t)}
${recheckForm(v, t, base)}
</section>`;
  // Once a probe ran, the checklist is what matters most: it comes first, the guide after it.
  const body = link.lastProbe
    ? `${permissions}${credentialsForm(v, t, base)}${guide(v, t)}`
    : `${guide(v, t)}${permissions}${credentialsForm(v, t, base)}`;
  return layout(
    t.title(org),
    `<h1>${html(t.title(org))}</h1>
${intro}
${statusBanner(v, t)}
${v.notice ? `<p class="banner" role="status">${html(t.notice[v.notice](who(link.requester)))}</p>` : ''}
${problem}
${body}
${v.role === 'admin' ? notAdminSection(v, t, base) : handOffSection(v, t, base)}`,
    {
      locale: v.locale,
      path: `/connect/${encodeURIComponent(v.token)}`,
      script: true,
      skipLink: { href: '#credentials', label: t.skipToForm },
      scriptText: { copy: t.copy, copied: t.copied, changedReload: t.changedReload, reload: t.reload },
    },
  );
}

/** Linked, expired or cancelled: what happened and what to do next. Linked keeps updating nothing. */
function closedPage(v: ConnectView): string {
  const t = PAGE_TEXT[v.locale];
  const { link } = v;
  const path = `/connect/${encodeURIComponent(v.token)}`;
  if (link.status === 'linked') {
    return layout(
      t.linkedTitle(link.organization.name),
      `<h1>${html(t.linkedTitle(link.organization.name))}</h1>
<div class="banner linked" id="status" role="status">${html(t.linkedText(v.appName))}</div>
${checklist(v, t)}`,
      { locale: v.locale, path },
    );
  }
  const status = link.status as ClosedStatus;
  return layout(
    t.closedTitle[status],
    `<h1>${html(t.closedTitle[status])}</h1>
<div class="banner" id="status" role="status">${html(t.closedText[status](who(link.requester)))}</div>`,
    { locale: v.locale, path },
  );
}

/** Unknown, expired and revoked tokens all get this page: nobody can tell them apart from outside. */
export function invalidTokenPage(locale: Locale): string {
  const t = PAGE_TEXT[locale];
  return layout(t.invalidTitle, `<h1>${html(t.invalidTitle)}</h1><p>${html(t.invalidText)}</p>`, { locale });
}

export function messagePage(locale: Locale, title: string, text: string): string {
  return layout(title, `<h1>${html(title)}</h1><p>${html(text)}</p>`, { locale });
}
