/**
 * Provisioning QR payloads: pure parsers and encoders, no I/O
 * (provisioning.md §6.2, §7). The scanner calls classifyQrText on every
 * decoded text; the app-side tooling and tests use the encoders.
 */
export { classifyQrText, type QrReadResult, type UnrelatedQr } from './qr-payload.js';
export { encodePrv1, parsePrv1, PRV1_MAX_BYTES, PRV1_PREFIX, type Prv1Input } from './prv1.js';
export { encodeWifiUri, parseWifiUri, WIFI_MAX_BYTES, WIFI_PREFIX, type WifiUriInput } from './wifi-uri.js';
export type { PayloadResult, QrPayloadError, QrPayloadErrorCode } from './payload-error.js';
export { isRegion, REGIONS, type Region } from './regions.js';
export { BINDING_TOKEN_LENGTH } from './binding-token.js';
export { SSID_MAX_BYTES } from './ssid.js';
export { RAW_PSK_HEX_LENGTH, SAE_PASSWORD_MAX_BYTES, WPA_PASSPHRASE_MAX_BYTES, WPA_PASSPHRASE_MIN_BYTES } from './password.js';
export type { BindingRequest, ProvisioningPayload, WifiAuth, WifiCredentials } from '../provisioning-payload.js';
