import { escapeHtml, layout } from '../pages/html';
import type { OpenApiDocument } from './document';

type Json = Record<string, unknown>;

const pretty = (value: unknown) => `<pre><code>${escapeHtml(JSON.stringify(value, null, 2))}</code></pre>`;

/** A readable, server-rendered reference of the API, built from the same OpenAPI document (no script). */
export function renderDocsPage(doc: OpenApiDocument): string {
  const sections = doc.tags.map((tag) => {
    const ops = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods as Record<string, Json>)
        .filter(([, op]) => (op.tags as string[]).includes(tag.name))
        .map(([method, op]) => {
          const params = (op.parameters as Json[]).map(
            (p) =>
              `<li><code>${escapeHtml(String(p.name))}</code> (${escapeHtml(String(p.in))}${p.required ? ', required' : ''})${p.description ? ` — ${escapeHtml(String(p.description))}` : ''}</li>`,
          );
          const body = (op.requestBody as Json | undefined)?.content as Json | undefined;
          const responses = Object.entries(op.responses as Record<string, Json>).map(
            ([status, r]) => `<li><code>${status}</code> ${escapeHtml(String(r.description))}</li>`,
          );
          return `<section id="${escapeHtml(String(op.operationId))}">
<h3><code>${method.toUpperCase()} ${escapeHtml(path)}</code></h3>
<p>${escapeHtml(String(op.summary))}</p>
<p>Operation <code>${escapeHtml(String(op.operationId))}</code> · needs <code>${escapeHtml(String(op['x-greenlink-permission']))}</code></p>${op.description ? `<p>${escapeHtml(String(op.description))}</p>` : ''}
${params.length ? `<h4>Parameters</h4><ul>${params.join('')}</ul>` : ''}
${body ? `<h4>Body</h4>${pretty((body['application/json'] as Json).schema)}` : ''}
<h4>Responses</h4><ul>${responses.join('')}</ul>
</section>`;
        }),
    );
    return `<h2>${escapeHtml(tag.name)}</h2>${tag.description ? `<p>${escapeHtml(tag.description)}</p>` : ''}${ops.join('\n')}`;
  });
  const webhooks = Object.entries(doc.webhooks).map(
    ([event, { post }]) =>
      `<li><code>${escapeHtml(event)}</code> — ${escapeHtml(post.summary)} (schema <code>${escapeHtml(
        String(post.requestBody.content['application/json'].schema.$ref).split('/').pop() ?? '',
      )}</code>)</li>`,
  );
  const webhookSection = `<h2>Webhook events</h2>
<p>${escapeHtml(Object.values(doc.webhooks)[0]?.post.description ?? '')}</p>
<ul>${webhooks.join('')}</ul>
<h3>Body of <code>link.degraded</code></h3>${pretty(doc.components.schemas.LinkDegradedEvent)}`;
  return layout(
    'API reference',
    `<h1>Greenlink API reference</h1>
<p>${escapeHtml(doc.info.description)}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI ${doc.openapi}). Schemas of every response are under <code>components.schemas</code> there.</p>
${sections.join('\n')}
${webhookSection}`,
  );
}
