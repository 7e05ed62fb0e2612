import type { Locale } from './locale';

/** The sentences of the emails, per language; mail/templates.ts decides which go into which email. */
export interface EmailText {
  hello: string;
  openPage: string;
  missingIntro: (org: string) => string;
  howToFix: (path: string) => string;
  reminderSubject: (n: number, missing: number, org: string) => string;
  reminderWhy: (requester: string, app: string) => string;
  reminderSelfCheck: string;
  notAdmin: string;
  setupSubject: (org: string) => string;
  setupIntro: (requester: string, org: string, app: string) => string;
  setupHow: string;
  handoffSubject: (requester: string, org: string) => string;
  handoffIntro: (requester: string, org: string, app: string) => string;
  handoffNote: (note: string) => string;
  handoffMissing: string;
  handoffPermission: string;
  linkValid: (hours: number) => string;
  linkedSubject: (org: string) => string;
  linkedText: (org: string, app: string) => string;
  expiredSubject: (org: string) => string;
  expiredText: (org: string) => string;
  expiredNext: (requester: string) => string;
  degradedSubject: (n: number, missing: number, org: string) => string;
  degradedIntro: (org: string, app: string) => string;
  disconnectedSubject: (org: string) => string;
  disconnectedIntro: (org: string, app: string) => string;
  disconnectedHow: string;
  restoredSubject: (org: string) => string;
  restoredText: (org: string, app: string) => string;
  footer: (app: string) => string;
}

const en: EmailText = {
  hello: 'Hello,',
  openPage: 'Open the setup page',
  missingIntro: (org) => `The Greenhouse API credentials for ${org} are missing these permissions:`,
  howToFix: (path) =>
    `How to fix it in Greenhouse: ${path}, tick each permission above, then click Save. Then open the page below and click "Check again".`,
  reminderSubject: (n, missing, org) =>
    `Reminder ${n}: ${missing} Greenhouse permission${missing === 1 ? '' : 's'} still missing for ${org}`,
  reminderWhy: (requester, app) =>
    `${requester} asked for this so that ${app} can work with your Greenhouse data. We check again on our own too, and stop writing once everything is granted.`,
  reminderSelfCheck: 'Already fixed it? Nothing to do: the next check will notice.',
  notAdmin: 'Not the Greenhouse admin? The page has a button to send it back to the person who asked.',
  setupSubject: (org) => `Reminder: please finish connecting Greenhouse for ${org}`,
  setupIntro: (requester, org, app) =>
    `${requester} asked you to connect ${org}'s Greenhouse account to ${app}. It is not set up yet.`,
  setupHow:
    'It takes a few minutes: create "Harvest V3 (OAuth)" API credentials in Greenhouse and paste them on the setup page, which lists the exact permissions to tick.',
  handoffSubject: (requester, org) => `${requester} asks you to connect Greenhouse for ${org}`,
  handoffIntro: (requester, org, app) =>
    `${requester} needs a Greenhouse admin to finish connecting ${org}'s Greenhouse account to ${app}.`,
  handoffNote: (note) => `Their note: “${note}”`,
  handoffMissing: 'These permissions are missing so far:',
  handoffPermission:
    'The setup page shows every step and the exact permissions to tick. You need the Greenhouse permission "Can manage ALL organization\'s API Credentials".',
  linkValid: (hours) => `The link works for ${hours} hours; every email brings a fresh one.`,
  linkedSubject: (org) => `Greenhouse is connected for ${org}`,
  linkedText: (org, app) =>
    `All required Greenhouse permissions for ${org} are in place and ${app} is connected. Nothing more to do.`,
  expiredSubject: (org) => `The Greenhouse connection request for ${org} expired`,
  expiredText: (org) => `The request to connect ${org}'s Greenhouse account expired before it was completed.`,
  expiredNext: (requester) => `Ask ${requester} or the app that sent it for a new link.`,
  degradedSubject: (n, missing, org) =>
    `${n > 1 ? `Reminder ${n}: ` : ''}${missing} Greenhouse permission${missing === 1 ? '' : 's'} removed for ${org}`,
  degradedIntro: (org, app) =>
    `${app} is connected to ${org}'s Greenhouse account, but these permissions have been removed from its API credentials since, so part of it has stopped working:`,
  disconnectedSubject: (org) => `Greenhouse disconnected for ${org}: new API credentials needed`,
  disconnectedIntro: (org, app) =>
    `Greenhouse no longer accepts the API credentials ${app} uses for ${org} (they were revoked, deleted, or their secret changed), so ${app} cannot reach Greenhouse.`,
  disconnectedHow:
    'Create new API credentials in Greenhouse (Configure → Dev Center → API Credentials) and paste them on the page below: the connection resumes as it was.',
  restoredSubject: (org) => `Greenhouse works again for ${org}. Thank you`,
  restoredText: (org, app) =>
    `Thank you: ${app}'s connection to ${org}'s Greenhouse account has every permission it needs again. Nothing more to do.`,
  footer: (app) => `Sent by Greenlink on behalf of ${app}.`,
};

