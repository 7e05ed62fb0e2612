import { inject } from 'vitest';

const url = () => inject('services').simulatorUrl;

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${url()}/_sim${path}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!response.ok) throw new Error(`simulator ${method} ${path} answered ${response.status}`);
  return (response.status === 204 ? undefined : await response.json()) as T;
}

export interface SimCredentialView {
  clientId: string;
  clientSecret: string;
  scopes: string[];
}

/** Simulator control, over its HTTP control API (the same one the demo page uses). */
export const sim = {
  createCredential: (scopes: string[], extra: Record<string, unknown> = {}) =>
    call<SimCredentialView>('POST', '/credentials', { scopes, ...extra }),
  changeScopes: (clientId: string, change: { grant?: string[]; revoke?: string[] }) =>
    call<SimCredentialView>('POST', `/credentials/${encodeURIComponent(clientId)}/scopes`, change),
  /** An admin revokes the credentials in Greenhouse: no more tokens, and issued ones stop working. */
  revokeCredential: (clientId: string) =>
    call<undefined>('DELETE', `/credentials/${encodeURIComponent(clientId)}`),
  calls: () => call<{ method: string; path: string; status: number; clientId?: string }[]>('GET', '/calls'),
};
