import type { ClosedStatus, LinkStatus } from '../domain/link';
import type { ChecklistStatus } from '../domain/probe';
import type { Locale } from './locale';

/** The fields of the connect page's forms (their table is api/forms.ts). */
export type FormFieldName = 'clientId' | 'clientSecret' | 'userId' | 'apiKey' | 'email' | 'name' | 'note';

/** Every sentence of the hosted pages, per language. Greenhouse's own UI labels stay as Greenhouse shows them. */
export interface PageText {
  languageName: string;
  skipToForm: string;
  title: (org: string) => string;
  intro: (app: string, org: string) => string;
  adminIntro: (requester: string, app: string, org: string) => string;
  /** The intro of a linked link's page once something broke: what happened, and that the link stays. */
  reconnectIntro: (app: string, org: string) => string;
  degradedIntro: (app: string, org: string) => string;
  requesterNote: string;
  status: Record<LinkStatus, string>;
  missingCount: (n: number) => string;
  scopeStatus: Record<ChecklistStatus, string>;
  credentialProblem: (problem: string, message: string) => string;
  prerequisitesTitle: string;
  prerequisites: string[];
  prerequisitesWrite: string;
  checkAccessTitle: string;
  checkAccess: string[];
  noAccess: string;
  findAdminTitle: string;
  findAdmin: string[];
  createTitle: string;
  createSteps: (app: string) => string[];
  scopesTitle: string;
  scopesHint: string;
  copy: string;
  copied: string;
  changedReload: string;
  reload: string;
  howToFix: string;
  fixScope: (path: string, label: string) => string;
  siteAdminFix: string;
  formTitle: string;
  clientId: string;
  clientIdHint: string;
  clientSecret: string;
  clientSecretHint: string;
  userId: string;
  userIdHint: string;
  submit: string;
  legacySummary: string;
  legacyKey: string;
  legacySubmit: string;
  checkAgain: string;
  checkAgainHint: string;
  lastChecked: (when: string) => string;
  handOffTitle: string;
  handOffText: string;
  adminEmail: string;
  adminName: string;
  note: string;
  handOffSubmit: string;
  handedOff: (email: string) => string;
  notAdminTitle: string;
  notAdminText: string;
  notAdminSubmit: string;
  linkedTitle: (org: string) => string;
  linkedText: (app: string) => string;
  closedTitle: Record<ClosedStatus, string>;
  closedText: Record<ClosedStatus, (requester: string) => string>;
  invalidTitle: string;
  invalidText: string;
  errorSummary: string;
  forbiddenTitle: string;
  forbiddenText: string;
  tooManyTitle: string;
  tooManyText: (seconds: number) => string;
  optional: string;
  notice: Record<'handoff' | 'recheck' | 'checking' | 'not_admin', (requester: string) => string>;
  /** The page after "I'm not the admin" (the admin's link stops working). */
  notAdminDoneTitle: string;
  /** Shown next to a field the form rejected (the field names are the form's). */
  fieldError: Record<FormFieldName, string>;
}

/** A wait in the largest unit that reads well: "45 seconds", "12 minutes", "23 hours" (rounded up). */
function waitFor(seconds: number, [second, secondsWord, minutes, hours]: [string, string, string, string]) {
  if (seconds === 1) return `1 ${second}`;
  if (seconds < 120) return `${seconds} ${secondsWord}`;
  if (seconds < 7_200) return `${Math.ceil(seconds / 60)} ${minutes}`;
  return `${Math.ceil(seconds / 3_600)} ${hours}`;
}