const de: EmailText = {
  hello: 'Hallo,',
  openPage: 'Einrichtungsseite öffnen',
  missingIntro: (org) => `Den Greenhouse-API-Zugangsdaten für ${org} fehlen diese Berechtigungen:`,
  howToFix: (path) =>
    `So beheben Sie es in Greenhouse: ${path}, jede Berechtigung oben anhaken, dann auf Save klicken. Danach die Seite unten öffnen und auf „Erneut prüfen“ klicken.`,
  reminderSubject: (n, missing, org) =>
    `Erinnerung ${n}: ${missing} Greenhouse-Berechtigung${missing === 1 ? '' : 'en'} fehlen noch für ${org}`,
  reminderWhy: (requester, app) =>
    `${requester} hat dies angefragt, damit ${app} mit Ihren Greenhouse-Daten arbeiten kann. Wir prüfen auch selbst regelmäßig und schreiben nicht mehr, sobald alles erteilt ist.`,
  reminderSelfCheck: 'Schon behoben? Dann ist nichts zu tun: Die nächste Prüfung bemerkt es.',
  notAdmin: 'Kein Greenhouse-Admin? Auf der Seite können Sie es an die anfragende Person zurückgeben.',
  setupSubject: (org) => `Erinnerung: Bitte schließen Sie die Greenhouse-Verbindung für ${org} ab`,
  setupIntro: (requester, org, app) =>
    `${requester} hat Sie gebeten, das Greenhouse-Konto von ${org} mit ${app} zu verbinden. Das ist noch nicht geschehen.`,
  setupHow:
    'Es dauert wenige Minuten: Legen Sie in Greenhouse API-Zugangsdaten vom Typ „Harvest V3 (OAuth)“ an und fügen Sie sie auf der Einrichtungsseite ein; dort stehen die genauen Berechtigungen.',
  handoffSubject: (requester, org) => `${requester} bittet Sie, Greenhouse für ${org} zu verbinden`,
  handoffIntro: (requester, org, app) =>
    `${requester} braucht einen Greenhouse-Admin, um das Greenhouse-Konto von ${org} mit ${app} zu verbinden.`,
  handoffNote: (note) => `Die Nachricht dazu: „${note}“`,
  handoffMissing: 'Diese Berechtigungen fehlen bisher:',
  handoffPermission:
    "Die Einrichtungsseite zeigt jeden Schritt und die genauen Berechtigungen. Sie brauchen die Greenhouse-Berechtigung „Can manage ALL organization's API Credentials“.",
  linkValid: (hours) => `Der Link gilt ${hours} Stunden; jede E-Mail bringt einen neuen.`,
  linkedSubject: (org) => `Greenhouse ist für ${org} verbunden`,
  linkedText: (org, app) =>
    `Alle nötigen Greenhouse-Berechtigungen für ${org} sind erteilt und ${app} ist verbunden. Es ist nichts mehr zu tun.`,
  expiredSubject: (org) => `Die Anfrage zur Greenhouse-Verbindung für ${org} ist abgelaufen`,
  expiredText: (org) =>
    `Die Anfrage, das Greenhouse-Konto von ${org} zu verbinden, ist abgelaufen, bevor sie abgeschlossen wurde.`,
  expiredNext: (requester) =>
    `Bitten Sie ${requester} oder die App, die sie gesendet hat, um einen neuen Link.`,
  degradedSubject: (n, missing, org) =>
    `${n > 1 ? `Erinnerung ${n}: ` : ''}${missing} Greenhouse-Berechtigung${missing === 1 ? '' : 'en'} für ${org} entfernt`,
  degradedIntro: (org, app) =>
    `${app} ist mit dem Greenhouse-Konto von ${org} verbunden, aber diese Berechtigungen wurden seither aus den API-Zugangsdaten entfernt, daher funktioniert ein Teil nicht mehr:`,
  disconnectedSubject: (org) => `Greenhouse-Verbindung für ${org} getrennt: neue API-Zugangsdaten nötig`,
  disconnectedIntro: (org, app) =>
    `Greenhouse akzeptiert die API-Zugangsdaten nicht mehr, die ${app} für ${org} verwendet (sie wurden widerrufen, gelöscht oder ihr Secret geändert), daher erreicht ${app} Greenhouse nicht mehr.`,
  disconnectedHow:
    'Legen Sie in Greenhouse neue API-Zugangsdaten an (Configure → Dev Center → API Credentials) und fügen Sie sie auf der Seite unten ein: die Verbindung läuft dann weiter wie bisher.',
  restoredSubject: (org) => `Greenhouse funktioniert wieder für ${org}. Danke`,
  restoredText: (org, app) =>
    `Danke: Die Verbindung von ${app} mit dem Greenhouse-Konto von ${org} hat wieder jede nötige Berechtigung. Es ist nichts mehr zu tun.`,
  footer: (app) => `Gesendet von Greenlink im Auftrag von ${app}.`,
};

export const EMAIL_TEXT: Record<Locale, EmailText> = { en, de };
