import type { Collection, Document, Filter, UpdateFilter } from 'mongodb';
import { retryBusy } from './busy-retry';
import type { Keyring, Sealed } from './keyring';

/** Where a collection keeps a sealed envelope (`''`: the envelope's fields are the document's own). */
export interface SealedField<T extends Document> {
  collection: Collection<T>;
  path: '' | `${string}.`;
  /** What the envelope is bound to (its associated data). */
  associatedData(doc: T): string;
  what(doc: T): string;
}

/** Fields of differently typed collections in one list (the rotation walks them all alike). */
// biome-ignore lint/suspicious/noExplicitAny: each field is used only with its own collection's documents
export type AnySealedField = SealedField<any>;

/** The object at `path` ('a.b.'), or the document itself. */
const at = (doc: Document, path: string): Record<string, unknown> | undefined => {
  let value: unknown = doc;
  for (const part of path.split('.').filter(Boolean))
    value = (value as Record<string, unknown> | undefined)?.[part];
  return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
};

/**
 * Re-seals under the keyring's first key every envelope sealed with another key. Compare-and-swap on the
 * ciphertext read: a rerun, or a write meanwhile (sealed with the first key anyway), changes nothing twice.
 * An envelope under a key the ring no longer has is counted as unreadable and left as it is.
 */
export async function resealAll<T extends Document>(
  field: SealedField<T>,
  keyring: Keyring,
  onProgress?: (checked: number) => void,
): Promise<{ updated: number; total: number; unreadable: number }> {
  let updated = 0;
  let total = 0;
  let unreadable = 0;
  for await (const doc of field.collection.find({})) {
    const sealed = at(doc, field.path) as Sealed | undefined;
    if (typeof sealed?.keyId !== 'string' || typeof sealed.ciphertext !== 'string') continue;
    total++;
    if (total % 100 === 0) onProgress?.(total);
    if (sealed.keyId === keyring.primaryId) continue;
    if (!keyring.has(sealed.keyId)) {
      unreadable++;
      continue;
    }
    const aad = field.associatedData(doc as T);
    const resealed = keyring.seal(keyring.open(sealed, aad, field.what(doc as T)), aad);
    const set = field.path ? { [field.path.slice(0, -1)]: resealed } : { ...resealed };
    const filter = { _id: doc._id, [`${field.path}ciphertext`]: sealed.ciphertext } as Filter<T>;
    const swapped = await retryBusy(() =>
      field.collection.updateOne(filter, { $set: set } as UpdateFilter<T>),
    );
    if (swapped.modifiedCount > 0) updated++;
  }
  return { updated, total, unreadable };
}

/** How many envelopes of the field each key id seals. */
export async function keyIdCounts<T extends Document>(field: SealedField<T>): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for await (const doc of field.collection.find({}, { projection: { [`${field.path}keyId`]: 1 } })) {
    const keyId = at(doc, field.path)?.keyId;
    if (typeof keyId === 'string') counts.set(keyId, (counts.get(keyId) ?? 0) + 1);
  }
  return counts;
}
