import type { EmailKind, Person } from '../domain/link';
import { findScope, MANAGE_SCOPES_PATH } from '../greenhouse/catalog';
import { EMAIL_TEXT, type EmailText } from '../i18n/email-text';
import { isLocale } from '../i18n/locale';
import { escapeHtml } from '../lib/escape-html';

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

export interface EmailContext {
  organizationName: string;
  appName: string;
  requester: Person;
  missingScopes: string[];
  locale: string;
  /** 1 for the first reminder, 2 for the second, … */
  reminderNumber?: number;
  /** A fresh page link for this recipient, when the email has one. */
  connectUrl?: string;
  /** How long that link works. */
  linkTtlHours?: number;
  note?: string;
}

/** A paragraph of plain text, a list of lines rendered as <ul>, or a link. */
type Block = string | { list: string[] } | { link: string; label: string };

const who = (p: Person) => (p.name ? `${p.name} (${p.email})` : p.email);

/** A visitor's note is quoted, never more than a short line of it (the whole note is on the page). */
const NOTE_QUOTE_MAX = 200;
const quoted = (note: string) =>
  note.length > NOTE_QUOTE_MAX ? `${note.slice(0, NOTE_QUOTE_MAX - 1).trimEnd()}…` : note;

function missingList(ctx: EmailContext): Block {
  return {
    list: ctx.missingScopes.map((id) => {
      const scope = findScope(id);
      return scope ? `${scope.label} (${id})` : id;
    }),
  };
}

/** The page link and how long it works. */
const pageLink = (t: EmailText, ctx: EmailContext): Block[] => [
  { link: ctx.connectUrl ?? '', label: t.openPage },
  ...(ctx.linkTtlHours ? [t.linkValid(ctx.linkTtlHours)] : []),
];

/** One entry per kind of email: its subject and its blocks. The data, not branches, decides what is sent. */
const TEMPLATES: Record<
  EmailKind,
  (t: EmailText, ctx: EmailContext) => { subject: string; blocks: Block[] }
> = {
  reminder: (t, ctx) => ({
    subject: t.reminderSubject(ctx.reminderNumber ?? 1, ctx.missingScopes.length, ctx.organizationName),
    blocks: [
      t.missingIntro(ctx.organizationName),
      missingList(ctx),
      t.howToFix(MANAGE_SCOPES_PATH),
      ...pageLink(t, ctx),
      t.reminderWhy(who(ctx.requester), ctx.appName),
      t.reminderSelfCheck,
      t.notAdmin,
    ],
  }),
  setup_reminder: (t, ctx) => ({
    subject: t.setupSubject(ctx.organizationName),
    blocks: [
      t.setupIntro(who(ctx.requester), ctx.organizationName, ctx.appName),
      t.setupHow,
      ...pageLink(t, ctx),
      t.notAdmin,
    ],
  }),
  handoff: (t, ctx) => ({
    subject: t.handoffSubject(ctx.requester.name ?? ctx.requester.email, ctx.organizationName),
    blocks: [
      t.handoffIntro(who(ctx.requester), ctx.organizationName, ctx.appName),
      ...(ctx.note ? [t.handoffNote(quoted(ctx.note))] : []),
      ...(ctx.missingScopes.length > 0
        ? [t.handoffMissing, missingList(ctx), t.howToFix(MANAGE_SCOPES_PATH)]
        : []),
      t.handoffPermission,
      ...pageLink(t, ctx),
      t.notAdmin,
    ],
  }),
  linked: (t, ctx) => ({
    subject: t.linkedSubject(ctx.organizationName),
    blocks: [t.linkedText(ctx.organizationName, ctx.appName)],
  }),
  expired: (t, ctx) => ({
    subject: t.expiredSubject(ctx.organizationName),
    blocks: [t.expiredText(ctx.organizationName), t.expiredNext(who(ctx.requester))],
  }),
  degraded: (t, ctx) => ({
    subject: t.degradedSubject(ctx.reminderNumber ?? 1, ctx.missingScopes.length, ctx.organizationName),
    blocks: [
      t.degradedIntro(ctx.organizationName, ctx.appName),
      missingList(ctx),
      t.howToFix(MANAGE_SCOPES_PATH),
      ...pageLink(t, ctx),
      t.reminderSelfCheck,
      t.notAdmin,
    ],
  }),
  disconnected: (t, ctx) => ({
    subject: t.disconnectedSubject(ctx.organizationName),
    blocks: [
      t.disconnectedIntro(ctx.organizationName, ctx.appName),
      t.disconnectedHow,
      ...pageLink(t, ctx),
      t.notAdmin,
    ],
  }),
  restored: (t, ctx) => ({
    subject: t.restoredSubject(ctx.organizationName),
    blocks: [t.restoredText(ctx.organizationName, ctx.appName)],
  }),
};

export function renderEmail(kind: EmailKind, ctx: EmailContext): RenderedEmail {
  const locale = isLocale(ctx.locale) ? ctx.locale : 'en';
  const t = EMAIL_TEXT[locale];
  const { subject, blocks } = TEMPLATES[kind](t, ctx);
  const text = [t.hello, '']
    .concat(
      blocks.flatMap((b) =>
        typeof b === 'string'
          ? [b, '']
          : 'list' in b
            ? [...b.list.map((l) => `  - ${l}`), '']
            : [`${b.label}: ${b.link}`, ''],
      ),
    )
    .concat(['--', t.footer(ctx.appName)])
    .join('\n');
  const html = `<!doctype html><html lang="${locale}"><body style="font-family:system-ui,sans-serif;line-height:1.5;color:#1b1b1b">
<p>${escapeHtml(t.hello)}</p>
${blocks
  .map((b) =>
    typeof b === 'string'
      ? `<p>${escapeHtml(b)}</p>`
      : 'list' in b
        ? `<ul>${b.list.map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul>`
        : `<p><a href="${escapeHtml(b.link)}" style="display:inline-block;padding:10px 16px;background:#0b5e43;color:#fff;text-decoration:none;border-radius:4px">${escapeHtml(b.label)}</a></p>`,
  )
  .join('\n')}
<p style="color:#4a4a4a;font-size:13px">${escapeHtml(t.footer(ctx.appName))}</p>
</body></html>`;
  return { subject, text, html };
}

/** Kinds whose email carries a fresh link to the setup page. */
export const EMAIL_LINKS_TO_PAGE: Record<EmailKind, boolean> = {
  reminder: true,
  setup_reminder: true,
  handoff: true,
  linked: false,
  expired: false,
  degraded: true,
  disconnected: true,
  restored: false,
};
