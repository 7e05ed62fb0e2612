import { LOCALES, type Locale } from '../../i18n/locale';
import { PAGE_TEXT } from '../../i18n/page-text';
import { escapeHtml } from '../../lib/escape-html';

export { escapeHtml };

export interface LayoutOptions {
  locale?: Locale;
  /** The page's own path: the language links point at it with ?lang=. */
  path?: string;
  /** Strings the enhancement script needs, embedded as a JSON data block (not executed, CSP-safe). */
  scriptText?: Record<string, string>;
  script?: boolean;
  /** The first thing a keyboard reaches: a link past the guide to the form. */
  skipLink?: { href: string; label: string };
  /** A second stylesheet after the shared one (the console's wider tables). */
  stylesheet?: string;
  /** Markup for the header's right-hand side, instead of the language switch. */
  headerNav?: string;
}

/** The shell of every hosted page: language, skip link, language switch, stylesheet, optional script. */
export function layout(title: string, body: string, options: LayoutOptions = {}): string {
  const locale = options.locale ?? 'en';
  const languages = options.path
    ? `<nav aria-label="Language">${LOCALES.map((l) =>
        l === locale
          ? `<span aria-current="true" lang="${l}">${PAGE_TEXT[l].languageName}</span>`
          : `<a href="${escapeHtml(`${options.path}?lang=${l}`)}" lang="${l}" hreflang="${l}">${PAGE_TEXT[l].languageName}</a>`,
      ).join(' · ')}</nav>`
    : '';
  return `<!doctype html>
<html lang="${locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)} · Greenlink</title>
<link rel="stylesheet" href="/assets/connect.css">
${options.stylesheet ? `<link rel="stylesheet" href="${escapeHtml(options.stylesheet)}">` : ''}
${options.scriptText ? `<script type="application/json" id="page-text">${JSON.stringify(options.scriptText).replace(/</g, '\\u003c')}</script>` : ''}
${options.script ? '<script src="/assets/connect.js" defer></script>' : ''}
</head>
<body>
${options.skipLink ? `<a class="skip" href="${escapeHtml(options.skipLink.href)}">${escapeHtml(options.skipLink.label)}</a>` : ''}
<header class="bar"><span class="brand">Greenlink</span>${options.headerNav ?? languages}</header>
<main id="main">${body}</main>
</body>
</html>`;
}
