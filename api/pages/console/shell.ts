import type { Operator } from '../../../domain/operator';
import { escapeHtml as html, layout } from '../html';

export { html };

/** What every signed-in console page knows: who is looking, and the token its forms must carry. */
export interface ConsoleContext {
  operator: Operator;
  /** Absent for a Bearer-token caller (a script): it has no forms to post. */
  csrf?: string;
  /** A one-line result of the last action, shown at the top. */
  notice?: string;
}

const SECTIONS = [
  ['/ops/console', 'Links'],
  ['/ops/console?view=attention', 'Needs attention'],
  ['/ops/console/overview', 'Overview'],
  ['/ops/console/audit', 'Operator activity'],
] as const;

export const csrfField = (ctx: ConsoleContext) =>
  ctx.csrf ? `<input type="hidden" name="_csrf" value="${html(ctx.csrf)}">` : '';

/** The console's frame: its sections, who is signed in, sign-out, and the page. */
export function consolePage(ctx: ConsoleContext, title: string, current: string, body: string): string {
  const links = SECTIONS.map(([href, label]) =>
    href === current
      ? `<a href="${href}" aria-current="page">${label}</a>`
      : `<a href="${href}">${label}</a>`,
  ).join('');
  const signOut = ctx.csrf
    ? `<form method="post" action="/ops/logout" class="inline">${csrfField(ctx)}<button type="submit" class="link">Sign out</button></form>`
    : '';
  const nav = `<nav aria-label="Console">${links}<span class="who">${html(ctx.operator.name)} (${ctx.operator.role})</span>${signOut}</nav>`;
  const notice = ctx.notice ? `<p class="notice" role="status">${html(ctx.notice)}</p>` : '';
  return layout(title, `${notice}${body}`, { stylesheet: '/assets/console.css', headerNav: nav });
}
