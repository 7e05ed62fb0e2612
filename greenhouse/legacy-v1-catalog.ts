/**
 * Harvest v1 (retired by Greenhouse on 2026-08-31): per-endpoint API key permissions, as the seed describes
 * them. Keyed by the v3 scope they stand for, so one permission set serves both credential types.
 */
export interface LegacyPermission {
  /** As shown under the key's "Manage permissions". */
  label: string;
  method: 'GET' | 'POST' | 'PATCH';
  path: string;
}

const get = (resource: string, group: string, label: string): LegacyPermission => ({
  label: `${group} → GET: ${label}`,
  method: 'GET',
  path: `/v1/${resource}`,
});

export const LEGACY_V1_PERMISSIONS: Readonly<Record<string, LegacyPermission>> = {
  'harvest:users:list': get('users', 'Users', 'List Users'),
  'harvest:user_roles:list': get('user_roles', 'User Roles', 'List User Roles'),
  'harvest:jobs:list': get('jobs', 'Jobs', 'List Jobs'),
  'harvest:job_posts:list': get('job_posts', 'Job Posts', 'List Job Posts'),
  'harvest:departments:list': get('departments', 'Departments', 'List Departments'),
  'harvest:offices:list': get('offices', 'Offices', 'List Offices'),
  'harvest:candidates:list': get('candidates', 'Candidates', 'List Candidates'),
  'harvest:applications:list': get('applications', 'Applications', 'List Applications'),
  'harvest:job_interview_stages:list': get('job_stages', 'Job Stages', 'List Job Stages'),
  'harvest:sources:list': get('sources', 'Sources', 'List Sources'),
  'harvest:rejection_reasons:list': get('rejection_reasons', 'Rejection Reasons', 'List Rejection Reasons'),
  'harvest:custom_fields:list': get('custom_fields', 'Custom Fields', 'List Custom Fields'),
  'harvest:scorecards:list': get('scorecards', 'Scorecards', 'List Scorecards'),
  'harvest:interviews:list': get('scheduled_interviews', 'Scheduled Interviews', 'List Scheduled Interviews'),
  'harvest:offers:list': get('offers', 'Offers', 'List Offers'),
  // Writes cannot be exercised without side effects and v1 has no introspection: reported as unknown.
  'harvest:candidates:create': {
    label: 'Candidates → POST: Add Prospect',
    method: 'POST',
    path: '/v1/prospects',
  },
  'harvest:candidates:update': {
    label: 'Candidates → PATCH: Edit Candidate',
    method: 'PATCH',
    path: '/v1/candidates/:id',
  },
  'harvest:applications:create': {
    label: 'Applications → POST: Add Application to Candidate/Prospect',
    method: 'POST',
    path: '/v1/candidates/:id/applications',
  },
  'harvest:notes:create': {
    label: 'Candidates → POST: Add Note',
    method: 'POST',
    path: '/v1/candidates/:id/activity_feed/notes',
  },
  'harvest:attachments:create': {
    label: 'Candidates → POST: Add Attachment',
    method: 'POST',
    path: '/v1/candidates/:id/attachments',
  },
};

export const LEGACY_V1_RETIRED_NOTICE =
  'Harvest v1 API keys were retired by Greenhouse on 2026-08-31; use Harvest V3 (OAuth) credentials instead.';
