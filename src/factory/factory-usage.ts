/** --help texts of the factory subcommands. */
export const FACTORY_USAGE: Record<'main' | 'provision' | 'batch' | 'verify-label', string> = {
  main: `usage: camera-agent factory <provision|batch|verify-label> [options]   (--help on each)

Offline factory-station tools: create a unit's factory partition, label and
manifest line; verify a printed label against its unit. Exit codes: 0 ok,
2 usage/validation, 3 label mismatch, 1 other failure.`,
  provision: `usage: camera-agent factory provision --serial SN --model M --out DIR
         [--mac MAC] [--hw-rev R] [--ca-key K --ca-cert C] [--manifest FILE]
         [--zpl] [--label-host HOST]

Writes DIR/factory/ (the factory partition), DIR/label.svg, DIR/label.png
(300 dpi), DIR/label.zpl with --zpl, and appends one line to
DIR/manifest.csv + .jsonl (or FILE.csv + FILE.jsonl). Without --ca-key/--ca-cert
the unit gets device.csr for the CA instead of device.crt. Prints a JSON summary
(no secrets). Serial: ^[A-Z0-9]{6,20}$. Model: A-Z, 0-9, "-" (1-16).
MAC: given, or a random locally administered one. --hw-rev default "A".`,
  batch: `usage: camera-agent factory batch --from SERIAL --count N --model M --out DIR
         [--hw-rev R] [--ca-key K --ca-cert C] [--manifest FILE] [--zpl] [--label-host HOST]

N units in DIR/<serial>/ (serials count up the trailing digits, keeping their
width), one shared DIR/manifest.csv + .jsonl. Codes, passphrases, device ids,
keys and MACs are unique across the batch and the existing manifest (station
index DIR/.uniqueness.jsonl keyed by DIR/.station-secret). Resumable: run the
same command again after an interruption.`,
  'verify-label': `usage: camera-agent factory verify-label IMAGE --identity DIR [--label-host HOST]

Decodes the label QR in a photo or scan (PNG/JPEG) and checks it against the
unit in DIR (its factory folder, or the unit folder holding factory/): serial,
model, key fingerprint, verification code (via the SRP verifier) and AP
passphrase. Prints pass/fail JSON without secrets. Exit 0 match, 3 mismatch,
2 unreadable image or no QR.`,
};
