import { createHash } from 'node:crypto';
import { z } from 'zod';
import { OPERATOR_ROLES, type OperatorRole, type OperatorToken } from '../domain/operator';

const MIN_TOKEN_LENGTH = 43; // 32 random bytes in base64
const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/** A bare token (the format before names): a name from its fingerprint, and read-only. */
const unnamed = (token: string) => `operator-${createHash('sha256').update(token).digest('hex').slice(0, 8)}`;

/**
 * `OPERATOR_TOKENS=name:token[:role],…` (role `read`, the default, or `act`). Base64 tokens hold no ":", so
 * the parts are unambiguous; a bare `token` still works, named by its fingerprint, read-only.
 */
export const operatorTokensSchema = z.string().transform((text, ctx): OperatorToken[] => {
  const tokens: OperatorToken[] = [];
  const entries = text
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  for (const [index, entry] of entries.entries()) {
    const parts = entry.split(':');
    const where = `entry ${index + 1}`;
    const [name, token, role] =
      parts.length === 1 ? [unnamed(entry), entry, 'read'] : [parts[0], parts[1], parts[2] ?? 'read'];
    if (parts.length > 3 || !name || !token) {
      ctx.addIssue({ code: 'custom', message: `${where} must look like "<name>:<token>[:read|act]"` });
    } else if (!NAME.test(name)) {
      ctx.addIssue({
        code: 'custom',
        message: `${where}: the name "${name}" must be 1–64 letters, digits, ".", "_", "@" or "-"`,
      });
    } else if (token.length < MIN_TOKEN_LENGTH) {
      ctx.addIssue({
        code: 'custom',
        message: `${where} ("${name}"): each token must be at least ${MIN_TOKEN_LENGTH} characters (32 random bytes); make one with: openssl rand -base64 32`,
      });
    } else if (!(OPERATOR_ROLES as readonly string[]).includes(role as string)) {
      ctx.addIssue({
        code: 'custom',
        message: `${where} ("${name}"): the role must be read or act, not "${role}"`,
      });
    } else if (tokens.some((t) => t.name === name)) {
      ctx.addIssue({ code: 'custom', message: `${where}: the name "${name}" appears twice` });
    } else if (tokens.some((t) => t.token === token)) {
      ctx.addIssue({ code: 'custom', message: `${where} ("${name}"): the same token is given twice` });
    } else {
      tokens.push({ name, token, role: role as OperatorRole });
    }
  }
  return tokens;
});
