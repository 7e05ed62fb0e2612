/**
 * The Harvest v3 permission catalog: every scope Greenlink can require, the label Greenhouse shows for it,
 * and how Greenlink checks it without side effects (how an admin grants it: MANAGE_SCOPES_PATH and the label). Pure data, no I/O, so the
 * workflow bundle, the API pages and the simulator all read the same table.
 */
export type ScopeAccess = 'read' | 'write';
export type ScopeAction = 'list' | 'create' | 'update';

/** Which Harvest v3 calls each action's scope allows: the method, and whether the path names one record. */
const ACTION_ENDPOINTS: Record<ScopeAction, { method: string; item: boolean }[]> = {
  list: [
    { method: 'GET', item: false },
    { method: 'GET', item: true },
  ],
  create: [{ method: 'POST', item: false }],
  update: [
    { method: 'PATCH', item: true },
    { method: 'PUT', item: true },
  ],
};

export type ScopeProbe =
  /** A harmless read: `GET <path>?per_page=1`. */
  | { kind: 'list'; path: string }
  /** Writes are never exercised: judged from token introspection only. */
  | { kind: 'introspection' };

export interface ScopeDefinition {
  id: string;
  /** `harvest:<resource>:<action>`: the v3 path segment and what the scope allows on it. */
  resource: string;
  action: ScopeAction;
  access: ScopeAccess;
  /** As shown in Greenhouse under Manage Scopes → Harvest. */
  label: string;
  group: string;
  probe: ScopeProbe;
}

export const MANAGE_SCOPES_PATH =
  'Configure → Dev Center → API Credentials → your Harvest V3 (OAuth) credential → Settings → Manage Scopes → Harvest';

const scope = (resource: string, action: ScopeAction, group: string, label: string): ScopeDefinition => {
  const access: ScopeAccess = action === 'list' ? 'read' : 'write';
  return {
    id: `harvest:${resource}:${action}`,
    resource,
    action,
    access,
    label: `${group} > ${label}`,
    group,
    probe: access === 'read' ? { kind: 'list', path: `/v3/${resource}` } : { kind: 'introspection' },
  };
};

export const SCOPES: readonly ScopeDefinition[] = [
  scope('users', 'list', 'Users', 'List users'),
  scope('user_roles', 'list', 'User Roles', 'List user roles'),
  scope('jobs', 'list', 'Jobs', 'List jobs'),
  scope('job_posts', 'list', 'Job Posts', 'List job posts'),
  scope('departments', 'list', 'Departments', 'List departments'),
  scope('offices', 'list', 'Offices', 'List offices'),
  scope('candidates', 'list', 'Candidates', 'List candidates'),
  scope('applications', 'list', 'Applications', 'List applications'),
  scope('job_interview_stages', 'list', 'Job Interview Stages', 'List job interview stages'),
  scope('sources', 'list', 'Sources', 'List sources'),
  scope('rejection_reasons', 'list', 'Rejection Reasons', 'List rejection reasons'),
  scope('custom_fields', 'list', 'Custom Fields', 'List custom fields'),
  scope('scorecards', 'list', 'Scorecards', 'List scorecards'),
  scope('interviews', 'list', 'Interviews', 'List interviews'),
  scope('offers', 'list', 'Offers', 'List offers'),
  scope('candidates', 'create', 'Candidates', 'Create candidates'),
  scope('candidates', 'update', 'Candidates', 'Update candidates'),
  scope('applications', 'create', 'Applications', 'Create applications'),
  scope('notes', 'create', 'Notes', 'Create notes'),
  scope('attachments', 'create', 'Attachments', 'Create attachments'),
];

const byId = new Map(SCOPES.map((s) => [s.id, s]));

export function findScope(id: string): ScopeDefinition | undefined {
  return byId.get(id);
}

export function getScope(id: string): ScopeDefinition {
  const found = byId.get(id);
  if (!found) throw new Error(`Unknown Greenhouse scope ${id}`);
  return found;
}

/**
 * The scope a Harvest v3 call needs, from its method and path (`/v3/<resource>` or `/v3/<resource>/<id>`), or
 * undefined for a call outside the catalog.
 */
export function scopeForRequest(method: string, path: string): ScopeDefinition | undefined {
  const match = /^\/v3\/([a-z_]+)(\/[^/]+)?\/?$/.exec(path);
  if (!match) return undefined;
  const [, resource, item] = match;
  return SCOPES.find(
    (s) =>
      s.resource === resource &&
      ACTION_ENDPOINTS[s.action].some((e) => e.method === method.toUpperCase() && e.item === Boolean(item)),
  );
}

const ATS_READ = [
  'users',
  'user_roles',
  'jobs',
  'job_posts',
  'departments',
  'offices',
  'candidates',
  'applications',
  'job_interview_stages',
  'sources',
  'rejection_reasons',
  'custom_fields',
  'scorecards',
  'interviews',
  'offers',
].map((resource) => `harvest:${resource}:list`);

/** Built-in named lists of required scopes; a deployment can add its own (PERMISSION_SETS_FILE). */
export const BUILT_IN_PERMISSION_SETS: Readonly<Record<string, readonly string[]>> = {
  ats_read: ATS_READ,
  /** The seed's "only if candidate source writing is enabled". */
  candidate_source_writing: [
    ...ATS_READ,
    'harvest:candidates:create',
    'harvest:candidates:update',
    'harvest:applications:create',
    'harvest:notes:create',
    'harvest:attachments:create',
  ],
};
