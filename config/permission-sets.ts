import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { BUILT_IN_PERMISSION_SETS, SCOPES } from '../greenhouse/catalog';

const SCOPE_IDS = SCOPES.map((s) => s.id);

/**
 * `{ "<set name>": { "extends"?: "<set>", "scopes": ["harvest:…", …], "description"?: "…", "proxy"?: "any" } }`
 * `proxy: "any"` lets the proxy forward calls beyond the set's scopes (by default it forwards only those).
 */
const fileSchema = z.record(
  z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, 'set names are lower_snake_case, up to 40 characters'),
  z
    .object({
      description: z.string().max(200).optional(),
      extends: z.string().optional(),
      scopes: z.array(z.string()).default([]),
      proxy: z.enum(['set', 'any']).default('set'),
    })
    .strict(),
);

function closest(id: string): string | undefined {
  const [, resource = ''] = id.split(':');
  return SCOPE_IDS.find((s) => s.includes(resource.replace(/s?$/, '')));
}

/**
 * The built-in permission sets plus a deployment's own, read from a JSON file and checked against the
 * catalog. Returns problems as lines instead of throwing, so configuration errors are reported together.
 */
export function loadPermissionSets(file: string | undefined): {
  sets: Record<string, string[]>;
  /** Sets whose links the proxy may use beyond their scopes (`proxy: "any"`). */
  proxyAny: string[];
  problems: string[];
} {
  const sets: Record<string, string[]> = Object.fromEntries(
    Object.entries(BUILT_IN_PERMISSION_SETS).map(([name, scopes]) => [name, [...scopes]]),
  );
  const proxyAny: string[] = [];
  if (!file) return { sets, proxyAny, problems: [] };
  const where = `PERMISSION_SETS_FILE (${file})`;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    return { sets, proxyAny, problems: [`${where} cannot be read as JSON: ${(error as Error).message}`] };
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    return {
      sets,
      proxyAny,
      problems: parsed.error.issues.map((i) => `${where} at ${i.path.join('.') || '(top)'}: ${i.message}`),
    };
  }
  const problems: string[] = [];
  for (const [name, definition] of Object.entries(parsed.data)) {
    const base = definition.extends === undefined ? [] : sets[definition.extends];
    if (base === undefined) {
      problems.push(`${where} at ${name}.extends: no set named "${definition.extends}"`);
      continue;
    }
    definition.scopes.forEach((id, index) => {
      if (!SCOPE_IDS.includes(id)) {
        const hint = closest(id);
        problems.push(
          `${where} at ${name}.scopes.${index}: unknown scope "${id}"${hint ? ` (did you mean ${hint}?)` : ''}`,
        );
      }
    });
    const scopes = [...new Set([...base, ...definition.scopes])];
    if (scopes.length === 0) problems.push(`${where} at ${name}: a set needs at least one scope`);
    sets[name] = scopes;
    if (definition.proxy === 'any') proxyAny.push(name);
  }
  return { sets, proxyAny, problems };
}
