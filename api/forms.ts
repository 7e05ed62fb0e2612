/**
 * The connect page's forms as one table: each field's posted name, input id, label and hint (sentences in
 * i18n/page-text.ts), input type and validation. The page renders from it, the error summary names fields from
 * it, and the request schemas (api/schemas.ts) are built from it, so a field is described once.
 */
import { z } from 'zod';
import type { FormFieldName, PageText } from '../i18n/page-text';

/** Keys of PageText whose value is a plain sentence (labels and hints). */
type Sentence = { [K in keyof PageText]: PageText[K] extends string ? K : never }[keyof PageText];

export interface FormField {
  name: FormFieldName;
  /** The input's id (anchors in the error summary point at it). */
  id: string;
  label: Sentence;
  hint?: Sentence;
  type: 'text' | 'password' | 'email';
  required: boolean;
  /** Extra input attributes; the default turns autocomplete off. */
  attributes?: string;
  schema: z.ZodType;
}

export const NOTE_MAX = 500;

/** An email address, with the API's one wording for a bad one. */
export const emailAddress = z.email({ message: 'must be an email address' });

const required = (max: number) =>
  z.string({ message: 'is required' }).trim().min(1, 'is required').max(max, 'is too long');
const optional = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .optional()
    .transform((v) => v || undefined);

/**
 * The hand-off note goes into an email to someone else: one line of plain text, without control or
 * direction-changing characters (which could make a phishing line look like ours).
 */
const noteText = z
  .string()
  .trim()
  .max(NOTE_MAX)
  .transform(
    (text) =>
      text
        .replace(/[\p{Cc}\p{Cf}]+/gu, ' ')
        .replace(/\s+/g, ' ')
        .trim() || undefined,
  );

export const FORM_FIELDS = {
  clientId: {
    name: 'clientId',
    id: 'clientId',
    label: 'clientId',
    hint: 'clientIdHint',
    type: 'text',
    required: true,
    schema: required(200),
  },
  clientSecret: {
    name: 'clientSecret',
    id: 'clientSecret',
    label: 'clientSecret',
    hint: 'clientSecretHint',
    type: 'password',
    required: true,
    schema: required(500),
  },
  userId: {
    name: 'userId',
    id: 'userId',
    label: 'userId',
    hint: 'userIdHint',
    type: 'text',
    required: false,
    attributes: 'inputmode="numeric" autocomplete="off"',
    schema: z
      .string()
      .trim()
      .regex(/^\d*$/, 'must be the numeric Greenhouse user id')
      .optional()
      .transform((v) => (v ? v : undefined)),
  },
  apiKey: {
    name: 'apiKey',
    id: 'apiKey',
    label: 'legacyKey',
    type: 'password',
    required: true,
    schema: required(200),
  },
  email: {
    name: 'email',
    id: 'adminEmail',
    label: 'adminEmail',
    type: 'email',
    required: true,
    attributes: 'autocomplete="email"',
    schema: emailAddress,
  },
  name: {
    name: 'name',
    id: 'adminName',
    label: 'adminName',
    type: 'text',
    required: false,
    attributes: 'autocomplete="name"',
    schema: optional(200),
  },
  note: {
    name: 'note',
    id: 'note',
    label: 'note',
    type: 'text',
    required: false,
    schema: noteText.optional(),
  },
} satisfies Record<FormFieldName, FormField>;

/** Which fields each form posts, in page order. */
export const FORMS = {
  credentials: ['clientId', 'clientSecret', 'userId'],
  legacy: ['apiKey'],
  handoff: ['email', 'name', 'note'],
} as const satisfies Record<string, readonly FormFieldName[]>;

export type FormName = keyof typeof FORMS;

type Shape<F extends FormName> = { [K in (typeof FORMS)[F][number]]: (typeof FORM_FIELDS)[K]['schema'] };

/** The zod object a form's POST body is checked with. */
export function formSchema<F extends FormName>(form: F) {
  const shape = Object.fromEntries(FORMS[form].map((name) => [name, FORM_FIELDS[name].schema]));
  return z.object(shape as Shape<F>);
}
