// How nmcli 1.42 reads `connection up … passwd-file <file>`: a port of
// nmc_utils_parse_passwd_file (src/nmcli/common.c) and
// nm_utils_buf_utf8safe_unescape with NM_UTILS_STR_UTF8_SAFE_UNESCAPE_STRIP_SPACES
// (src/libnm-glib-aux/nm-shared-utils.c). Shared by the fake nmcli and the
// unit test of the agent's passwd-file writer, so both agree with NM.
//
// Rules: lines end at \r\n, \n or \r; leading spaces skipped; empty lines and
// lines starting with '#' ignored; the key ends at the first ':' or '=' and
// must be <setting>.<property> ("wifi-sec"/"wifi" mean
// 802-11-wireless-security); the value loses unescaped leading and trailing
// whitespace and understands C escapes (\\ \t \n \r \b \f \v, octal \NNN;
// any other escaped character stands for itself); it must be UTF-8 without NUL.

const SETTINGS = new Set([
  'connection', '802-11-wireless', '802-11-wireless-security', '802-1x', 'ipv4', 'ipv6', '802-3-ethernet',
  'vpn', 'gsm', 'cdma', 'pppoe', 'ppp', 'bluetooth', 'wireguard', 'macsec', 'adsl', 'wpan', 'olpc-mesh',
]);

/** g_ascii_isspace: space, \t, \n, \v, \f, \r. */
const isSpace = (b) => b === 0x20 || (b >= 0x09 && b <= 0x0d);

function unescapeStripSpaces(bytes) {
  let start = 0;
  while (start < bytes.length && isSpace(bytes[start])) start++;
  const str = bytes.subarray(start);
  const out = [];
  let i = 0;
  let lastLiteralStart = 0;
  const flushLiteral = (end, strip) => {
    let e = end;
    if (strip) while (e > lastLiteralStart && isSpace(str[e - 1])) e--;
    for (let k = lastLiteralStart; k < e; k++) out.push(str[k]);
  };
  for (;;) {
    const bs = str.indexOf(0x5c, i);
    if (bs < 0) {
      flushLiteral(str.length, true);
      break;
    }
    flushLiteral(bs, false);
    i = bs + 1;
    if (i >= str.length) break; // a trailing lone backslash is dropped
    let ch = str[i];
    if (ch >= 0x30 && ch <= 0x39) {
      let v = ch - 0x30;
      i++;
      if (i < str.length && str[i] >= 0x30 && str[i] <= 0x37) {
        v = v * 8 + (str[i] - 0x30);
        i++;
        if (i < str.length && str[i] >= 0x30 && str[i] <= 0x37) {
          v = v * 8 + (str[i] - 0x30);
          i++;
        }
      }
      ch = v & 0xff;
    } else {
      const map = { 0x62: 0x08, 0x66: 0x0c, 0x6e: 0x0a, 0x72: 0x0d, 0x74: 0x09, 0x76: 0x0b };
      ch = map[ch] ?? ch;
      i++;
    }
    out.push(ch);
    lastLiteralStart = i;
  }
  return Buffer.from(out);
}

const FORMAT = '"<setting>.<property>:<secret>" format';

/**
 * @param {Buffer} contents the file
 * @returns {{ ok: true, secrets: Map<string, string> } | { ok: false, line: number, message: string }}
 */
export function parsePasswdFile(contents) {
  const secrets = new Map();
  let pos = 0;
  let lineNo = 0;
  while (pos < contents.length) {
    let end = pos;
    while (end < contents.length && contents[end] !== 0x0a && contents[end] !== 0x0d) end++;
    let line = contents.subarray(pos, end);
    pos = end < contents.length ? (contents[end] === 0x0d && contents[end + 1] === 0x0a ? end + 2 : end + 1) : end;
    lineNo++;
    let s = 0;
    while (s < line.length && isSpace(line[s])) s++;
    line = line.subarray(s);
    if (line.length === 0 || line[0] === 0x23) continue;
    let sep = 0;
    while (sep < line.length && line[sep] !== 0x3a && line[sep] !== 0x3d) sep++;
    if (sep === line.length) return { ok: false, line: lineNo, message: `missing colon for ${FORMAT}` };
    const key = line.subarray(0, sep).toString('utf8').replace(/[ \t\n\v\f\r]+$/, '');
    const dot = key.indexOf('.');
    if (dot < 0) return { ok: false, line: lineNo, message: `missing dot for ${FORMAT}` };
    if (dot === 0) return { ok: false, line: lineNo, message: `missing setting for ${FORMAT}` };
    let setting = key.slice(0, dot);
    const prop = key.slice(dot + 1);
    if (prop === '') return { ok: false, line: lineNo, message: `missing property for ${FORMAT}` };
    if (setting === 'wifi-sec' || setting === 'wifi') setting = '802-11-wireless-security';
    if (!SETTINGS.has(setting)) return { ok: false, line: lineNo, message: 'invalid setting name' };
    const value = unescapeStripSpaces(line.subarray(sep + 1));
    const text = value.toString('utf8');
    if (value.includes(0) || !Buffer.from(text, 'utf8').equals(value)) {
      return { ok: false, line: lineNo, message: 'secret is not UTF-8' };
    }
    secrets.set(`${setting}.${prop}`, text);
  }
  return { ok: true, secrets };
}
