import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { Test } from 'tap';

/**
 * A real browser for page tests: Debian's Chromium driven headless through
 * playwright-core (no browser download; the package is only the driver).
 * Phones are emulated by viewport and touch, which is what the captive
 * portal's layout depends on.
 */
export const CHROMIUM = '/usr/bin/chromium';

/** A small Android phone in CSS pixels: the narrowest screen the portal must serve (issue 8). */
export const PHONE_VIEWPORT = { width: 360, height: 740 } as const;

/** Launches Chromium headless; closed when `t` ends. Chromium refuses its sandbox as root, hence --no-sandbox there only. */
export async function launchBrowser(t: Test): Promise<Browser> {
  const asRoot = process.getuid?.() === 0;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: asRoot ? ['--no-sandbox'] : [],
    timeout: 20_000,
  });
  t.teardown(() => browser.close());
  return browser;
}

export interface PhonePage {
  context: BrowserContext;
  page: Page;
  /**
   * What went wrong inside the page: uncaught errors, console errors (a CSP
   * violation is one: "Refused to …"), and any alert/confirm/prompt — an
   * injected script's favourite first move. Dialogs are dismissed.
   */
  problems: string[];
  /**
   * Requests the server answered with an error status, as Chromium logs them
   * ("Failed to load resource: … 429"): expected when a form is refused, so
   * kept apart from `problems`.
   */
  failedLoads: string[];
}

export interface PhoneOptions {
  /** The agent's console is served with a self-signed certificate for the device key (pinned by the label, not by a CA). */
  ignoreHTTPSErrors?: boolean;
  /** Sets navigator.language and the Accept-Language header; default en-US. */
  locale?: string;
  javaScriptEnabled?: boolean;
  /** Per-action timeout; default 10 s. */
  timeoutMs?: number;
}

/** A fresh phone-sized context and page (no shared cookies or cache); closed when `t` ends. */
export function phonePage(t: Test, browser: Browser, opts: PhoneOptions = {}): Promise<PhonePage> {
  return openPage(t, browser, { viewport: PHONE_VIEWPORT, deviceScaleFactor: 2, isMobile: true, hasTouch: true }, opts);
}

/** A small laptop screen in CSS pixels (issue 9: the technician console serves phones and laptops). */
export const LAPTOP_VIEWPORT = { width: 1280, height: 800 } as const;

/** A fresh laptop-sized context and page (mouse, no touch); closed when `t` ends. */
export function laptopPage(t: Test, browser: Browser, opts: PhoneOptions = {}): Promise<PhonePage> {
  return openPage(t, browser, { viewport: LAPTOP_VIEWPORT, deviceScaleFactor: 1 }, opts);
}

/** A new context and page that records page errors, console errors and dialogs as problems. */
async function openPage(t: Test, browser: Browser, device: Parameters<Browser['newContext']>[0], opts: PhoneOptions): Promise<PhonePage> {
  const context = await browser.newContext({
    ...device,
    ignoreHTTPSErrors: opts.ignoreHTTPSErrors ?? false,
    locale: opts.locale ?? 'en-US',
    javaScriptEnabled: opts.javaScriptEnabled ?? true,
  });
  t.teardown(() => context.close());
  context.setDefaultTimeout(opts.timeoutMs ?? 10_000);
  const page = await context.newPage();
  const problems: string[] = [];
  const failedLoads: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    if (/^Failed to load resource: the server responded with a status of \d+/.test(msg.text())) failedLoads.push(msg.text());
    else problems.push(`console error: ${msg.text()}`);
  });
  page.on('dialog', (dialog) => {
    problems.push(`${dialog.type()} dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  return { context, page, problems, failedLoads };
}
