/** Example bodies shown in the API document and /docs (and tried by the schema fuzzer's examples phase). */

export const linkExample = {
  object: 'link',
  id: 'lnk_4f2a9c1e7b',
  status: 'awaiting_permissions',
  assignee: 'admin',
  organization: { id: 'org_812', name: 'Acme Corp' },
  requester: { email: 'riley@acme.example', name: 'Riley Chen' },
  admin: { email: 'it-admin@acme.example' },
  permissionSet: 'ats_read',
  locale: 'en',
  metadata: { customerId: 'cus_42' },
  permissions: [
    {
      scope: 'harvest:candidates:list',
      label: 'Candidates > List candidates',
      status: 'granted',
      evidence: { httpStatus: 200, checkedAt: '2026-12-01T09:30:02.000Z' },
    },
    {
      scope: 'harvest:jobs:list',
      label: 'Jobs > List jobs',
      status: 'missing',
      evidence: { httpStatus: 403, checkedAt: '2026-12-01T09:30:02.000Z' },
    },
  ],
  lastCheckedAt: '2026-12-01T09:30:02.000Z',
  credentialProblem: null,
  remindersSent: 1,
  health: null,
  auditLog: null,
  deletedAt: null,
  createdAt: '2026-12-01T09:12:44.000Z',
  updatedAt: '2026-12-01T09:30:02.000Z',
};

export const createLinkExample = {
  organization: { id: 'org_812', name: 'Acme Corp' },
  requester: { email: 'riley@acme.example', name: 'Riley Chen' },
  permissionSet: 'ats_read',
  locale: 'en',
  metadata: { customerId: 'cus_42' },
};

export const webhookEndpointExample = {
  url: 'https://hooks.wintro.example/greenlink',
  events: ['link.linked', 'link.degraded', 'link.disconnected', 'link.restored'],
};

export const credentialsExample = {
  clientId: 'a1b2c3d4e5f6a7b8c9d0e1f2',
  clientSecret: 'gh_secret_example_only',
  userId: '4080',
};
