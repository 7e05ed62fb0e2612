import { describe, expect, it } from 'vitest';
import { fromAcceptLanguage, pickLocale } from '../../i18n/locale';

describe('language choice', () => {
  it('takes the best supported language of Accept-Language, by weight then order', () => {
    expect(fromAcceptLanguage('de-CH,de;q=0.9,en;q=0.8')).toBe('de');
    expect(fromAcceptLanguage('fr-FR,fr;q=0.9,en;q=0.8,de;q=0.7')).toBe('en');
    expect(fromAcceptLanguage('en;q=0.2,de;q=0.5')).toBe('de');
    expect(fromAcceptLanguage('de;q=0,en')).toBe('en');
    expect(fromAcceptLanguage('fr,it')).toBeUndefined();
    expect(fromAcceptLanguage(undefined)).toBeUndefined();
  });

  it('prefers an explicit choice, then the link, then the browser, then English', () => {
    expect(pickLocale({ chosen: 'en', linkLocale: 'de', acceptLanguage: 'de' })).toBe('en');
    expect(pickLocale({ chosen: 'xx', linkLocale: 'de', acceptLanguage: 'en' })).toBe('de');
    expect(pickLocale({ linkLocale: null, acceptLanguage: 'de-AT' })).toBe('de');
    expect(pickLocale({ linkLocale: null, acceptLanguage: 'ja' })).toBe('en');
  });
});