const en: PageText = {
  languageName: 'English',
  skipToForm: 'Skip to the credentials form',
  title: (org) => `Connect Greenhouse for ${org}`,
  intro: (app, org) =>
    `${app} needs API access to ${org}'s Greenhouse account. Create API credentials in Greenhouse, paste them below, and we check every permission at once. It takes about five minutes.`,
  adminIntro: (requester, app, org) =>
    `${requester} asked you, as a Greenhouse admin, to connect ${org}'s Greenhouse account to ${app}.`,
  reconnectIntro: (app, org) =>
    `Greenhouse stopped accepting the API credentials ${app} uses for ${org}: they were revoked, deleted, or their secret changed. Create new API credentials in Greenhouse and paste them below. The connection then resumes as it was.`,
  degradedIntro: (app, org) =>
    `${app} is connected to ${org}'s Greenhouse account, but permissions it needs have been removed since. The list below shows which: tick them again in Greenhouse, then click "Check again".`,
  requesterNote: 'Their note:',
  status: {
    awaiting_credentials: 'Waiting for Greenhouse API credentials.',
    verifying: 'Checking the credentials with Greenhouse…',
    awaiting_permissions:
      'Some permissions are still missing. We check again on our own, or click "Check again".',
    linked: 'Connected. All required permissions are granted.',
    degraded:
      'Connected, but some permissions have been removed since. Tick them again in Greenhouse, then click "Check again".',
    disconnected:
      'Greenhouse no longer accepts the saved credentials. Paste new API credentials below to reconnect.',
    expired: 'This link has expired.',
    cancelled: 'This link was cancelled.',
  },
  missingCount: (n) => `${n} permission${n === 1 ? '' : 's'} missing`,
  scopeStatus: {
    granted: 'Granted',
    missing: 'Missing',
    needs_site_admin: 'Needs a Site Admin user',
    unknown: 'Could not check yet',
    not_checked: 'Not checked yet',
  },
  credentialProblem: (problem, message) =>
    `Greenhouse did not accept these credentials (${problem}): ${message}. Check the Client ID and Client Secret and submit them again.`,
  prerequisitesTitle: 'Before you start',
  prerequisites: [
    'You need the Greenhouse user permission "Can manage ALL organization\'s API Credentials" (under Developer Permissions).',
    'Without it the setup cannot be completed: hand it to your Greenhouse admin below, or ask them to grant you that permission.',
  ],
  prerequisitesWrite:
    'This link also writes to Greenhouse (candidate sources): enter the User ID of the Greenhouse user it should act as, a Site Admin.',
  checkAccessTitle: 'Check that you have access',
  checkAccess: [
    'Log in to Greenhouse and click the cog (Configure) in the top right corner.',
    'Click "Dev Center" in the left menu.',
    'You should see "API Credentials". If you do not, you lack the permission above.',
  ],
  noAccess:
    'No "API Credentials" item? Hand this setup to your Greenhouse admin (form at the end of this page).',
  findAdminTitle: 'Who is your Greenhouse admin?',
  findAdmin: [
    'Open the main Greenhouse dashboard.',
    'Under "Helpful Links", click "Email Your In-House Contacts": it lists your account\'s administrators.',
  ],
  createTitle: 'Create the API credentials',
  createSteps: (app) => [
    'In Greenhouse, click the cog (Configure) in the top right corner, then "Dev Center" in the left menu.',
    'Click "API Credentials", then "Create new API credentials".',
    'API type: "Harvest V3 (OAuth)". Partner: "Custom". Description: ' +
      `"${app}" (so you recognise it later).`,
    'Copy the Client ID and the Client Secret into the form below. Greenhouse shows the secret only once.',
    'Open the credential\'s Settings → "Manage Scopes" → "Harvest", tick every permission listed below, then click "Save".',
  ],
  scopesTitle: 'Permissions this link needs',
  scopesHint: 'Tick these in Greenhouse under "Manage Scopes" → "Harvest" (labels as Greenhouse shows them).',
  copy: 'Copy',
  copied: 'Copied',
  changedReload: 'The status has changed. Reload the page to see it (what you typed is not sent).',
  reload: 'Reload',
  howToFix: 'How to fix:',
  fixScope: (path, label) => `In Greenhouse: ${path} → tick "${label}" → Save.`,
  siteAdminFix:
    'Greenhouse answered only for a Site Admin: leave User ID empty, or enter the ID of a user who is a Site Admin.',
  formTitle: 'Your API credentials',
  clientId: 'Client ID',
  clientIdHint: 'Ends in a dash and a number, e.g. 3fa85f64…-1234.',
  clientSecret: 'Client Secret',
  clientSecretHint: 'Sent encrypted; never shown again, not even to you.',
  userId: 'User ID',
  userIdHint:
    "The numeric ID of the Greenhouse user to act as. Leave empty to use the credential's own user.",
  submit: 'Check and connect',
  legacySummary: 'I only have a Harvest v1 API key (retired)',
  legacyKey: 'Harvest v1 API key',
  legacySubmit: 'Check the v1 key',
  checkAgain: "I've updated the scopes — check again",
  checkAgainHint: 'We also check on our own every little while.',
  lastChecked: (when) => `Last checked ${when}.`,
  handOffTitle: 'Not a Greenhouse admin? Hand it over',
  handOffText:
    'Your admin gets an email with every step and the exact permissions to tick, and their own link to this setup. You both see the result.',
  adminEmail: "Admin's email",
  adminName: "Admin's name",
  note: 'Note for them',
  handOffSubmit: 'Hand this to my Greenhouse admin',
  handedOff: (email) => `Handed to ${email}. They got an email; you will both hear when it is done.`,
  notAdminTitle: 'Not the right person?',
  notAdminText: 'If you are not a Greenhouse admin, send this back to the person who asked.',
  notAdminSubmit: "I'm not the Greenhouse admin — send it back",
  linkedTitle: (org) => `Greenhouse is connected for ${org}`,
  linkedText: (app) =>
    `All required permissions are granted and ${app} has been told. You can close this page.`,
  closedTitle: {
    expired: 'This link has expired',
    cancelled: 'This link was cancelled',
  },
  closedText: {
    expired: (r) => `It was not completed in time. Ask ${r} or the app that sent it for a new link.`,
    cancelled: (r) =>
      `The app that started it cancelled it. Ask ${r} or the app for a new link if you still need one.`,
  },
  invalidTitle: 'This link is not valid',
  invalidText:
    'It may have expired or been replaced by a newer one. Use the newest email you received, or ask the person who sent it for a new link.',
  errorSummary: 'Please fix the following:',
  forbiddenTitle: 'This form has expired',
  forbiddenText: 'Reload the page and submit it again.',
  tooManyTitle: 'Too many requests',
  notAdminDoneTitle: 'Sent back',
  tooManyText: (s) => `Please wait ${waitFor(s, ['second', 'seconds', 'minutes', 'hours'])} and try again.`,
  optional: 'optional',
  notice: {
    handoff: () => 'Handed to your Greenhouse admin: they got an email with every step.',
    recheck: () => 'Checking again now. This page updates by itself.',
    checking: () => 'Greenhouse is taking a while to answer. We keep checking; this page updates by itself.',
    not_admin: (r) => `Sent back to ${r}. Thank you! This link no longer works.`,
  },
  fieldError: {
    clientId: 'Enter the Client ID from Greenhouse.',
    clientSecret: 'Enter the Client Secret from Greenhouse.',
    userId: 'The User ID is a number, e.g. 4080123.',
    apiKey: 'Enter the Harvest v1 API key.',
    email: 'Enter an email address, e.g. admin@example.com.',
    name: 'The name is too long.',
    note: 'The note is too long (at most 1,000 characters).',
  },
};

