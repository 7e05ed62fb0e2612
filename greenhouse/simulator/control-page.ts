import express, { Router } from 'express';
import { escapeHtml } from '../../lib/escape-html';
import { SCOPES } from '../catalog';
import { noFaults } from './faults';
import type { SimulatorState } from './state';

/** A small page to drive the simulator by hand: scopes, Site Admin, behaviour switches and faults. */
export function controlPage(state: SimulatorState) {
  const router = Router();
  router.use(express.urlencoded({ extended: false }));
  const back = (res: express.Response) => res.redirect(303, '/_sim');

  router.get('/', (_req, res) => {
    const credentials = [...state.credentials.values()].map(
      (c) => `<form method="post" action="/_sim/page/credentials/${encodeURIComponent(c.clientId)}">
<fieldset><legend>${escapeHtml(c.clientId)} <small>secret ${escapeHtml(c.clientSecret)}</small></legend>
${SCOPES.map((s) => `<label><input type="checkbox" name="scope" value="${escapeHtml(s.id)}"${c.scopes.has(s.id) ? ' checked' : ''}> ${escapeHtml(s.label)}</label>`).join('<br>')}
<br><button>Save scopes</button></fieldset></form>`,
    );
    const users = [...state.users.values()].map(
      (u) => `<form method="post" action="/_sim/page/users/${u.id}"><label>${u.id} ${escapeHtml(u.name)}:
<select name="siteAdmin"><option value="true"${u.siteAdmin ? ' selected' : ''}>Site Admin</option>
<option value="false"${u.siteAdmin ? '' : ' selected'}>not Site Admin</option></select></label> <button>Save</button></form>`,
    );
    const b = state.behaviour;
    const f = state.faults;
    res
      .type('html')
      .send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Greenhouse simulator</title>
<style>body{font:15px system-ui;max-width:60rem;margin:1.5rem auto;padding:0 1rem}fieldset{margin:.5rem 0}</style></head>
<body><main><h1>Greenhouse simulator</h1><p>JSON: <a href="/_sim/state">/_sim/state</a>, <a href="/_sim/calls">/_sim/calls</a></p>
<h2>Credentials (Harvest v3)</h2>${credentials.join('')}
<h2>Users</h2>${users.join('')}
<h2>Behaviour</h2><form method="post" action="/_sim/page/behaviour">
<label>Non-admin list answer <select name="nonAdminList"><option${b.nonAdminList === 'forbidden' ? ' selected' : ''}>forbidden</option><option${b.nonAdminList === 'empty' ? ' selected' : ''}>empty</option></select></label><br>
<label>Token expiry field <select name="tokenExpiry"><option${b.tokenExpiry === 'expires_in' ? ' selected' : ''}>expires_in</option><option${b.tokenExpiry === 'expires_at' ? ' selected' : ''}>expires_at</option></select></label><br>
<label>Introspection <select name="introspection"><option value="true"${b.introspection ? ' selected' : ''}>on</option><option value="false"${b.introspection ? '' : ' selected'}>off</option></select></label><br>
<label>v3 requests per 30 s <input name="harvestRateLimit" type="number" min="1" value="${b.harvestRateLimit}"></label><br>
<button>Save behaviour</button></form>
<h2>Faults</h2><form method="post" action="/_sim/page/faults">
<label>Latency ms <input name="latencyMs" type="number" min="0" value="${f.latencyMs}"></label><br>
<label>Slow body ms <input name="slowBodyMs" type="number" min="0" value="${f.slowBodyMs}"></label><br>
<label>Next N answers 503 <input name="serverErrors" type="number" min="0" value="${f.serverErrors.count}"></label><br>
<label>Next N answers 429 <input name="rateLimitBurst" type="number" min="0" value="${f.rateLimitBurst.count}"></label><br>
<label>Next N connections reset <input name="connectionResets" type="number" min="0" value="${f.connectionResets}"></label><br>
<button>Apply faults</button></form></main></body></html>`);
  });
  router.post('/page/credentials/:clientId', (req, res) => {
    const credential = state.credentials.get(req.params.clientId);
    const picked: string[] = [req.body.scope ?? []].flat();
    if (credential) {
      const revoke = [...credential.scopes].filter((s) => !picked.includes(s));
      state.changeScopes(credential, { grant: picked, revoke });
    }
    back(res);
  });
  router.post('/page/users/:id', (req, res) => {
    const user = state.users.get(Number(req.params.id));
    if (user) user.siteAdmin = req.body.siteAdmin === 'true';
    back(res);
  });
  router.post('/page/behaviour', (req, res) => {
    state.behaviour = {
      ...state.behaviour,
      nonAdminList: req.body.nonAdminList === 'empty' ? 'empty' : 'forbidden',
      tokenExpiry: req.body.tokenExpiry === 'expires_at' ? 'expires_at' : 'expires_in',
      introspection: req.body.introspection !== 'false',
      harvestRateLimit: Math.max(1, Number(req.body.harvestRateLimit) || state.behaviour.harvestRateLimit),
    };
    back(res);
  });
  router.post('/page/faults', (req, res) => {
    const n = (v: unknown) => Math.max(0, Number(v) || 0);
    state.faults = {
      ...noFaults(),
      latencyMs: n(req.body.latencyMs),
      slowBodyMs: n(req.body.slowBodyMs),
      serverErrors: { count: n(req.body.serverErrors), status: 503 },
      rateLimitBurst: { count: n(req.body.rateLimitBurst), retryAfterSeconds: 1 },
      connectionResets: n(req.body.connectionResets),
    };
    back(res);
  });
  return router;
}
