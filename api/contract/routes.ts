import { apiKeyRoutes } from './api-keys';
import { connectRoutes } from './connect';
import { type ContractOptions, linkRoutes } from './links';
import { operatorRoutes, serviceRoutes } from './operator';
import { webhookEndpointRoutes } from './webhook-endpoints';

export type { ContractOptions } from './links';

/** Every route the API serves, in the order Express tries them. */
export const apiRoutes = (options: ContractOptions) =>
  [
    ...linkRoutes(options),
    ...webhookEndpointRoutes(),
    ...apiKeyRoutes(),
    ...connectRoutes(),
    ...operatorRoutes(),
    ...serviceRoutes(),
  ] as const;

export type ApiRoutes = ReturnType<typeof apiRoutes>;