const de: PageText = {
  languageName: 'Deutsch',
  skipToForm: 'Zum Formular für die Zugangsdaten',
  title: (org) => `Greenhouse für ${org} verbinden`,
  intro: (app, org) =>
    `${app} braucht API-Zugriff auf das Greenhouse-Konto von ${org}. Legen Sie in Greenhouse API-Zugangsdaten an, fügen Sie sie unten ein, und wir prüfen sofort jede Berechtigung. Das dauert etwa fünf Minuten.`,
  adminIntro: (requester, app, org) =>
    `${requester} bittet Sie als Greenhouse-Admin, das Greenhouse-Konto von ${org} mit ${app} zu verbinden.`,
  reconnectIntro: (app, org) =>
    `Greenhouse akzeptiert die API-Zugangsdaten nicht mehr, die ${app} für ${org} verwendet: Sie wurden widerrufen, gelöscht oder ihr Secret wurde geändert. Legen Sie in Greenhouse neue API-Zugangsdaten an und fügen Sie sie unten ein. Die Verbindung läuft dann weiter wie bisher.`,
  degradedIntro: (app, org) =>
    `${app} ist mit dem Greenhouse-Konto von ${org} verbunden, aber nötige Berechtigungen wurden seither entfernt. Die Liste unten zeigt welche: Setzen Sie sie in Greenhouse wieder und klicken Sie auf „Erneut prüfen“.`,
  requesterNote: 'Die Nachricht dazu:',
  status: {
    awaiting_credentials: 'Wartet auf Greenhouse-API-Zugangsdaten.',
    verifying: 'Die Zugangsdaten werden bei Greenhouse geprüft …',
    awaiting_permissions:
      'Einige Berechtigungen fehlen noch. Wir prüfen regelmäßig selbst, oder klicken Sie auf „Erneut prüfen“.',
    linked: 'Verbunden. Alle nötigen Berechtigungen sind erteilt.',
    degraded:
      'Verbunden, aber seither wurden Berechtigungen entfernt. Setzen Sie sie in Greenhouse wieder und klicken Sie auf „Erneut prüfen“.',
    disconnected:
      'Greenhouse akzeptiert die gespeicherten Zugangsdaten nicht mehr. Fügen Sie unten neue API-Zugangsdaten ein, um neu zu verbinden.',
    expired: 'Dieser Link ist abgelaufen.',
    cancelled: 'Dieser Link wurde storniert.',
  },
  missingCount: (n) => `${n} Berechtigung${n === 1 ? '' : 'en'} fehlen`,
  scopeStatus: {
    granted: 'Erteilt',
    missing: 'Fehlt',
    needs_site_admin: 'Braucht einen Site-Admin-Benutzer',
    unknown: 'Noch nicht prüfbar',
    not_checked: 'Noch nicht geprüft',
  },
  credentialProblem: (problem, message) =>
    `Greenhouse hat diese Zugangsdaten abgelehnt (${problem}): ${message}. Prüfen Sie Client ID und Client Secret und senden Sie sie erneut.`,
  prerequisitesTitle: 'Bevor Sie beginnen',
  prerequisites: [
    "Sie brauchen die Greenhouse-Benutzerberechtigung „Can manage ALL organization's API Credentials“ (unter „Developer Permissions“).",
    'Ohne sie lässt sich die Einrichtung nicht abschließen: Übergeben Sie sie unten an Ihren Greenhouse-Admin, oder bitten Sie ihn um diese Berechtigung.',
  ],
  prerequisitesWrite:
    'Dieser Link schreibt auch in Greenhouse (Kandidatenquellen): Geben Sie die User ID des Greenhouse-Benutzers an, in dessen Namen er handeln soll – einen Site Admin.',
  checkAccessTitle: 'Prüfen Sie Ihren Zugang',
  checkAccess: [
    'Melden Sie sich bei Greenhouse an und klicken Sie oben rechts auf das Zahnrad (Configure).',
    'Klicken Sie im linken Menü auf „Dev Center“.',
    'Dort sollte „API Credentials“ stehen. Fehlt der Eintrag, fehlt Ihnen die Berechtigung oben.',
  ],
  noAccess:
    'Kein Eintrag „API Credentials“? Übergeben Sie die Einrichtung an Ihren Greenhouse-Admin (Formular am Ende dieser Seite).',
  findAdminTitle: 'Wer ist Ihr Greenhouse-Admin?',
  findAdmin: [
    'Öffnen Sie das Greenhouse-Dashboard.',
    'Klicken Sie unter „Helpful Links“ auf „Email Your In-House Contacts“: Dort stehen die Administratoren Ihres Kontos.',
  ],
  createTitle: 'API-Zugangsdaten anlegen',
  createSteps: (app) => [
    'Klicken Sie in Greenhouse oben rechts auf das Zahnrad (Configure), dann im linken Menü auf „Dev Center“.',
    'Klicken Sie auf „API Credentials“, dann auf „Create new API credentials“.',
    `API type: „Harvest V3 (OAuth)“. Partner: „Custom“. Description: „${app}“ (damit Sie sie später wiedererkennen).`,
    'Kopieren Sie Client ID und Client Secret in das Formular unten. Greenhouse zeigt das Secret nur einmal an.',
    'Öffnen Sie bei den Zugangsdaten „Settings“ → „Manage Scopes“ → „Harvest“, haken Sie jede unten genannte Berechtigung an und klicken Sie auf „Save“.',
  ],
  scopesTitle: 'Berechtigungen, die dieser Link braucht',
  scopesHint:
    'Haken Sie diese in Greenhouse unter „Manage Scopes“ → „Harvest“ an (Bezeichnungen so, wie Greenhouse sie zeigt).',
  copy: 'Kopieren',
  copied: 'Kopiert',
  changedReload:
    'Der Status hat sich geändert. Laden Sie die Seite neu, um ihn zu sehen (Eingaben werden nicht gesendet).',
  reload: 'Neu laden',
  howToFix: 'So beheben Sie es:',
  fixScope: (path, label) => `In Greenhouse: ${path} → „${label}“ anhaken → Save.`,
  siteAdminFix:
    'Greenhouse hat nur einem Site Admin geantwortet: Lassen Sie die User ID leer oder geben Sie die ID eines Site Admins an.',
  formTitle: 'Ihre API-Zugangsdaten',
  clientId: 'Client ID',
  clientIdHint: 'Endet auf Bindestrich und Zahl, z. B. 3fa85f64…-1234.',
  clientSecret: 'Client Secret',
  clientSecretHint: 'Wird verschlüsselt übertragen und nie wieder angezeigt, auch Ihnen nicht.',
  userId: 'User ID',
  userIdHint:
    'Die numerische ID des Greenhouse-Benutzers, in dessen Namen gehandelt wird. Leer lassen für den Benutzer der Zugangsdaten.',
  submit: 'Prüfen und verbinden',
  legacySummary: 'Ich habe nur einen Harvest-v1-API-Key (eingestellt)',
  legacyKey: 'Harvest-v1-API-Key',
  legacySubmit: 'v1-Key prüfen',
  checkAgain: 'Ich habe die Scopes geändert – erneut prüfen',
  checkAgainHint: 'Wir prüfen außerdem regelmäßig von selbst.',
  lastChecked: (when) => `Zuletzt geprüft: ${when}.`,
  handOffTitle: 'Kein Greenhouse-Admin? Übergeben Sie es',
  handOffText:
    'Ihr Admin erhält eine E-Mail mit allen Schritten und den genauen Berechtigungen sowie einen eigenen Link zu dieser Einrichtung. Sie beide sehen das Ergebnis.',
  adminEmail: 'E-Mail des Admins',
  adminName: 'Name des Admins',
  note: 'Nachricht an den Admin',
  handOffSubmit: 'An meinen Greenhouse-Admin übergeben',
  handedOff: (email) =>
    `An ${email} übergeben. Die E-Mail ist unterwegs; Sie beide erfahren, wenn es erledigt ist.`,
  notAdminTitle: 'Nicht die richtige Person?',
  notAdminText: 'Wenn Sie kein Greenhouse-Admin sind, geben Sie dies an die anfragende Person zurück.',
  notAdminSubmit: 'Ich bin kein Greenhouse-Admin – zurückgeben',
  linkedTitle: (org) => `Greenhouse ist für ${org} verbunden`,
  linkedText: (app) =>
    `Alle nötigen Berechtigungen sind erteilt und ${app} ist informiert. Sie können diese Seite schließen.`,
  closedTitle: {
    expired: 'Dieser Link ist abgelaufen',
    cancelled: 'Dieser Link wurde storniert',
  },
  closedText: {
    expired: (r) =>
      `Er wurde nicht rechtzeitig abgeschlossen. Bitten Sie ${r} oder die App, die ihn gesendet hat, um einen neuen Link.`,
    cancelled: (r) =>
      `Die App, die ihn gestartet hat, hat ihn storniert. Bitten Sie ${r} oder die App um einen neuen Link, falls Sie ihn noch brauchen.`,
  },
  invalidTitle: 'Dieser Link ist nicht gültig',
  invalidText:
    'Er ist vielleicht abgelaufen oder wurde durch einen neueren ersetzt. Nutzen Sie die neueste E-Mail oder bitten Sie die Person, die ihn gesendet hat, um einen neuen Link.',
  errorSummary: 'Bitte korrigieren Sie Folgendes:',
  forbiddenTitle: 'Dieses Formular ist abgelaufen',
  forbiddenText: 'Laden Sie die Seite neu und senden Sie es erneut.',
  tooManyTitle: 'Zu viele Anfragen',
  notAdminDoneTitle: 'Zurückgegeben',
  tooManyText: (s) =>
    `Bitte warten Sie ${waitFor(s, ['Sekunde', 'Sekunden', 'Minuten', 'Stunden'])} und versuchen Sie es erneut.`,
  optional: 'optional',
  notice: {
    handoff: () => 'An Ihren Greenhouse-Admin übergeben: Er hat eine E-Mail mit allen Schritten erhalten.',
    recheck: () => 'Wird jetzt erneut geprüft. Diese Seite aktualisiert sich selbst.',
    checking: () =>
      'Greenhouse braucht etwas länger für die Antwort. Wir prüfen weiter; diese Seite aktualisiert sich selbst.',
    not_admin: (r) => `An ${r} zurückgegeben. Vielen Dank! Dieser Link funktioniert nicht mehr.`,
  },
  fieldError: {
    clientId: 'Geben Sie die Client ID aus Greenhouse ein.',
    clientSecret: 'Geben Sie das Client Secret aus Greenhouse ein.',
    userId: 'Die User ID ist eine Zahl, z. B. 4080123.',
    apiKey: 'Geben Sie den Harvest-v1-API-Key ein.',
    email: 'Geben Sie eine E-Mail-Adresse ein, z. B. admin@example.com.',
    name: 'Der Name ist zu lang.',
    note: 'Die Nachricht ist zu lang (höchstens 1.000 Zeichen).',
  },
};

export const PAGE_TEXT: Record<Locale, PageText> = { en, de };
