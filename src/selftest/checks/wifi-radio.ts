import { isWifiScanError, type WifiScanner } from '../../network/wifi-scan.js';
import { fail, pass, type SelfTestCheck } from '../check.js';

export function wifiScanCheck(opts: { scanner: WifiScanner; minNetworks?: number }): SelfTestCheck {
  const minNetworks = opts.minNetworks ?? 1;
  return {
    id: 'wifi-scan',
    proves: 'the Wi-Fi radio scans and hears access points',
    limit: `>= ${minNetworks} network${minNetworks === 1 ? '' : 's'}`,
    // nmcli --rescan yes waits up to 15 s per device, plus the follow-up status calls.
    timeoutMs: 40_000,
    async run() {
      try {
        const aps = await opts.scanner.scan();
        // Count only; SSIDs are personal data of the neighbours and stay out of the report.
        return aps.length >= minNetworks ? pass(aps.length) : fail('wifi_no_networks', aps.length, 'the scan found no access point');
      } catch (err) {
        if (isWifiScanError(err)) return fail(err.code, null, err.message);
        throw err;
      }
    },
  };
}
