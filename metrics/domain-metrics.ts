import type { Db } from 'mongodb';
import { LINK_STATUSES } from '../domain/link';
import { CounterStore } from '../store/counters';

interface Family {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  samples: { labels: Record<string, string>; value: number }[];
}

const render = (f: Family) =>
  [
    `# HELP ${f.name} ${f.help}`,
    `# TYPE ${f.name} ${f.type}`,
    ...f.samples.map(({ labels, value }) => {
      const text = Object.entries(labels)
        .map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '_')}"`)
        .join(',');
      return `${f.name}${text ? `{${text}}` : ''} ${value}`;
    }),
  ].join('\n');

const grouped = async (db: Db, collection: string, pipeline: object[]) =>
  (await db.collection(collection).aggregate<{ _id: string; n: number }>(pipeline).toArray()).filter(
    (row) => typeof row._id === 'string',
  );

/**
 * Link, probe, email and webhook figures read from MongoDB at scrape time: the worker does the work, the
 * database is what every replica agrees on.
 */
export async function renderDomainMetrics(db: Db): Promise<string> {
  // Independent reads: one round trip's worth of scrape time, not four.
  const [links, counters, emails, attempts] = await Promise.all([
    grouped(db, 'links', [{ $group: { _id: '$status', n: { $sum: 1 } } }]),
    new CounterStore(db).all(),
    grouped(db, 'email_log', [{ $match: { status: 'sent' } }, { $group: { _id: '$kind', n: { $sum: 1 } } }]),
    grouped(db, 'webhook_deliveries', [{ $group: { _id: '$status', n: { $sum: '$attemptCount' } } }]),
  ]);
  const byStatus = new Map(links.map((r) => [r._id, r.n]));
  const probes = counters.filter((c) => c.name === 'probes');
  return [
    render({
      name: 'greenlink_links',
      help: 'Links by status.',
      type: 'gauge',
      samples: LINK_STATUSES.map((status) => ({ labels: { status }, value: byStatus.get(status) ?? 0 })),
    }),
    render({
      name: 'greenlink_probes_total',
      help: 'Greenhouse permission probes by outcome.',
      type: 'counter',
      samples: probes.map((p) => ({ labels: { outcome: p.label }, value: p.value })),
    }),
    render({
      name: 'greenlink_emails_sent_total',
      help: 'Emails sent by kind (reminders, hand-offs, confirmations, expiry notices).',
      type: 'counter',
      samples: emails.map((e) => ({ labels: { kind: e._id }, value: e.n })),
    }),
    render({
      name: 'greenlink_webhook_attempts_total',
      help: 'Webhook delivery attempts by the state their delivery is in now.',
      type: 'counter',
      samples: attempts.map((a) => ({ labels: { delivery_status: a._id }, value: a.n })),
    }),
  ].join('\n');
}
