/**
 * The captive portal's HTML, rendered on the camera (provisioning.md §6.5):
 * the setup form, the no-JavaScript progress/result page, the app-mode page.
 * Pure string building. SSIDs come from anyone's beacon, so every value that
 * is not a literal of this file goes through escapeHtml(), and the strings
 * handed to the page script go through scriptJson().
 *
 * The page loads only /portal/portal.css and /portal/portal.js from the
 * camera (CSP default-src 'self', no inline script or style): it works in
 * a captive-portal sheet with no internet, and with JavaScript off the form
 * still posts and the result page refreshes itself.
 */
import type { AccessPoint } from '../../network/wifi-scan.js';
import { fill, reasonText } from './captive-portal-messages.js';
import { SCRIPT_STRING_KEYS, type PortalLanguage, type PortalStrings } from './portal-assets/portal-strings.js';

export type PortalState = 'idle' | 'connecting' | 'connected' | 'online' | 'failed';

/** `& < > " '` as entities: safe in text and in double- or single-quoted attributes. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * JSON for a `<script type="application/json">` block: `<` `>` `&` and the
 * JS line separators escaped, so no data can close the element or start a
 * comment (`</script>`, `<!--`).
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export type NetworkSecurity = 'open' | 'secured' | 'unsupported';

/** One row of the network list: one SSID, however many BSSIDs carry it. */
export interface NetworkChoice {
  ssid: string;
  /** Best signal of its BSSIDs, 0–100. */
  signal: number;
  /** 1–4 bars. */
  bars: 1 | 2 | 3 | 4;
  security: NetworkSecurity;
}

/** Rows shown at most: a crowded street must not make the page heavy (each row is < 1 KB even for a 32-byte SSID of `"`). */
export const MAX_NETWORKS = 30;

/**
 * The scan as the user should see it: hidden APs (empty SSID) left out
 * (they are joined by typing the name), one row per SSID with its best
 * signal, strongest first, at most MAX_NETWORKS. SSIDs that differ in any
 * byte stay separate rows (S5, S24).
 */
export function networkChoices(aps: readonly AccessPoint[]): NetworkChoice[] {
  const best = new Map<string, AccessPoint>();
  for (const ap of aps) {
    if (ap.hidden || ap.ssid === '') continue;
    const seen = best.get(ap.ssid);
    if (!seen || ap.signal > seen.signal) best.set(ap.ssid, ap);
  }
  return [...best.values()]
    .sort((a, b) => b.signal - a.signal || (a.ssid < b.ssid ? -1 : a.ssid > b.ssid ? 1 : 0))
    .slice(0, MAX_NETWORKS)
    .map((ap) => ({ ssid: ap.ssid, signal: ap.signal, bars: bars(ap.signal), security: securityOf(ap.security) }));
}

function bars(signal: number): 1 | 2 | 3 | 4 {
  return signal >= 75 ? 4 : signal >= 50 ? 3 : signal >= 25 ? 2 : 1;
}

/**
 * nmcli's security words → what the form needs. Enterprise (802.1X) and
 * WEP cannot be joined by the camera (eap_unsupported, wep_unsupported), so
 * they are listed but not selectable; OWE is encrypted but takes no password.
 */
export function securityOf(words: readonly string[]): NetworkSecurity {
  const w = words.map((s) => s.toUpperCase());
  if (w.some((s) => s.includes('802.1X'))) return 'unsupported';
  if (w.some((s) => s.startsWith('WPA'))) return 'secured';
  if (w.includes('WEP')) return 'unsupported';
  return 'open';
}

interface PageFrame {
  lang: PortalLanguage;
  strings: PortalStrings;
  title: string;
  body: string;
  /** Seconds until the page reloads itself (no-JS progress page). */
  refreshS?: number;
  script?: boolean;
  state?: PortalState;
}

function page(f: PageFrame): string {
  return [
    '<!doctype html>',
    `<html lang="${f.lang}">`,
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width,initial-scale=1">',
    f.refreshS ? `<meta http-equiv="refresh" content="${f.refreshS}">` : '',
    `<title>${escapeHtml(f.title)}</title>`,
    '<link rel="stylesheet" href="/portal/portal.css">',
    f.script ? '<script src="/portal/portal.js" defer></script>' : '',
    '</head>',
    f.state ? `<body data-state="${f.state}">` : '<body>',
    '<main class="wrap">',
    f.body,
    '</main>',
    '</body>',
    '</html>',
    '',
  ]
    .filter((line) => line !== '')
    .join('\n');
}

