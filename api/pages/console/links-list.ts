import { LINK_STATUSES, ROLES } from '../../../domain/link';
import type { AttentionReason, Facets, LinkSearch } from '../../../store/link-search';
import type { LinkDoc } from '../../../store/links';
import { type ConsoleContext, consolePage, html } from './shell';
import { ago } from './time';

const ATTENTION_TEXT: Record<AttentionReason, string> = {
  degraded: 'a required permission was removed',
  disconnected: 'Greenhouse rejects the credentials',
  admin_waiting: 'waiting on the admin for long',
  webhook_failing: 'webhook deliveries failing',
};

/** The list's URL for a search, with one field changed (undefined removes it); the cursor never carries over. */
export function searchUrl(
  search: LinkSearch,
  change: Partial<Record<keyof LinkSearch, string | undefined>> = {},
) {
  const params = new URLSearchParams();
  const merged = { ...search, ...change } as Record<string, unknown>;
  if (merged.attention === true || merged.attention === '1') params.set('view', 'attention');
  for (const key of ['q', 'status', 'appId', 'assignee'] as const) {
    const value = merged[key];
    if (typeof value === 'string' && value) params.set(key, value);
  }
  const text = params.toString();
  return `/ops/console${text ? `?${text}` : ''}`;
}

const withParams = (url: string, params: Record<string, string>) =>
  `${url}${url.includes('?') ? '&' : '?'}${new URLSearchParams(params).toString()}`;

function facetList(
  title: string,
  key: 'status' | 'appId' | 'assignee',
  counts: Map<string, number>,
  search: LinkSearch,
  order: readonly string[],
): string {
  const values = [
    ...order.filter((v) => counts.has(v)),
    ...[...counts.keys()].filter((v) => !order.includes(v)),
  ];
  const chosen = search[key];
  const items = values.map((value) => {
    const label = `${html(value)} <span class="count">${counts.get(value) ?? 0}</span>`;
    return value === chosen
      ? `<li><a href="${html(searchUrl(search, { [key]: undefined }))}" aria-current="true" title="Remove this filter">${label} ✕</a></li>`
      : `<li><a href="${html(searchUrl(search, { [key]: value }))}">${label}</a></li>`;
  });
  return `<section class="facet" aria-labelledby="facet-${key}"><h2 id="facet-${key}">${title}</h2><ul>${items.join('') || '<li>none</li>'}</ul></section>`;
}

const select = (name: string, label: string, values: readonly string[], chosen?: string) =>
  `<div class="field"><label for="${name}">${label}</label><select id="${name}" name="${name}"><option value="">any</option>${values
    .map((v) => `<option value="${html(v)}"${v === chosen ? ' selected' : ''}>${html(v)}</option>`)
    .join('')}</select></div>`;

/** The links of every app: search, facets with counts, newest activity first, in cursor pages. */
export function linksListPage(
  ctx: ConsoleContext,
  o: {
    search: LinkSearch;
    /** A page size other than the default, kept in the pager's links. */
    limit: number;
    rows: LinkDoc[];
    facets: Facets;
    nextCursor: string | null;
    firstPage: boolean;
    reasons: Map<string, AttentionReason[]>;
    now: Date;
  },
): string {
  const { search } = o;
  const title = search.attention ? 'Needs attention' : 'Links';
  const rows = o.rows
    .map((l) => {
      const why = (o.reasons.get(l._id) ?? []).map((r) => ATTENTION_TEXT[r]).join('; ');
      return `<tr>
<td><a href="/ops/console/links/${html(encodeURIComponent(l._id))}"><code>${html(l._id)}</code></a></td>
<td><span class="status status-${html(l.status)}">${html(l.status)}</span>${why ? `<br><small>${html(why)}</small>` : ''}</td>
<td>${html(l.assignee === 'admin' ? (l.admin?.email ?? 'admin') : l.requester.email)}<br><small>${html(l.assignee)}</small></td>
<td>${html(l.organization.name)}<br><small>${html(l.organization.id)}</small></td>
<td>${html(l.appId)}</td>
<td><time datetime="${l.updatedAt.toISOString()}" title="${l.updatedAt.toISOString()}">${html(ago(l.updatedAt, o.now))}</time></td>
</tr>`;
    })
    .join('');
  const pager = [
    o.firstPage ? '' : `<a href="${html(searchUrl(search))}">← First page</a>`,
    o.nextCursor
      ? `<a href="${html(withParams(searchUrl(search), { limit: String(o.limit), cursor: o.nextCursor }))}" rel="next">Next page →</a>`
      : '',
  ]
    .filter(Boolean)
    .join(' ');
  const current = search.attention ? '/ops/console?view=attention' : '/ops/console';
  return consolePage(
    ctx,
    title,
    current,
    `<h1>${title}</h1>
${search.attention ? '<p>Degraded or disconnected links, links waiting on an admin for long, and links whose webhook deliveries are failing.</p>' : ''}
<form method="get" action="/ops/console" class="search" role="search">
${search.attention ? '<input type="hidden" name="view" value="attention">' : ''}
<div class="field"><label for="q">Search</label>
<input id="q" name="q" type="search" value="${html(search.q ?? '')}" placeholder="link id, organization, email" autocomplete="off"></div>
${select('status', 'Status', LINK_STATUSES, search.status)}
${select('assignee', 'Assigned to', ROLES, search.assignee)}
<div class="field"><label for="appId">App id</label><input id="appId" name="appId" value="${html(search.appId ?? '')}" autocomplete="off"></div>
<button type="submit">Search</button>
</form>
<div class="with-facets">
<aside aria-label="Filter by">
${facetList('Status', 'status', o.facets.status, search, LINK_STATUSES)}
${facetList('Assigned to', 'assignee', o.facets.assignee, search, ROLES)}
${facetList('App', 'appId', o.facets.appId, search, [])}
</aside>
<div class="results">
<table><caption>${o.rows.length ? `${o.rows.length} link(s) on this page, latest activity first` : 'No link matches'}</caption>
<thead><tr><th scope="col">Link</th><th scope="col">Status</th><th scope="col">Waiting on</th><th scope="col">Organization</th><th scope="col">App</th><th scope="col">Last activity</th></tr></thead>
<tbody>${rows}</tbody></table>
${pager ? `<nav class="pager" aria-label="Pages">${pager}</nav>` : ''}
</div>
</div>`,
  );
}
