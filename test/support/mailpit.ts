import { inject } from 'vitest';

export interface MailMessage {
  ID: string;
  Subject: string;
  To: { Address: string }[];
  Text: string;
  HTML: string;
  MessageID: string;
}

const api = () => inject('services').mailApiUrl;

/** All messages to one address, newest first, read back from Mailpit's HTTP API. */
export async function messagesTo(address: string): Promise<MailMessage[]> {
  const search = await fetch(`${api()}/api/v1/search?query=${encodeURIComponent(`to:"${address}"`)}`);
  const { messages } = (await search.json()) as { messages: { ID: string }[] };
  return Promise.all(
    messages.map(
      async ({ ID }) => (await (await fetch(`${api()}/api/v1/message/${ID}`)).json()) as MailMessage,
    ),
  );
}

export async function waitForMessages(
  address: string,
  count: number,
  timeoutMs = 30_000,
): Promise<MailMessage[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const messages = await messagesTo(address);
    if (messages.length >= count) return messages;
    if (Date.now() > deadline)
      throw new Error(`expected ${count} messages to ${address}, got ${messages.length}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
