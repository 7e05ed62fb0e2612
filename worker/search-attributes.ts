import type { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { LinkStatusKey } from '../workflows/search-attributes';

/**
 * Registers the LinkStatus search attribute if the namespace lacks it (a fresh server or cluster), so the
 * workflow's upsert cannot fail. Idempotent; an "already exists" race is fine.
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  if (customAttributes && LinkStatusKey.name in customAttributes) return;
  try {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: {
        [LinkStatusKey.name]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      },
    });
  } catch (error) {
    if (!/already exists/i.test((error as Error).message)) throw error;
  }
}
