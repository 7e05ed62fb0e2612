import { findScope, MANAGE_SCOPES_PATH } from '../greenhouse/catalog';

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

export function reminderEmail(input: {
  organizationName: string;
  missingScopes: string[];
  connectUrl: string;
  sequence: number;
}): RenderedEmail {
  const scopes = input.missingScopes.map((id) => findScope(id) ?? { id, label: id });
  const count = scopes.length;
  const subject = `${count} Greenhouse permission${count === 1 ? '' : 's'} still missing for ${input.organizationName}`;
  const lines = scopes.map((s) => `  - ${s.label} (${s.id})`);
  const how = `In Greenhouse: ${MANAGE_SCOPES_PATH} → tick each permission above → Save.`;
  const text = [
    `Hello,`,
    ``,
    `The Greenhouse API credentials for ${input.organizationName} are missing these permissions:`,
    ...lines,
    ``,
    how,
    ``,
    `Then open this page and click "Check again":`,
    input.connectUrl,
    ``,
    `(Reminder ${input.sequence + 1}. We check again on our own too, and stop writing once everything is granted.)`,
  ].join('\n');
  const html = `<!doctype html><html lang="en"><body>
<p>Hello,</p>
<p>The Greenhouse API credentials for <strong>${escapeHtml(input.organizationName)}</strong> are missing these permissions:</p>
<ul>${scopes.map((s) => `<li>${escapeHtml(s.label)} <code>${escapeHtml(s.id)}</code></li>`).join('')}</ul>
<p>${escapeHtml(how)}</p>
<p><a href="${escapeHtml(input.connectUrl)}">Open the setup page and click “Check again”</a></p>
<p style="color:#555">Reminder ${input.sequence + 1}. We check again on our own too, and stop writing once everything is granted.</p>
</body></html>`;
  return { subject, text, html };
}
