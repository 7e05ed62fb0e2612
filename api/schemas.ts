import { z } from 'zod';
import { LINK_STATUSES } from '../links/model';

const email = z.email({ message: 'must be an email address' });

/** The body of POST /v1/links; the permission sets are the deployment's (built-in plus configured). */
export function createLinkBodySchema(permissionSets: Record<string, string[]>) {
  const names = Object.keys(permissionSets);
  return z
    .object({
      organization: z.object({
        id: z.string().min(1).max(100),
        name: z.string().min(1).max(200),
      }),
      requester: z.object({ email, name: z.string().max(200).optional() }),
      permissionSet: z
        .string()
        .refine((name) => names.includes(name), { message: `must be one of: ${names.join(', ')}` })
        .default('ats_read'),
      locale: z.enum(['en', 'de']).default('en'),
      metadata: z.record(z.string(), z.string().max(500)).default({}),
    })
    .strict();
}

export const listLinksQuery = z.object({
  status: z.enum(LINK_STATUSES).optional(),
  organizationId: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().optional(),
});

/** Harvest v3 client credentials as pasted from Greenhouse's Dev Center. */
export const harvestCredentialsBody = z.object({
  clientId: z.string({ message: 'is required' }).trim().min(1, 'is required').max(200, 'is too long'),
  clientSecret: z.string({ message: 'is required' }).trim().min(1, 'is required').max(500, 'is too long'),
  userId: z
    .string()
    .trim()
    .regex(/^\d*$/, 'must be the numeric Greenhouse user id')
    .optional()
    .transform((v) => (v ? v : undefined)),
});
