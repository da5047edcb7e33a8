/**
 * nmcli's terse output (`-t`), as pure functions. In terse mode nmcli prints
 * one record per line, fields joined by `:`, and — unless `--escape no` —
 * puts a backslash before every `:` and `\` inside a value (nmcli(1),
 * "--escape"; src/nmcli/utils.c print_required_fields). Nothing else is
 * escaped: a newline inside a value (legal in an SSID) is printed raw.
 */

/** Splits one terse line into its unescaped fields. */
export function splitTerseLine(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '\\' && i + 1 < line.length) {
      const next = line[i + 1]!;
      if (next === ':' || next === '\\') {
        field += next;
        i++;
        continue;
      }
      // nmcli never writes any other escape; keep the text as it came.
      field += c;
      continue;
    }
    if (c === ':') {
      fields.push(field);
      field = '';
      continue;
    }
    field += c;
  }
  fields.push(field);
  return fields;
}

/** The inverse of splitTerseLine for one value (what nmcli does to each field). */
export function escapeTerseValue(value: string): string {
  return value.replace(/[\\:]/g, (c) => `\\${c}`);
}
