import express, { Router } from 'express';
import { noFaults, type SimFaults } from './faults';
import type { SimBehaviour, SimCredential, SimulatorState } from './state';

export const credentialView = (c: SimCredential) => ({
  clientId: c.clientId,
  clientSecret: c.clientSecret,
  organizationId: c.organizationId,
  serviceUserId: c.serviceUserId,
  scopes: [...c.scopes].sort(),
});

/** JSON control API under /_sim, for tests, benchmarks and the control page. */
export function controlApi(state: SimulatorState) {
  const control = Router();
  control.use(express.json());

  control.get('/state', (_req, res) => {
    res.json({
      behaviour: state.behaviour,
      faults: state.faults,
      organizations: [...state.organizations.values()],
      users: [...state.users.values()],
      credentials: [...state.credentials.values()].map(credentialView),
      legacyKeys: [...state.legacyKeys.values()].map((k) => ({
        ...k,
        permissions: [...k.permissions].sort(),
      })),
    });
  });
  control.post('/reset', (_req, res) => {
    state.reset();
    res.status(204).end();
  });
  control.patch('/behaviour', (req, res) => {
    state.behaviour = { ...state.behaviour, ...(req.body as Partial<SimBehaviour>) };
    for (const limiter of Object.values(state.limits)) limiter.clear();
    res.json(state.behaviour);
  });
  control.put('/faults', (req, res) => {
    state.faults = { ...noFaults(), ...(req.body as Partial<SimFaults>) };
    res.json(state.faults);
  });
  control.post('/credentials', (req, res) => {
    const body = req.body as {
      clientId?: string;
      clientSecret?: string;
      scopes?: string[];
      serviceUserId?: number;
    };
    res.status(201).json(credentialView(state.addCredential({ ...body, scopes: body.scopes ?? [] })));
  });
  control.delete('/credentials/:clientId', (req, res) => {
    if (!state.revokeCredential(req.params.clientId))
      return void res.status(404).json({ message: 'no such credential' });
    res.status(204).end();
  });
  control.post('/credentials/:clientId/scopes', (req, res) => {
    const credential = state.credentials.get(req.params.clientId);
    if (!credential) return void res.status(404).json({ message: 'no such credential' });
    state.changeScopes(credential, req.body as { grant?: string[]; revoke?: string[] });
    res.json(credentialView(credential));
  });
  control.post('/legacy-keys', (req, res) => {
    const body = req.body as { apiKey?: string; permissions?: string[] };
    const key = state.addLegacyKey({ ...body, permissions: body.permissions ?? [] });
    res.status(201).json({ ...key, permissions: [...key.permissions] });
  });
  control.post('/users', (req, res) => {
    const body = req.body as { name?: string; email?: string; siteAdmin?: boolean; organizationId?: number };
    const id = state.newId();
    const user = {
      id,
      organizationId: body.organizationId ?? 4001,
      name: body.name ?? `User ${id}`,
      email: body.email ?? `user${id}@acme.example`,
      siteAdmin: body.siteAdmin ?? false,
    };
    state.users.set(id, user);
    res.status(201).json(user);
  });
  control.patch('/users/:id', (req, res) => {
    const user = state.users.get(Number(req.params.id));
    if (!user) return void res.status(404).json({ message: 'no such user' });
    const body = req.body as { siteAdmin?: boolean };
    if (typeof body.siteAdmin === 'boolean') user.siteAdmin = body.siteAdmin;
    res.json(user);
  });
  control.get('/calls', (_req, res) => void res.json(state.calls));
  control.delete('/calls', (_req, res) => {
    state.calls = [];
    res.status(204).end();
  });
  return control;
}
