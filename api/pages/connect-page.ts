import { getScope } from '../../greenhouse/catalog';
import { LEGACY_V1_RETIRED_NOTICE } from '../../greenhouse/legacy-v1-catalog';
import type { LinkDoc } from '../../store/links';
import { escapeHtml, layout } from './html';

const STATUS_TEXT: Record<string, string> = {
  granted: 'Granted',
  missing: 'Missing',
  needs_site_admin: 'Needs a Site Admin user',
  unknown: 'Could not check yet',
  not_checked: 'Not checked yet',
};

function checklist(link: LinkDoc): string {
  const results = new Map((link.lastProbe?.results ?? []).map((r) => [r.scope, r.status]));
  const rows = link.requiredScopes.map((id) => {
    const status = results.get(id) ?? 'not_checked';
    return `<li class="${status}"><strong>${escapeHtml(getScope(id).label)}</strong> <code>${escapeHtml(id)}</code> — ${STATUS_TEXT[status]}</li>`;
  });
  return `<ul id="checklist">${rows.join('')}</ul>`;
}

/** The hosted connect page: works without JavaScript; every action is a form POST. */
export function connectPage(
  link: LinkDoc,
  token: string,
  options: { legacyV1Enabled: boolean; purpose: 'requester' | 'admin' },
): string {
  const base = `/connect/${encodeURIComponent(token)}`;
  const org = escapeHtml(link.organization.name);
  if (link.status === 'linked') {
    return layout(
      'Linked',
      `<h1>Greenhouse is linked for ${org}</h1><p class="success" role="status">All required permissions are granted. You can close this page.</p>${checklist(link)}`,
    );
  }
  if (link.status === 'expired' || link.status === 'cancelled' || link.status === 'failed') {
    return layout(
      'Link closed',
      `<h1>This link is ${escapeHtml(link.status)}</h1><p>Ask the person who sent it for a new link.</p>`,
    );
  }
  const problem = link.credentialProblem
    ? `<p class="notice" role="alert">Greenhouse did not accept these credentials (${escapeHtml(link.credentialProblem.problem)}): ${escapeHtml(link.credentialProblem.message)}. Check the Client ID and Secret and try again.</p>`
    : '';
  const probed = link.lastProbe
    ? `<h2>Permissions</h2>${checklist(link)}
<form method="post" action="${base}/recheck"><button type="submit">I've updated the scopes — check again</button></form>`
    : `<h2>Permissions this link needs</h2>${checklist(link)}`;
  return layout(
    `Connect Greenhouse for ${link.organization.name}`,
    `<h1>Connect Greenhouse for ${org}</h1>
${problem}
<ol>
<li>In Greenhouse, open Configure → Dev Center → API Credentials → Create new API credentials (you need "Can manage ALL organization's API Credentials").</li>
<li>Choose the type <strong>Harvest V3 (OAuth)</strong> and copy the Client ID and the Client Secret (shown once).</li>
<li>Under Settings → Manage Scopes → Harvest, tick each permission listed below, then Save.</li>
</ol>
${probed}
<h2>Your credentials</h2>
<form method="post" action="${base}/credentials">
<label for="clientId">Client ID</label><input id="clientId" name="clientId" required autocomplete="off">
<label for="clientSecret">Client Secret</label><input id="clientSecret" name="clientSecret" type="password" required autocomplete="off">
<label for="userId">User ID (optional, a Site Admin to act as)</label><input id="userId" name="userId" inputmode="numeric" autocomplete="off">
<button type="submit">Check and connect</button>
</form>${options.legacyV1Enabled ? legacyForm(base) : ''}
${options.purpose === 'admin' ? notAdminForm(base) : handOffForm(base)}`,
  );
}

export function invalidTokenPage(): string {
  return layout(
    'Link not valid',
    `<h1>This link is not valid</h1><p>It may have expired or been replaced by a newer one. Ask the person who sent it for a new link, or use the newest email you received.</p>`,
  );
}

/** Only when GREENHOUSE_LEGACY_V1=true, and marked retired. */
function legacyForm(base: string): string {
  return `<details><summary>I only have a Harvest v1 API key (retired)</summary>
<p class="notice">${escapeHtml(LEGACY_V1_RETIRED_NOTICE)}</p>
<form method="post" action="${base}/credentials">
<label for="apiKey">Harvest v1 API key</label><input id="apiKey" name="apiKey" type="password" required autocomplete="off">
<button type="submit">Check the v1 key</button>
</form></details>`;
}

/** The requester's one step to pass the setup to their Greenhouse admin. */
function handOffForm(base: string): string {
  return `<h2>Not a Greenhouse admin?</h2>
<p>Creating API credentials needs the permission "Can manage ALL organization's API Credentials". Hand this to your Greenhouse admin: they get an email with every step.</p>
<form method="post" action="${base}/handoff">
<label for="adminEmail">Admin's email</label><input id="adminEmail" name="email" type="email" required autocomplete="email">
<label for="adminName">Admin's name (optional)</label><input id="adminName" name="name" autocomplete="name">
<label for="note">Note (optional)</label><input id="note" name="note">
<button type="submit">Hand this to my Greenhouse admin</button>
</form>`;
}

function notAdminForm(base: string): string {
  return `<form method="post" action="${base}/not-admin"><button type="submit">I'm not the Greenhouse admin — send it back</button></form>`;
}
