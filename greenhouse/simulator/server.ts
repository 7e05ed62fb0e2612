import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { auditLogRoutes } from './audit-log-routes';
import { controlApi } from './control-api';
import { controlPage } from './control-page';
import { faultInjector } from './faults';
import { harvestRoutes } from './harvest-routes';
import { legacyV1Routes } from './legacy-v1-routes';
import { SimulatorState } from './state';

/**
 * A Greenhouse stand-in over real HTTP, following reference/greenhouse.md: the auth server (/token,
 * /introspect), Harvest v3 list endpoints, retired v1 endpoints, fault injection, and a control API and page
 * under /_sim. It records every call so tests can check what a client did.
 */
export function createSimulatorApp(state = new SimulatorState()) {
  const app = express();
  const record = (req: Request, status: number, locals: Response['locals'] = {}) =>
    state.calls.push({
      at: (locals.handledAt ?? new Date()).toISOString(),
      method: req.method,
      path: req.originalUrl,
      status,
      clientId: locals.clientId,
      ...(locals.rateLimited ? { rateLimited: true } : {}),
    });

  app.disable('x-powered-by');
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (!req.path.startsWith('/_sim')) res.on('finish', () => record(req, res.statusCode, res.locals));
    next();
  });
  app.use(
    faultInjector(
      () => state.faults,
      (req) => record(req, 0),
    ),
  );
  // When the routes (and their rate limiter) take the request: what the call log's `at` means.
  app.use((_req: Request, res: Response, next: NextFunction) => {
    res.locals.handledAt = new Date();
    next();
  });
  app.use(harvestRoutes(state, state.limits));
  app.use(legacyV1Routes(state, state.limits.legacy));
  app.use(auditLogRoutes(state, state.limits));
  app.use('/_sim', controlApi(state));
  app.use('/_sim', controlPage(state));
  app.use((_req, res) => void res.status(404).json({ message: 'Resource not found' }));
  return { app, state };
}

export interface RunningSimulator {
  url: string;
  state: SimulatorState;
  close(): Promise<void>;
}

export async function startSimulator(port = 0, host = '127.0.0.1'): Promise<RunningSimulator> {
  const { app, state } = createSimulatorApp();
  const server = app.listen(port, host);
  await once(server, 'listening');
  const { port: actual } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${actual}`,
    state,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