const LOCK = '<svg class="lock" viewBox="0 0 16 16" aria-hidden="true"><path d="M4 7V5a4 4 0 0 1 8 0v2h1v8H3V7zm2 0h4V5a2 2 0 0 0-4 0z"/></svg>';
const SIGNAL_WORDS = { 1: 'signal1', 2: 'signal2', 3: 'signal3', 4: 'signal4' } as const;
const SIGNAL = (n: number) => `<span class="bars s${n}" aria-hidden="true"><i></i><i></i><i></i><i></i></span>`;
const ICON_OK = '<svg class="icon ok" viewBox="0 0 24 24" aria-hidden="true"><path d="M9 16.2 4.8 12l-1.4 1.4L9 19 21 7l-1.4-1.4z"/></svg>';
const ICON_BAD = '<svg class="icon bad" viewBox="0 0 24 24" aria-hidden="true"><path d="M12 2 1 21h22zm1 15h-2v-2h2zm0-4h-2V9h2z"/></svg>';

export interface FormValues {
  /** The chosen network's SSID, or '' when "Other network" was chosen. */
  ssid: string;
  hiddenSsid: string;
  code: string;
}

export interface PortalPageInput {
  lang: PortalLanguage;
  strings: PortalStrings;
  networks: NetworkChoice[];
  /** The device's current provisioning status, shown as a notice when it is not idle. */
  status: { state: PortalState; reason: string | null };
  /** A refusal of the last submit (no-JS path): the message and the field to mark. */
  error?: { message: string; field: 'ssid' | 'password' | 'code' | null };
  /** What the user had entered, to fill back in after a refusal (never the password). */
  values?: FormValues;
}

/** The setup page: network list, password, setup code; the state sections the script switches to. */
export function renderPortalPage(input: PortalPageInput): string {
  const { strings: s, networks, status, error, values } = input;
  const chosen = values?.ssid;
  const otherChecked = values ? values.ssid === '' && values.hiddenSsid !== '' : networks.every((n) => n.security === 'unsupported');
  const rows = networks.map((n, i) => networkRow(s, n, i, chosen !== undefined && chosen === n.ssid && n.security !== 'unsupported'));
  const invalid = (field: string) => (error?.field === field ? ' aria-invalid="true"' : '');

  let notice = '';
  if (error) notice = `<div id="notice" class="notice err" role="alert">${escapeHtml(error.message)}</div>`;
  else if (status.state === 'failed') notice = `<div id="notice" class="notice err" role="alert">${escapeHtml(fill(s.lastAttempt, { message: reasonText(s, status.reason) }))}</div>`;
  else if (status.state === 'connecting' || status.state === 'connected') notice = `<div id="notice" class="notice info" role="status">${escapeHtml(s.busyNotice)} <a href="/portal/progress">${escapeHtml(s.checkProgress)}</a></div>`;
  else if (status.state === 'online') notice = `<div id="notice" class="notice ok" role="status">${escapeHtml(s.successTitle)}</div>`;
  else notice = '<div id="notice" class="notice err" role="alert" hidden></div>';

  const strings: Record<string, string> = {};
  for (const key of SCRIPT_STRING_KEYS) strings[key] = s[key];

  const body = [
    `<h1>${escapeHtml(s.heading)}</h1>`,
    `<p class="lead">${escapeHtml(s.lead)}</p>`,
    notice,
    '<form id="setup" method="post" action="/portal/connect" accept-charset="utf-8">',
    '<fieldset>',
    `<legend>${escapeHtml(s.networkLegend)}</legend>`,
    networks.length === 0 ? `<p class="hint">${escapeHtml(s.noNetworks)}</p>` : '',
    `<ul class="nets" id="nets"${invalid('ssid')}>`,
    ...rows,
    '<li class="other">',
    `<input type="radio" name="ssid" id="net-other" value="" data-sec="secured" required${otherChecked ? ' checked' : ''}>`,
    `<label for="net-other"><span class="name">${escapeHtml(s.otherNetwork)}</span></label>`,
    '<div class="hid">',
    `<label for="hiddenSsid">${escapeHtml(s.hiddenName)}</label>`,
    `<input id="hiddenSsid" name="hiddenSsid" maxlength="32" dir="auto" autocomplete="off" autocapitalize="none" autocorrect="off" spellcheck="false" value="${escapeHtml(values?.hiddenSsid ?? '')}"${invalid('ssid')}>`,
    `<p class="hint">${escapeHtml(s.hiddenHint)}</p>`,
    '</div>',
    '</li>',
    '</ul>',
    `<p class="small"><a href="/">${escapeHtml(s.searchAgain)}</a></p>`,
    '</fieldset>',
    '<div class="field" id="pw-field">',
    `<label for="password">${escapeHtml(s.password)}</label>`,
    '<div class="pw">',
    `<input id="password" name="password" type="password" maxlength="128" autocomplete="off" autocapitalize="none" autocorrect="off" spellcheck="false"${invalid('password')}>`,
    `<button type="button" id="pw-toggle" class="ghost" aria-controls="password" aria-pressed="false" hidden>${escapeHtml(s.show)}</button>`,
    '</div>',
    `<p class="hint">${escapeHtml(s.passwordHint)}</p>`,
    '</div>',
    '<div class="field">',
    `<label for="code">${escapeHtml(s.code)}</label>`,
    `<input id="code" name="code" class="code" required maxlength="20" autocomplete="off" autocapitalize="characters" autocorrect="off" spellcheck="false" placeholder="XXXX-XXXX-X" aria-describedby="code-hint" value="${escapeHtml(values?.code ?? '')}"${invalid('code')}>`,
    `<p class="hint" id="code-hint">${escapeHtml(s.codeHint)}</p>`,
    '</div>',
    `<button type="submit" class="primary" id="submit">${escapeHtml(s.submit)}</button>`,
    '</form>',
    '<section id="progress" class="state" hidden>',
    '<div class="spinner" aria-hidden="true"></div>',
    `<h2>${escapeHtml(s.progressTitle)}</h2>`,
    '<p id="progress-text" aria-live="polite"></p>',
    '</section>',
    '<section id="done" class="state" hidden>',
    ICON_OK,
    `<h2>${escapeHtml(s.successTitle)}</h2>`,
    `<p>${escapeHtml(s.successText)}</p>`,
    '</section>',
    '<section id="failed" class="state" hidden>',
    ICON_BAD,
    `<h2>${escapeHtml(s.failedTitle)}</h2>`,
    '<p id="failed-text" role="alert"></p>',
    `<button type="button" class="primary" id="retry">${escapeHtml(s.tryAgain)}</button>`,
    '</section>',
    `<script type="application/json" id="i18n">${scriptJson(strings)}</script>`,
  ];
  return page({ lang: input.lang, strings: s, title: s.title, body: body.filter((l) => l !== '').join('\n'), script: true, state: status.state });
}

