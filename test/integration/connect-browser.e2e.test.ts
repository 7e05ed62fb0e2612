import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT_IN_PERMISSION_SETS, getScope } from '../../greenhouse/catalog';
import { launchChromium, screenshot, seriousAxeViolations } from '../support/browser';
import { http } from '../support/http';
import { messagesTo, waitForMessages } from '../support/mailpit';
import { sim } from '../support/simulator';
import { startTestStack, type TestStack } from '../support/stack';

const ATS_READ = BUILT_IN_PERMISSION_SETS.ats_read as string[];
const LACKING = ['harvest:offers:list', 'harvest:scorecards:list'];

/** Fails on a serious or critical axe-core finding, naming the rule and the elements. */
async function expectAccessible(page: Page) {
  expect(await seriousAxeViolations(page)).toEqual([]);
}

describe('the hosted connection flow in a real browser (Debian Chromium)', () => {
  let stack: TestStack;
  let browser: Browser;
  const cspViolations: string[] = [];

  beforeAll(async () => {
    stack = await startTestStack({
      env: { OPERATOR_TOKENS: 'ada:browser-ops-token-0123456789abcdefghijklmnopqrstuvwxyz:act' },
    });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  const startLink = (organization: string, requester: string) =>
    http(stack.api.url, 'POST', '/v1/links', {
      apiKey: stack.apiKey,
      body: { organization: { id: organization, name: organization }, requester: { email: requester } },
    });

  const watch = (page: Page) => {
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
    return page;
  };

  it('requester submits partial credentials, hands off, the admin fixes the scopes, both see linked', async () => {
    const requesterEmail = `rita-${Date.now()}@acme.example`;
    const adminEmail = `ada-${Date.now()}@acme.example`;
    const created = await http(stack.api.url, 'POST', '/v1/links', {
      apiKey: stack.apiKey,
      body: {
        organization: { id: 'browser', name: 'Acme Robotics' },
        requester: { email: requesterEmail, name: 'Rita' },
      },
    });
    expect(created.status).toBe(201);

    // 1. The requester opens the connect URL: the whole guide, in English (the browser's language).
    const requesterContext = await browser.newContext({
      locale: 'en-US',
      viewport: { width: 1000, height: 900 },
    });
    const requester = watch(await requesterContext.newPage());
    await requester.goto(created.json.connectUrl);
    await expect.poll(() => requester.title()).toContain('Connect Greenhouse for Acme Robotics');
    const guide = await requester.textContent('main');
    for (const text of [
      "Can manage ALL organization's API Credentials",
      'Email Your In-House Contacts',
      'Harvest V3 (OAuth)',
      'Manage Scopes',
      getScope('harvest:offers:list').label,
    ]) {
      expect(guide).toContain(text);
    }
    // Copy buttons exist only with JavaScript (progressive enhancement).
    expect(await requester.locator('button.copy').count()).toBeGreaterThan(ATS_READ.length);
    // Keyboard: the first Tab reaches the skip link, which leads to the form.
    await requester.keyboard.press('Tab');
    expect(await requester.evaluate('document.activeElement?.getAttribute("href")')).toBe('#credentials');
    await expectAccessible(requester);
    await screenshot(requester, '01-connect-page');

    // 2. Credentials missing two scopes: the checklist shows exactly those, with how to fix them.
    const credential = await sim.createCredential(ATS_READ.filter((s) => !LACKING.includes(s)));
    await requester.getByLabel('Client ID').fill(credential.clientId);
    await requester.getByLabel('Client Secret').fill(credential.clientSecret);
    await requester.getByRole('button', { name: 'Check and connect' }).click();
    await requester.waitForSelector('#status.awaiting_permissions');
    expect(await requester.textContent('#status')).toContain('2 permissions missing');
    const missing = await requester
      .locator('.checklist li.missing')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-scope')));
    expect(missing.sort()).toEqual([...LACKING].sort());
    expect(await requester.textContent('.checklist li.missing')).toContain('Manage Scopes');
    expect(await requester.content()).not.toContain(credential.clientSecret);
    await expectAccessible(requester);
    await screenshot(requester, '02-checklist-two-missing');

    // 3. Hand it to the admin in one step.
    await requester.getByLabel("Admin's email").fill(adminEmail);
    await requester.getByLabel("Admin's name").fill('Ada');
    await requester.getByLabel('Note for them').fill('Could you tick the two missing scopes?');
    await requester.getByRole('button', { name: 'Hand this to my Greenhouse admin' }).click();
    await requester.getByText('Handed to your Greenhouse admin').waitFor();
    await screenshot(requester, '03-handed-off');
    await requester.evaluate('window.notReloaded = true'); // the page is never reloaded from here on

    // 4. The admin's email (through the real SMTP catcher): who asked, what is missing, how to fix, a link.
    const [invitation] = await waitForMessages(adminEmail, 1);
    expect(invitation?.Subject).toBe('Rita asks you to connect Greenhouse for Acme Robotics');
    for (const scope of LACKING) expect(invitation?.Text).toContain(getScope(scope).label);
    expect(invitation?.Text).toContain('Could you tick the two missing scopes?');
    expect(invitation?.Text).not.toContain(credential.clientSecret);
    const adminUrl = /(http:\/\/\S+\/connect\/[A-Za-z0-9_-]{43})/.exec(invitation?.Text ?? '')?.[1] as string;
    expect(adminUrl).toBeTruthy();
    const mailView = await requesterContext.newPage();
    await mailView.setContent(invitation?.HTML ?? '');
    await screenshot(mailView, '04-admin-email');
    await mailView.close();

    // 5. The admin opens their link, in German (their browser's language): what is missing and how to fix it.
    const adminContext = await browser.newContext({
      locale: 'de-DE',
      viewport: { width: 1000, height: 900 },
    });
    const admin = watch(await adminContext.newPage());
    await admin.goto(adminUrl);
    await expect.poll(() => admin.title()).toContain('Greenhouse für Acme Robotics verbinden');
    expect(await admin.textContent('main')).toContain('Rita (');
    expect(await admin.textContent('main')).toContain('Could you tick the two missing scopes?');
    expect(await admin.locator('.checklist li.missing').count()).toBe(2);
    expect(
      await admin.getByRole('button', { name: 'Ich bin kein Greenhouse-Admin – zurückgeben' }).count(),
    ).toBe(1);
    await expectAccessible(admin);
    await screenshot(admin, '05-admin-page-de');

    // 6. The admin grants the scopes in Greenhouse (the simulator) and clicks "check again".
    await sim.changeScopes(credential.clientId, { grant: LACKING });
    await admin.getByRole('button', { name: 'Ich habe die Scopes geändert – erneut prüfen' }).click();
    await admin
      .getByRole('heading', { name: 'Greenhouse ist für Acme Robotics verbunden' })
      .waitFor({ timeout: 30_000 });
    await screenshot(admin, '06-admin-linked-de');

    // 7. The requester's page, untouched since step 3, turns to linked by itself (live updates).
    await requester
      .getByRole('heading', { name: 'Greenhouse is connected for Acme Robotics' })
      .waitFor({ timeout: 30_000 });
    expect(await requester.locator('.checklist li.granted').count()).toBe(ATS_READ.length);
    expect(await requester.evaluate('window.notReloaded')).toBe(true);
    await expectAccessible(requester);
    await screenshot(requester, '07-requester-linked');

    const status = await http(stack.api.url, 'GET', `/v1/links/${created.json.id}`, { apiKey: stack.apiKey });
    expect(status.json.status).toBe('linked');
    // 8. An operator signs in and reads the link's whole story in the console.
    const opsContext = await browser.newContext();
    const ops = watch(await opsContext.newPage());
    await ops.goto(`${stack.api.url}/ops/console/links/${created.json.id}`);
    expect(new URL(ops.url()).pathname).toBe('/ops/login');
    await expectAccessible(ops);
    await ops.fill('#token', 'browser-ops-token-0123456789abcdefghijklmnopqrstuvwxyz');
    await ops.click('button[type=submit]');
    await ops.waitForURL(`**/ops/console/links/${created.json.id}`);
    for (const entry of ['update.submitCredentials.accepted', 'signal.handOff', 'signal.recheck', 'linked']) {
      expect(await ops.textContent('main')).toContain(entry);
    }
    await expectAccessible(ops);
    await screenshot(ops, '09-operator-console');
    // 9. Finds it again by search, acts on it after a confirmation, and reads the overview.
    await ops.goto(`${stack.api.url}/ops/console`);
    await ops.fill('#q', 'Acme Robotics');
    await ops.click('form.search button[type=submit]');
    await ops.waitForURL('**/ops/console?q=Acme+Robotics**');
    expect(await ops.textContent('tbody')).toContain(created.json.id);
    await expectAccessible(ops);
    await screenshot(ops, '13-console-search');
    await ops.click(`tbody a[href="/ops/console/links/${created.json.id}"]`);
    await ops.click('text=Check again…');
    expect(await ops.textContent('h1')).toBe('Check again');
    await expectAccessible(ops);
    await ops.click('button:has-text("Confirm")');
    await ops.waitForURL(`**/ops/console/links/${created.json.id}?done=*`);
    expect(await ops.textContent('.notice')).toContain('Check requested');
    await screenshot(ops, '14-console-action-done');
    await ops.goto(`${stack.api.url}/ops/console/overview`);
    expect(await ops.textContent('main')).toContain('Funnel');
    await expectAccessible(ops);
    await screenshot(ops, '15-console-overview');
    await opsContext.close();

    expect(cspViolations).toEqual([]);
    await requesterContext.close();
    await adminContext.close();
  });

  it('updates the checklist in place, and never throws away what someone is typing', async () => {
    const created = await startLink('Typing AG', 'typing@acme.example');
    const path = new URL(created.json.connectUrl).pathname;
    const credential = await sim.createCredential(ATS_READ.filter((s) => !LACKING.includes(s)));
    await http(stack.api.url, 'POST', `${path}/credentials`, {
      body: { clientId: credential.clientId, clientSecret: credential.clientSecret },
    });
    const recheck = () =>
      http(stack.api.url, 'POST', `/v1/links/${created.json.id}/recheck`, { apiKey: stack.apiKey, body: {} });
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    await page.goto(created.json.connectUrl);
    expect(await page.textContent('#status')).toContain('2 permissions missing');
    await page.evaluate('window.notReloaded = true');

    // A re-check that still leaves one scope missing: the status and checklist change in place.
    await sim.changeScopes(credential.clientId, { grant: ['harvest:scorecards:list'] });
    await recheck();
    await page.waitForSelector('li.granted[data-scope="harvest:scorecards:list"]', { timeout: 30_000 });
    expect(await page.textContent('#status')).toContain('1 permission missing');
    expect(await page.evaluate('window.notReloaded')).toBe(true);

    // Linked while the visitor is typing: announced with a Reload button, the input kept.
    await page.getByLabel("Admin's email").fill('half-typed@');
    await sim.changeScopes(credential.clientId, { grant: ['harvest:offers:list'] });
    await recheck();
    await page.getByText('The status has changed').waitFor({ timeout: 30_000 });
    expect(await page.inputValue('#adminEmail')).toBe('half-typed@');
    await page.getByRole('button', { name: 'Reload' }).click();
    await page.getByRole('heading', { name: 'Greenhouse is connected for Typing AG' }).waitFor();
    await context.close();
  });

  it('works without JavaScript: submit, see the checklist, check again', async () => {
    const created = await startLink('No Script Inc', 'nojs@acme.example');
    const context = await browser.newContext({ javaScriptEnabled: false, locale: 'en-US' });
    const page = await context.newPage();
    await page.goto(created.json.connectUrl);
    expect(await page.locator('button.copy').count()).toBe(0);
    // A wrong field is named in place, and nothing else changes.
    await page.getByLabel('Client ID').fill('123.456');
    await page.getByLabel('Client Secret').fill('   ');
    await page.getByLabel('User ID').fill('not-a-number');
    await page.getByRole('button', { name: 'Check and connect' }).click();
    expect(await page.getAttribute('#clientSecret', 'aria-invalid')).toBe('true');
    expect(await page.getAttribute('#userId', 'aria-invalid')).toBe('true');
    expect(await page.inputValue('#clientId')).toBe('123.456');
    await screenshot(page, '08-no-js-field-errors');

    const credential = await sim.createCredential(ATS_READ.filter((s) => s !== 'harvest:offers:list'));
    await page.getByLabel('Client ID').fill(credential.clientId);
    await page.getByLabel('Client Secret').fill(credential.clientSecret);
    await page.getByLabel('User ID').fill('');
    await page.getByRole('button', { name: 'Check and connect' }).click();
    expect(await page.textContent('#status')).toContain('1 permission missing');
    await sim.changeScopes(credential.clientId, { grant: ['harvest:offers:list'] });
    await page.getByRole('button', { name: "I've updated the scopes — check again" }).click();
    // Without script nothing polls: the visitor reloads, as the notice says.
    await expect
      .poll(
        async () => {
          await page.reload();
          return page.textContent('h1');
        },
        { timeout: 30_000, interval: 500 },
      )
      .toBe('Greenhouse is connected for No Script Inc');
    await context.close();
  });

  it('a disconnected link: the reconnect page in English and German, accessible, takes new credentials', async () => {
    const requester = `reconnect-${Date.now()}@acme.example`;
    const created = await startLink('Reconnect GmbH', requester);
    const id: string = created.json.id;
    const first = await sim.createCredential(ATS_READ);
    const connectPath = new URL(created.json.connectUrl).pathname;
    const linked = await http(stack.api.url, 'POST', `${connectPath}/credentials`, {
      body: { clientId: first.clientId, clientSecret: first.clientSecret },
    });
    expect(linked.json.status).toBe('linked');
    await sim.revokeCredential(first.clientId);
    await http(stack.api.url, 'POST', `/v1/links/${id}/recheck`, { apiKey: stack.apiKey });
    await expect
      .poll(async () => (await messagesTo(requester)).some((m) => m.Subject.includes('disconnected')), {
        timeout: 30_000,
        interval: 500,
      })
      .toBe(true);
    const mails = await messagesTo(requester);
    const notice = mails.find((m) => m.Subject.includes('disconnected'));
    const reconnectUrl = /(https?:\/\/\S+\/connect\/[A-Za-z0-9_-]{43})/.exec(
      notice?.Text ?? '',
    )?.[1] as string;
    expect(reconnectUrl).toBeDefined();

    const german = await browser.newContext({ locale: 'de-DE' });
    const dePage = watch(await german.newPage());
    await dePage.goto(reconnectUrl);
    expect(await dePage.textContent('main')).toContain(
      'Greenhouse akzeptiert die API-Zugangsdaten nicht mehr',
    );
    await expectAccessible(dePage);
    await screenshot(dePage, '12-reconnect-de');
    await german.close();

    const english = await browser.newContext({ locale: 'en-US' });
    const page = watch(await english.newPage());
    await page.goto(reconnectUrl);
    expect(await page.textContent('main')).toContain('Greenhouse stopped accepting the API credentials');
    expect(await page.textContent('#status')).toContain('no longer accepts the saved credentials');
    await expectAccessible(page);
    await screenshot(page, '11-reconnect-en');
    const second = await sim.createCredential(ATS_READ);
    await page.getByLabel('Client ID').fill(second.clientId);
    await page.getByLabel('Client Secret').fill(second.clientSecret);
    await page.getByRole('button', { name: 'Check and connect' }).click();
    await expect
      .poll(() => page.textContent('h1'), { timeout: 30_000 })
      .toBe('Greenhouse is connected for Reconnect GmbH');
    await expectAccessible(page);
    expect(
      (await http(stack.api.url, 'GET', `/v1/links/${id}`, { apiKey: stack.apiKey })).json,
    ).toMatchObject({
      id,
      status: 'linked',
    });
    expect(cspViolations).toEqual([]);
    await english.close();
  });
});
