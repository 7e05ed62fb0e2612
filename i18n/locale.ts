/** The languages pages and emails are written in; English is the fallback. */
export const LOCALES = ['en', 'de'] as const;
export type Locale = (typeof LOCALES)[number];

export const isLocale = (value: unknown): value is Locale => LOCALES.includes(value as Locale);

/**
 * The best supported language of an Accept-Language header (RFC 9110 weights), e.g.
 * "de-CH,de;q=0.9,en;q=0.8" → "de". Undefined when none is supported.
 */
export function fromAcceptLanguage(header: string | undefined): Locale | undefined {
  if (!header) return undefined;
  const ranked = header
    .split(',')
    .map((part, index) => {
      const [range = '', ...params] = part.trim().split(';');
      const q = Number(
        params
          .find((p) => p.trim().startsWith('q='))
          ?.trim()
          .slice(2) ?? 1,
      );
      return { language: range.trim().toLowerCase().split('-')[0], q: Number.isFinite(q) ? q : 0, index };
    })
    .filter((r) => r.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  return ranked.map((r) => r.language).find(isLocale);
}

/** Page language: an explicit choice (?lang=), else the link's locale, else the browser's, else English. */
export function pickLocale(options: {
  chosen?: unknown;
  linkLocale?: string | null;
  acceptLanguage?: string;
}): Locale {
  if (isLocale(options.chosen)) return options.chosen;
  if (isLocale(options.linkLocale)) return options.linkLocale;
  return fromAcceptLanguage(options.acceptLanguage) ?? 'en';
}
