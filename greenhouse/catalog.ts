/**
 * The Harvest v3 permission catalog: every scope Greenlink can require, the label Greenhouse shows for it,
 * how Greenlink checks it without side effects, and how an admin grants it. Pure data, no I/O, so the
 * workflow bundle, the API pages and the simulator all read the same table.
 */
export type ScopeAccess = 'read' | 'write';

export type ScopeProbe =
  /** A harmless read: `GET <path>?per_page=1`. */
  | { kind: 'list'; path: string }
  /** Writes are never exercised: judged from token introspection only. */
  | { kind: 'introspection' };

export interface ScopeDefinition {
  id: string;
  access: ScopeAccess;
  /** As shown in Greenhouse under Manage Scopes → Harvest. */
  label: string;
  group: string;
  probe: ScopeProbe;
}

const list = (resource: string, group: string, label: string): ScopeDefinition => ({
  id: `harvest:${resource}:list`,
  access: 'read',
  label: `${group} > ${label}`,
  group,
  probe: { kind: 'list', path: `/v3/${resource}` },
});

const write = (resource: string, action: string, group: string, label: string): ScopeDefinition => ({
  id: `harvest:${resource}:${action}`,
  access: 'write',
  label: `${group} > ${label}`,
  group,
  probe: { kind: 'introspection' },
});

export const SCOPES: readonly ScopeDefinition[] = [
  list('users', 'Users', 'List users'),
  list('user_roles', 'User Roles', 'List user roles'),
  list('jobs', 'Jobs', 'List jobs'),
  list('job_posts', 'Job Posts', 'List job posts'),
  list('departments', 'Departments', 'List departments'),
  list('offices', 'Offices', 'List offices'),
  list('candidates', 'Candidates', 'List candidates'),
  list('applications', 'Applications', 'List applications'),
  list('job_interview_stages', 'Job Interview Stages', 'List job interview stages'),
  list('sources', 'Sources', 'List sources'),
  list('rejection_reasons', 'Rejection Reasons', 'List rejection reasons'),
  list('custom_fields', 'Custom Fields', 'List custom fields'),
  list('scorecards', 'Scorecards', 'List scorecards'),
  list('interviews', 'Interviews', 'List interviews'),
  list('offers', 'Offers', 'List offers'),
  write('candidates', 'create', 'Candidates', 'Create candidates'),
  write('candidates', 'update', 'Candidates', 'Update candidates'),
  write('applications', 'create', 'Applications', 'Create applications'),
  write('notes', 'create', 'Notes', 'Create notes'),
  write('attachments', 'create', 'Attachments', 'Create attachments'),
];

const byId = new Map(SCOPES.map((scope) => [scope.id, scope]));

export function findScope(id: string): ScopeDefinition | undefined {
  return byId.get(id);
}

export function getScope(id: string): ScopeDefinition {
  const scope = byId.get(id);
  if (!scope) throw new Error(`Unknown Greenhouse scope ${id}`);
  return scope;
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

/** Named lists of required scopes an app can ask for when it starts a link. */
export const PERMISSION_SETS: Readonly<Record<string, readonly string[]>> = {
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

/** How to fix a missing scope, in the words of the Greenhouse UI. */
export function fixInstruction(scope: ScopeDefinition): string {
  return `In Greenhouse: Configure → Dev Center → API Credentials → your Harvest V3 (OAuth) credential → Settings → Manage Scopes → Harvest → tick "${scope.label}" → Save.`;
}
