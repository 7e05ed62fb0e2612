import { z } from 'zod';
import { durationSchema } from '../../config/duration';
import { ALL_PERMISSIONS, type ApiPermission } from '../../domain/api-permissions';
import { DEFAULT_MIN_REMINDER_GAP_MS, LINK_STATUSES, WEBHOOK_EVENTS } from '../../domain/link';
import { LEGACY_V1_RETIRED_NOTICE } from '../../greenhouse/legacy-v1-catalog';
import { LOCALES } from '../../i18n/locale';
import { ACCESS_KINDS } from '../../store/access-log';
import { decodeCursor, decodeTimelineCursor } from '../cursor';
import { emailAddress, formSchema } from '../forms';

// A missing field says so plainly, instead of zod's "Invalid input: expected object, received undefined".
z.config({
  customError: (issue) =>
    issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : undefined,
});

const email = emailAddress;

/**
 * Per-link timing, e.g. { "reminders": ["0", "1d", "3d"], "reprobes": ["10m", "6h"], "expiresIn": "14d" }.
 * Reminders are at least `minGapMs` apart, so no app can make Greenlink flood an admin's inbox.
 */
const linkScheduleBody = (minGapMs: number) =>
  z
    .object({
      reminders: z
        .array(durationSchema)
        .max(20)
        .refine(
          (list) => list.every((v, i) => i === 0 || v > (list[i - 1] as number)),
          'must be in increasing order',
        )
        .refine(
          (list) => list.every((v, i) => i === 0 || v - (list[i - 1] as number) >= minGapMs),
          `must be at least ${formatGap(minGapMs)} apart`,
        ),
      reprobes: z
        .array(durationSchema)
        .min(1)
        .max(20)
        .refine((list) => list.every((v) => v >= 60_000), 'each must be at least 1m'),
      expiresIn: durationSchema.refine(
        (v) => v >= 3_600_000 && v <= 90 * 86_400_000,
        'must be between 1h and 90d',
      ),
    })
    .partial()
    .strict()
    .transform(({ reminders, reprobes, expiresIn }) => ({
      ...(reminders ? { reminderOffsetsMs: reminders } : {}),
      ...(reprobes ? { reprobeIntervalsMs: reprobes } : {}),
      ...(expiresIn ? { expiryMs: expiresIn } : {}),
    }));

/** Metadata keys become MongoDB field names: no "." and no leading "$" (the database refuses them). */
const METADATA_KEY_RULE = 'keys must be 1 to 40 characters, without "." or a leading "$"';
// biome-ignore lint/suspicious/noControlCharactersInRegex: a NUL is what a BSON field name cannot hold
const metadataKey = z.string().regex(/^(?!\$)[^.\u0000]{1,40}$/);

/** The body of POST /v1/links; the permission sets are the deployment's (built-in plus configured). */
const formatGap = (ms: number) =>
  ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : ms % 60_000 === 0 ? `${ms / 60_000}m` : `${ms / 1000}s`;

export function createLinkBodySchema(
  permissionSets: Record<string, string[]>,
  minReminderGapMs = DEFAULT_MIN_REMINDER_GAP_MS,
) {
  const names = Object.keys(permissionSets);
  return z
    .object({
      organization: z.object({
        id: z.string().min(1).max(100),
        name: z.string().min(1).max(200),
      }),
      requester: z.object({ email, name: z.string().max(200).optional() }),
      admin: z.object({ email, name: z.string().max(200).optional() }).optional(),
      permissionSet: z
        .enum(names as [string, ...string[]], { error: `must be one of: ${names.join(', ')}` })
        .default('ats_read'),
      /** Pages and emails in this language; without it pages follow the browser and emails are English. */
      locale: z
        .enum(LOCALES)
        .optional()
        .transform((v) => v ?? null),
      schedule: linkScheduleBody(minReminderGapMs).optional(),
      /** Once linked, also watch Greenhouse's Audit Log (Expert tier) for changes to the API key. */
      auditLog: z.boolean().default(false),
      metadata: z
        .record(metadataKey, z.string().max(500), {
          error: (issue) => (issue.code === 'invalid_key' ? METADATA_KEY_RULE : undefined),
        })
        .refine((m) => Object.keys(m).length <= 50, 'at most 50 keys')
        .default({}),
    })
    .strict();
}

/** `limit` and `cursor` of every newest-first list (Stripe-style cursor pagination). */
/** An opaque cursor from a previous page, decoded (a 422 on `cursor` when it is not one). */
const cursorParam = <T>(decode: (text: string) => T | undefined) =>
  z
    .string()
    .max(400)
    .transform((text, ctx) => {
      const position = decode(text);
      if (position === undefined) {
        ctx.addIssue({
          code: 'custom',
          message: 'is not a cursor from a previous page (use nextCursor as given)',
        });
        return z.NEVER;
      }
      return position;
    })
    .optional();

const pageQuery = {
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: cursorParam(decodeCursor),
};

/** A link's timeline: newest first, in pages of up to 500 (each page reads only the runs it shows). */
export const timelineQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: cursorParam(decodeTimelineCursor),
});

export const listLinksQuery = z.object({
  status: z.enum(LINK_STATUSES).optional(),
  organizationId: z.string().optional(),
  ...pageQuery,
});

export const accessLogQuery = z.object({ kind: z.enum(ACCESS_KINDS).optional(), ...pageQuery });

/** Harvest v3 client credentials as pasted from Greenhouse's Dev Center. */
const harvestV3Body = formSchema('credentials').transform((v) => ({ type: 'harvest_v3' as const, ...v }));

const legacyV1Body = formSchema('legacy').transform((v) => ({
  type: 'legacy_v1' as const,
  apiKey: v.apiKey,
}));

const legacyDisabledBody = z
  .object({ apiKey: z.unknown() })
  .superRefine((_v, ctx) => {
    ctx.addIssue({
      code: 'custom',
      path: ['apiKey'],
      message: `${LEGACY_V1_RETIRED_NOTICE} They are disabled here.`,
    });
  })
  .transform((): never => {
    throw new Error('unreachable: the refinement always fails');
  });

/** A v1 API key when the body carries `apiKey`, else v3 client credentials. */
export function credentialsBodySchema(legacyV1Enabled: boolean) {
  return {
    safeParse(body: Record<string, unknown>) {
      if (body.apiKey === undefined) return harvestV3Body.safeParse(body);
      return legacyV1Enabled ? legacyV1Body.safeParse(body) : legacyDisabledBody.safeParse(body);
    },
  };
}

export const handOffBody = formSchema('handoff');

export const createWebhookEndpointBody = z
  .object({
    url: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }),
    events: z
      .array(z.enum(WEBHOOK_EVENTS))
      .min(1)
      .default([...WEBHOOK_EVENTS]),
  })
  .strict();

export const updateWebhookEndpointBody = z
  .object({
    events: z.array(z.enum(WEBHOOK_EVENTS)).min(1).optional(),
    enabled: z.boolean().optional(),
  })
  .strict()
  .refine((v) => v.events !== undefined || v.enabled !== undefined, 'give events and/or enabled');

export const listDeliveriesQuery = z.object({
  status: z.enum(['all', 'failed']).default('all'),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

export const createApiKeyBody = z
  .object({
    permissions: z
      .array(z.enum(ALL_PERMISSIONS as [ApiPermission, ...ApiPermission[]]))
      .min(1)
      .transform((list) => [...new Set(list)])
      .optional(),
  })
  .strict();

export const cancelLinkBody = z.object({ reason: z.string().trim().min(1).max(500).optional() }).strict();
