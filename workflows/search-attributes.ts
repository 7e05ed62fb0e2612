import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Operators filter links by status in the Temporal UI. Never personal data: search attributes are not encrypted. */
export const LinkStatusKey = defineSearchAttributeKey('LinkStatus', SearchAttributeType.KEYWORD);
