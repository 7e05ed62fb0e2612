import type { DayFigures, Overview } from '../../../domain/link-overview';
import { type ConsoleContext, consolePage, html } from './shell';
import { spanText } from './time';

/** The series of the daily chart, with colours that keep 4.5:1 against white. */
const SERIES: { key: keyof Omit<DayFigures, 'day'>; label: string; colour: string }[] = [
  { key: 'created', label: 'Created', colour: '#1d4ed8' },
  { key: 'linked', label: 'Linked', colour: '#0b5e43' },
  { key: 'waiting', label: 'Waiting', colour: '#b54708' },
];

/**
 * Grouped bars per day, drawn on the server as SVG: no script, so the console's CSP stays as it is. Each bar
 * has a <title> (hover) and the figures are in the table below the chart for screen readers.
 */
function dailyChart(days: DayFigures[]): string {
  const width = 760;
  const height = 220;
  const left = 36;
  const bottom = 28;
  const max = Math.max(1, ...days.flatMap((d) => SERIES.map((s) => d[s.key])));
  const slot = (width - left) / days.length;
  const bar = Math.max(1, (slot - 4) / SERIES.length);
  const y = (v: number) => (height - bottom) * (1 - v / max);
  const bars = days
    .map((d, i) =>
      SERIES.map((s, k) => {
        const value = d[s.key];
        const x = left + i * slot + 2 + k * bar;
        return `<rect x="${x.toFixed(1)}" y="${y(value).toFixed(1)}" width="${bar.toFixed(1)}" height="${(height - bottom - y(value)).toFixed(1)}" fill="${s.colour}"><title>${html(`${d.day}: ${value} ${s.label.toLowerCase()}`)}</title></rect>`;
      }).join(''),
    )
    .join('');
  const labels = days
    .map((d, i) =>
      i % Math.ceil(days.length / 8) === 0
        ? `<text x="${(left + i * slot + slot / 2).toFixed(1)}" y="${height - 8}" text-anchor="middle" font-size="11">${html(d.day.slice(5))}</text>`
        : '',
    )
    .join('');
  const axis = `<text x="${left - 6}" y="12" text-anchor="end" font-size="11">${max}</text><text x="${left - 6}" y="${height - bottom}" text-anchor="end" font-size="11">0</text><line x1="${left}" y1="${height - bottom}" x2="${width}" y2="${height - bottom}" stroke="#667085"/>`;
  const legend = SERIES.map(
    (s, k) =>
      `<rect x="${left + k * 110}" y="0" width="12" height="12" fill="${s.colour}"/><text x="${left + k * 110 + 16}" y="11" font-size="12">${s.label}</text>`,
  ).join('');
  return `<svg role="img" aria-labelledby="daily-title" viewBox="0 0 ${width} ${height + 18}" width="100%" class="chart">
<title id="daily-title">Links created, linked and waiting per day</title>
<g transform="translate(0 18)">${axis}${bars}${labels}</g><g>${legend}</g></svg>`;
}

/** The funnel as horizontal bars, each as wide as its share of the links created. */
function funnelChart(o: Overview): string {
  const width = 760;
  const row = 34;
  const top = o.funnel[0]?.count || 1;
  const bars = o.funnel
    .map((step, i) => {
      const w = Math.max(2, ((width - 220) * step.count) / top);
      return `<text x="0" y="${i * row + 20}" font-size="13">${html(step.label)}</text><rect x="200" y="${i * row + 6}" width="${w.toFixed(1)}" height="20" fill="#0b5e43"><title>${html(`${step.label}: ${step.count}`)}</title></rect><text x="${(206 + w).toFixed(1)}" y="${i * row + 21}" font-size="13">${step.count}</text>`;
    })
    .join('');
  return `<svg role="img" aria-labelledby="funnel-title" viewBox="0 0 ${width} ${o.funnel.length * row + 8}" width="100%" class="chart"><title id="funnel-title">Funnel: created, credentials submitted, linked</title>${bars}</svg>`;
}

const percent = (share: number) => `${Math.round(share * 100)} %`;

/** Links over the last days and the funnel from created to linked, as charts with their figures beside. */
export function overviewPage(ctx: ConsoleContext, o: Overview, periodDays: number): string {
  const funnelRows = o.funnel
    .map(
      (s, i) =>
        `<tr><th scope="row">${html(s.label)}</th><td>${s.count}</td><td>${i === 0 ? '—' : percent(s.conversion)}</td><td>${s.medianMs === undefined ? '—' : html(spanText(s.medianMs))}</td></tr>`,
    )
    .join('');
  const dayRows = o.days
    .map(
      (d) =>
        `<tr><th scope="row">${d.day}</th><td>${d.created}</td><td>${d.linked}</td><td>${d.waiting}</td></tr>`,
    )
    .join('');
  return consolePage(
    ctx,
    'Overview',
    '/ops/console/overview',
    `<h1>Overview</h1>
<p>The last ${periodDays} days (UTC), every app: ${o.total} link(s) created; ${o.neededAdmin.count} (${percent(o.neededAdmin.share)}) needed an admin.</p>
<h2>Per day</h2>
${dailyChart(o.days)}
<details><summary>The figures</summary><table><caption>Links per day</caption><thead><tr><th scope="col">Day</th><th scope="col">Created</th><th scope="col">Linked</th><th scope="col">Waiting at the end of the day</th></tr></thead><tbody>${dayRows}</tbody></table></details>
<h2>Funnel</h2>
${funnelChart(o)}
<table><caption>From created to linked: conversion from the step before, and the median time it took</caption>
<thead><tr><th scope="col">Step</th><th scope="col">Links</th><th scope="col">Conversion</th><th scope="col">Median time</th></tr></thead>
<tbody>${funnelRows}</tbody></table>`,
  );
}
