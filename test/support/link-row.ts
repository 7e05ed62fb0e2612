import { initialSnapshot, workflowIdFor } from '../../domain/link';
import type { LinkDoc } from '../../store/links';

/** A link's row as the create path stores it, for tests that write one directly; `fields` override. */
export function linkRow(id: string, fields: Partial<LinkDoc> = {}): LinkDoc {
  const now = new Date();
  return {
    _id: id,
    appId: 'app_test',
    organization: { id: 'o', name: 'O' },
    requester: { email: 'r@acme.example' },
    permissionSet: 'ats_read',
    requiredScopes: [],
    locale: null,
    metadata: {},
    workflowId: workflowIdFor(id),
    ...initialSnapshot(),
    createdAt: now,
    updatedAt: now,
    ...fields,
  };
}
