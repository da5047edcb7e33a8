/**
 * The hostapd and dnsmasq configuration files of the soft-AP, rendered from
 * the templates the firmware ships in /etc/camera-agent/ap/ (the
 * integrator tunes those without touching code). Pure: the backends read
 * the template text and write the result.
 *
 * Template language, deliberately tiny:
 * - `{{name}}` is replaced by a value;
 * - a line starting `{{?flag}}` is kept (without the marker) only when the
 *   flag is on, `{{!flag}}` only when it is off;
 * - lines starting with `#` are template comments and are dropped, and so
 *   are empty lines (the result is for the program, not for people);
 * - an unknown name, a missing value or a value of the wrong kind is an
 *   error (TemplateError), never an empty substitution.
 *
 * Both programs read one directive per line and take the value up to the
 * end of the line (hostapd config_file.c hostapd_config_read; dnsmasq
 * option.c read_file), so the one way a value could add a directive is a
 * line break. Every value is therefore checked here, whatever checked it
 * before: printable ASCII only, and per kind (hex, interface name, address,
 * path…). The SSID goes in as hex (`ssid2=<hex>`), so not a single
 * character of it is interpreted.
 */
import { softApConfigProblems, type SoftApConfig } from './soft-ap.js';

export type TemplateErrorCode = 'unknown_placeholder' | 'missing_value' | 'unsafe_value' | 'bad_marker';

export class TemplateError extends Error {
  override readonly name = 'TemplateError';

  constructor(
    readonly code: TemplateErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export type TemplateValues = Record<string, string | boolean>;

/** Printable ASCII: no line break, NUL or other control character can reach a config file. */
const SAFE_VALUE = /^[\x20-\x7e]*$/;
const PLACEHOLDER = /\{\{([a-z_][a-z0-9_]*)\}\}/g;
const MARKER = /^\{\{([?!])([a-z_][a-z0-9_]*)\}\}/;

/** Renders `template` with `values`; throws TemplateError. Messages name the placeholder, never the value. */
export function renderTemplate(template: string, values: TemplateValues): string {
  const out: string[] = [];
  for (const raw of template.split('\n')) {
    let line = raw.replace(/\r$/, '');
    if (line.startsWith('#')) continue;
    const marker = MARKER.exec(line);
    if (marker) {
      const [whole, kind, name] = marker as unknown as [string, '?' | '!', string];
      const flag = values[name];
      if (flag === undefined) throw new TemplateError('unknown_placeholder', `unknown flag ${name}`);
      if (typeof flag !== 'boolean') throw new TemplateError('bad_marker', `${name} is not a flag`);
      if (flag !== (kind === '?')) continue;
      line = line.slice(whole.length);
    } else if (/^\{\{[?!]/.test(line)) {
      throw new TemplateError('bad_marker', 'malformed line marker');
    }
    // Checked on the template, before any value is in: a value may well hold braces.
    if (/\{\{|\}\}/.test(line.replace(PLACEHOLDER, ''))) throw new TemplateError('bad_marker', 'unbalanced braces in the template');
    const rendered = line.replace(PLACEHOLDER, (_m, name: string) => {
      const value = values[name];
      if (value === undefined) throw new TemplateError('unknown_placeholder', `unknown placeholder ${name}`);
      if (typeof value !== 'string') throw new TemplateError('bad_marker', `${name} is a flag, not a value`);
      if (!SAFE_VALUE.test(value)) throw new TemplateError('unsafe_value', `the value for ${name} holds a character that cannot go into a config file`);
      return value;
    });
    if (rendered.trim() !== '') out.push(rendered);
  }
  return out.length ? `${out.join('\n')}\n` : '';
}

function must(ok: boolean, name: string): void {
  if (!ok) throw new TemplateError('unsafe_value', `the value for ${name} is not valid`);
}

const IFNAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
/** Paths we write into a config file: absolute, no spaces, quotes, '#' or ','. */
const SAFE_PATH = /^\/[A-Za-z0-9._/-]+$/;

function checkConfig(c: SoftApConfig): void {
  const problems = softApConfigProblems(c);
  if (problems.length > 0) throw new TemplateError('unsafe_value', `the value for ${problems[0]!.field} is not valid: ${problems[0]!.message}`);
}

/** The values hostapd.conf.tmpl uses. */
export function hostapdValues(c: SoftApConfig): TemplateValues {
  checkConfig(c);
  const ssidHex = Buffer.from(c.ssid, 'utf8').toString('hex');
  must(/^[0-9a-f]{2,64}$/.test(ssidHex), 'ssid_hex');
  must(IFNAME.test(c.ifname), 'interface');
  return {
    interface: c.ifname,
    ssid_hex: ssidHex,
    passphrase: c.passphrase,
    channel: String(c.channel),
    has_country: c.countryCode !== null,
    country_code: c.countryCode ?? '',
    max_clients: String(c.maxClients),
    ap_isolate: c.clientIsolation ? '1' : '0',
  };
}

export interface DnsmasqPaths {
  /** dhcp-leasefile inside the runtime directory. */
  leaseFile: string;
}

/** The values dnsmasq.conf.tmpl uses. */
export function dnsmasqValues(c: SoftApConfig, paths: DnsmasqPaths): TemplateValues {
  checkConfig(c);
  const n = c.network;
  for (const [name, ip] of [['address', n.address], ['netmask', n.netmask], ['dhcp_start', n.dhcpStart], ['dhcp_end', n.dhcpEnd]] as const) must(IPV4.test(ip), name);
  must(SAFE_PATH.test(paths.leaseFile), 'lease_file');
  return {
    interface: c.ifname,
    address: n.address,
    netmask: n.netmask,
    dhcp_start: n.dhcpStart,
    dhcp_end: n.dhcpEnd,
    lease_time: n.leaseTime,
    lease_file: paths.leaseFile,
    captive_dns: c.captiveDns,
  };
}

/** The values nm-dnsmasq-shared.conf.tmpl uses (NetworkManager's own dnsmasq reads it from dnsmasq-shared.d). */
export function nmDnsmasqValues(c: SoftApConfig): TemplateValues {
  checkConfig(c);
  must(IPV4.test(c.network.address), 'address');
  return { interface: c.ifname, address: c.network.address, captive_dns: c.captiveDns };
}

export const TEMPLATE_FILES = {
  hostapd: 'hostapd.conf.tmpl',
  dnsmasq: 'dnsmasq.conf.tmpl',
  nmDnsmasq: 'nm-dnsmasq-shared.conf.tmpl',
} as const;

/** Where the firmware overlay puts the templates on the camera. */
export const DEFAULT_TEMPLATES_DIR = '/etc/camera-agent/ap';
