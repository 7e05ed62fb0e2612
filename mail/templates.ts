import { findScope, MANAGE_SCOPES_PATH } from '../greenhouse/catalog';
import { escapeHtml } from '../lib/escape-html';
import type { EmailKind, Person } from '../links/model';

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

export interface EmailContext {
  organizationName: string;
  requester: Person;
  missingScopes: string[];
  /** A fresh page link for this recipient, when the email has one. */
  connectUrl?: string;
  note?: string;
}

/** A paragraph of plain text, or a list of lines rendered as <ul>. */
type Block = string | { list: string[] } | { link: string; label: string };

const who = (p: Person) => (p.name ? `${p.name} (${p.email})` : p.email);

function missingList(ctx: EmailContext): Block {
  return {
    list: ctx.missingScopes.map((id) => {
      const scope = findScope(id);
      return scope ? `${scope.label} (${id})` : id;
    }),
  };
}

const howToFix = `In Greenhouse: ${MANAGE_SCOPES_PATH} → tick each permission above → Save. Then open the page below and click "Check again".`;

/** One entry per kind of email: its subject and its blocks. The data, not branches, decides what is sent. */
const TEMPLATES: Record<EmailKind, (ctx: EmailContext) => { subject: string; blocks: Block[] }> = {
  reminder: (ctx) => ({
    subject: `${ctx.missingScopes.length} Greenhouse permission${ctx.missingScopes.length === 1 ? '' : 's'} still missing for ${ctx.organizationName}`,
    blocks: [
      `The Greenhouse API credentials for ${ctx.organizationName} are missing these permissions:`,
      missingList(ctx),
      howToFix,
      { link: ctx.connectUrl ?? '', label: 'Open the setup page' },
      `${who(ctx.requester)} asked for this link. We check again on our own too, and stop writing once everything is granted. Not the Greenhouse admin? The page has a button to send it back.`,
    ],
  }),
  setup_reminder: (ctx) => ({
    subject: `Reminder: please finish connecting Greenhouse for ${ctx.organizationName}`,
    blocks: [
      `${who(ctx.requester)} asked you to connect ${ctx.organizationName}'s Greenhouse account. It is not set up yet.`,
      'It takes a few minutes: create "Harvest V3 (OAuth)" API credentials in Greenhouse and paste them on the setup page, which lists the exact permissions to tick.',
      { link: ctx.connectUrl ?? '', label: 'Open the setup page' },
    ],
  }),
  handoff: (ctx) => ({
    subject: `${ctx.requester.name ?? ctx.requester.email} asks you to connect Greenhouse for ${ctx.organizationName}`,
    blocks: [
      `${who(ctx.requester)} needs a Greenhouse admin to finish connecting ${ctx.organizationName}'s Greenhouse account.`,
      ...(ctx.note ? [`Their note: “${ctx.note}”`] : []),
      ...(ctx.missingScopes.length > 0 ? ['These permissions are missing so far:', missingList(ctx)] : []),
      'The setup page shows every step and the exact permissions to tick (you need "Can manage ALL organization\'s API Credentials").',
      { link: ctx.connectUrl ?? '', label: 'Open the setup page' },
      'Not the right person? The page has a button to send it back.',
    ],
  }),
  linked: (ctx) => ({
    subject: `Greenhouse is connected for ${ctx.organizationName}`,
    blocks: [
      `All required Greenhouse permissions for ${ctx.organizationName} are in place. Nothing more to do.`,
    ],
  }),
  expired: (ctx) => ({
    subject: `The Greenhouse connection for ${ctx.organizationName} expired`,
    blocks: [
      `The request to connect ${ctx.organizationName}'s Greenhouse account expired before it was completed.`,
      `Ask ${who(ctx.requester)} or the app that sent it for a new link.`,
    ],
  }),
};

export function renderEmail(kind: EmailKind, ctx: EmailContext): RenderedEmail {
  const { subject, blocks } = TEMPLATES[kind](ctx);
  const text = ['Hello,', '']
    .concat(
      blocks.flatMap((b) =>
        typeof b === 'string'
          ? [b, '']
          : 'list' in b
            ? [...b.list.map((l) => `  - ${l}`), '']
            : [`${b.label}: ${b.link}`, ''],
      ),
    )
    .join('\n');
  const html = `<!doctype html><html lang="en"><body style="font-family:system-ui,sans-serif;line-height:1.5">
<p>Hello,</p>
${blocks
  .map((b) =>
    typeof b === 'string'
      ? `<p>${escapeHtml(b)}</p>`
      : 'list' in b
        ? `<ul>${b.list.map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul>`
        : `<p><a href="${escapeHtml(b.link)}">${escapeHtml(b.label)}</a></p>`,
  )
  .join('\n')}
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
};
