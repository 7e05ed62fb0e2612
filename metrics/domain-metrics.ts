import { Gauge, type Registry } from 'prom-client';
import { LINK_STATUSES } from '../domain/link';
import type { CounterStore } from '../store/counters';
import type { EmailLog } from '../store/email-log';
import type { LinkStore } from '../store/links';
import type { WebhookStore } from '../store/webhooks';

export interface MetricsSources {
  links: LinkStore;
  counters: CounterStore;
  emailLog: EmailLog;
  webhooks: WebhookStore;
}

interface Figures {
  links: Map<string, number>;
  probes: Map<string, number>;
  emails: Map<string, number>;
  attempts: Map<string, number>;
}

/**
 * Link, probe, email and webhook figures read from MongoDB through the stores: the worker does the work, the
 * database is what every replica agrees on. The reads are whole-collection aggregations, so one set serves
 * `cacheMs` however often Prometheus scrapes. Running totals are exposed as gauges of the stored count
 * (prom-client counters only count up within a process); `rate()` reads them the same.
 */
export function registerDomainMetrics(register: Registry, from: MetricsSources, cacheMs: number): void {
  let cached: { at: number; figures: Promise<Figures> } | undefined;
  const figures = () => {
    if (!cached || Date.now() - cached.at >= cacheMs) {
      const read = Promise.all([
        from.links.countByStatus(),
        from.counters.byLabel('probes'),
        from.emailLog.sentByKind(),
        from.webhooks.attemptsByStatus(),
      ]).then(([links, probes, emails, attempts]) => ({ links, probes, emails, attempts }));
      cached = { at: Date.now(), figures: read };
      read.catch(() => {
        if (cached?.figures === read) cached = undefined; // a failed read is not served again
      });
    }
    return cached.figures;
  };
  const gauge = (
    name: string,
    help: string,
    label: string,
    pick: (f: Figures) => Map<string, number>,
    all?: readonly string[],
  ) =>
    new Gauge({
      name,
      help,
      labelNames: [label],
      registers: [register],
      async collect() {
        const counts = pick(await figures());
        this.reset();
        for (const value of all ?? counts.keys()) this.set({ [label]: value }, counts.get(value) ?? 0);
      },
    });
  gauge('greenlink_links', 'Links by status.', 'status', (f) => f.links, LINK_STATUSES);
  gauge('greenlink_probes_total', 'Greenhouse permission probes by outcome.', 'outcome', (f) => f.probes);
  gauge(
    'greenlink_emails_sent_total',
    'Emails sent by kind (reminders, hand-offs, confirmations, expiry notices).',
    'kind',
    (f) => f.emails,
  );
  gauge(
    'greenlink_webhook_attempts_total',
    'Webhook delivery attempts by the state their delivery is in now.',
    'delivery_status',
    (f) => f.attempts,
  );
}
