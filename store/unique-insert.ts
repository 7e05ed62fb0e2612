import type { Collection, Document, OptionalUnlessRequiredId } from 'mongodb';
import { retryBusy } from './busy-retry';

export const isDuplicateKey = (error: unknown) => (error as { code?: number }).code === 11000;

/**
 * Inserts a document whose id must be unique; false when one with that id exists already. An insert on a
 * unique id is the one write every MongoDB-wire server makes atomic (FerretDB's read-modify-write updates
 * are not: measured, concurrent `$inc`s lose updates), so claims and slots are taken this way.
 */
export async function insertUnique<T extends Document>(
  collection: Collection<T>,
  doc: OptionalUnlessRequiredId<T>,
): Promise<boolean> {
  try {
    await retryBusy(() => collection.insertOne(doc));
    return true;
  } catch (error) {
    if (isDuplicateKey(error)) return false;
    throw error;
  }
}