function networkRow(s: PortalStrings, n: NetworkChoice, i: number, checked: boolean): string {
  const unsupported = n.security === 'unsupported';
  const what = [n.security === 'open' ? s.open : unsupported ? s.unsupported : s.secured, s[SIGNAL_WORDS[n.bars]]].join(', ');
  return [
    `<li${unsupported ? ' class="off"' : ''}>`,
    `<input type="radio" name="ssid" id="net-${i}" value="${escapeHtml(n.ssid)}" data-sec="${n.security}" required${checked ? ' checked' : ''}${unsupported ? ' disabled' : ''}>`,
    `<label for="net-${i}"><span class="name" dir="auto">${escapeHtml(n.ssid)}</span>`,
    `<span class="meta">${n.security === 'open' ? '' : LOCK}${SIGNAL(n.bars)}<span class="sr">${escapeHtml(what)}</span></span></label>`,
    '</li>',
  ].join('');
}

/**
 * The no-JavaScript progress/result page (`GET /portal/progress`, where the
 * form's POST lands): reloads itself every 2 s while the camera connects,
 * then shows success or the failure in words, with a way back to the form.
 */
export function renderProgressPage(input: { lang: PortalLanguage; strings: PortalStrings; status: { state: PortalState; reason: string | null } }): string {
  const { strings: s, status } = input;
  let body: string;
  let refreshS: number | undefined;
  if (status.state === 'online') {
    body = [ICON_OK, `<h2>${escapeHtml(s.successTitle)}</h2>`, `<p>${escapeHtml(s.successText)}</p>`].join('\n');
  } else if (status.state === 'failed') {
    body = [
      ICON_BAD,
      `<h2>${escapeHtml(s.failedTitle)}</h2>`,
      `<p role="alert">${escapeHtml(reasonText(s, status.reason))}</p>`,
      `<p><a class="button primary" href="/">${escapeHtml(s.tryAgain)}</a></p>`,
    ].join('\n');
  } else {
    refreshS = 2;
    body = [
      '<div class="spinner" aria-hidden="true"></div>',
      `<h2>${escapeHtml(s.progressTitle)}</h2>`,
      `<p>${escapeHtml(status.state === 'connected' ? s.connected : s.connectingNoName)}</p>`,
    ].join('\n');
  }
  return page({
    lang: input.lang,
    strings: s,
    title: s.title,
    body: `<section id="result" class="state" data-state="${status.state}">\n${body}\n</section>`,
    ...(refreshS ? { refreshS } : {}),
  });
}

/** What a browser sees when the portal is off because the app is setting the camera up. */
export function renderAppModePage(input: { lang: PortalLanguage; strings: PortalStrings }): string {
  const s = input.strings;
  return page({
    lang: input.lang,
    strings: s,
    title: s.title,
    body: `<section class="state">\n<h2>${escapeHtml(s.appModeTitle)}</h2>\n<p>${escapeHtml(s.appModeText)}</p>\n</section>`,
  });
}
