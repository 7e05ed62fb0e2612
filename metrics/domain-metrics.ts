import { LINK_STATUSES } from '../domain/link';
import type { CounterStore } from '../store/counters';
import type { EmailLog } from '../store/email-log';
import type { LinkStore } from '../store/links';
import type { WebhookStore } from '../store/webhooks';

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

export interface MetricsSources {
  links: LinkStore;
  counters: CounterStore;
  emailLog: EmailLog;
  webhooks: WebhookStore;
}

const samples = (label: string, counts: Map<string, number>) =>
  [...counts].map(([value, n]) => ({ labels: { [label]: value }, value: n }));

/**
 * Link, probe, email and webhook figures read from MongoDB at scrape time, through the stores: the worker does
 * the work, the database is what every replica agrees on.
 */
export async function renderDomainMetrics(from: MetricsSources): Promise<string> {
  // Independent reads: one round trip's worth of scrape time, not four.
  const [links, probes, emails, attempts] = await Promise.all([
    from.links.countByStatus(),
    from.counters.byLabel('probes'),
    from.emailLog.sentByKind(),
    from.webhooks.attemptsByStatus(),
  ]);
  return [
    render({
      name: 'greenlink_links',
      help: 'Links by status.',
      type: 'gauge',
      samples: LINK_STATUSES.map((status) => ({ labels: { status }, value: links.get(status) ?? 0 })),
    }),
    render({
      name: 'greenlink_probes_total',
      help: 'Greenhouse permission probes by outcome.',
      type: 'counter',
      samples: samples('outcome', probes),
    }),
    render({
      name: 'greenlink_emails_sent_total',
      help: 'Emails sent by kind (reminders, hand-offs, confirmations, expiry notices).',
      type: 'counter',
      samples: samples('kind', emails),
    }),
    render({
      name: 'greenlink_webhook_attempts_total',
      help: 'Webhook delivery attempts by the state their delivery is in now.',
      type: 'counter',
      samples: samples('delivery_status', attempts),
    }),
  ].join('\n');
}
