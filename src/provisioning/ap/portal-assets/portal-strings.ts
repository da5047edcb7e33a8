/**
 * Every word the captive portal shows, one table per language. The page,
 * the no-JavaScript result pages and the JSON answers all read from here, so
 * a translation is one block in this file. `{name}` marks a value filled in
 * at render time (escaped by whoever renders it).
 *
 * Error texts say what happened and what to do, in the user's terms: no
 * codes, no "SSID", no "PSK" (provisioning.md §6.5: the portal is the
 * fallback for people without the app, so nobody is there to translate).
 */

const en = {
  title: 'Camera setup',
  heading: 'Connect your camera to Wi-Fi',
  lead: 'Choose your home Wi-Fi, enter its password and the setup code from the camera’s label.',
  networkLegend: 'Wi-Fi network',
  noNetworks: 'The camera found no networks nearby. Choose “Other network” and type the name of yours.',
  searchAgain: 'Search again',
  otherNetwork: 'Other network (hidden)',
  hiddenName: 'Network name',
  hiddenHint: 'Type the name exactly as it is, with capital letters and spaces.',
  secured: 'password protected',
  open: 'open network',
  unsupported: 'the camera cannot join this kind of network',
  signal1: 'weak signal',
  signal2: 'fair signal',
  signal3: 'good signal',
  signal4: 'strong signal',
  password: 'Wi-Fi password',
  passwordHint: 'Leave it empty for an open network.',
  show: 'Show',
  hide: 'Hide',
  code: 'Setup code',
  codeHint: 'The 9 letters and digits after “Setup code” on the camera’s label.',
  submit: 'Connect',
  sending: 'Sending…',
  progressTitle: 'Connecting…',
  connecting: 'The camera is connecting to “{ssid}”. This can take up to a minute.',
  connectingNoName: 'The camera is connecting to your Wi-Fi. This can take up to a minute.',
  connected: 'The camera is on your Wi-Fi. Checking the internet connection…',
  lostContact:
    'Your phone lost contact with the camera. That is normal while the camera switches networks. Stay on this page; if the camera’s hotspot comes back, rejoin it.',
  gaveUp:
    'No news from the camera. If its light shows it is online, you are done. Otherwise rejoin the camera’s hotspot and open this page again.',
  unreachable: 'Could not reach the camera. Check that your phone is still connected to the camera’s Wi-Fi.',
  successTitle: 'Your camera is online',
  successText:
    'The camera is connected to your Wi-Fi and to the internet. Reconnect your phone to your home Wi-Fi, then open the app to add the camera.',
  failedTitle: 'The camera could not connect',
  tryAgain: 'Try again',
  checkProgress: 'Show progress',
  lastAttempt: 'The last attempt did not work: {message}',
  busyNotice: 'The camera is connecting to a network right now.',
  appModeTitle: 'Setup continues in the app',
  appModeText: 'This camera is being set up with the app. Please continue there.',
  notFound: 'This page does not exist.',
  // Why the camera could not join (status reasons from the Wi-Fi join).
  err_auth_failed: 'The Wi-Fi password is wrong. Check it, including capital letters, and try again.',
  err_ap_not_found:
    'The camera could not find this network. Check the name, move the camera closer to your router and try again.',
  err_dhcp_timeout: 'The camera joined your Wi-Fi but your router gave it no address. Restart the router and try again.',
  err_no_internet:
    'The camera is on your Wi-Fi but could not reach the internet. Check your router’s internet connection and try again.',
  err_join_timeout: 'Connecting took too long. Move the camera closer to your router and try again.',
  err_invalid_credentials: 'The camera cannot use this network name or password.',
  err_join_other: 'The camera could not connect to your Wi-Fi. Try again.',
  // Why the form was refused (before anything was tried).
  err_wrong_code: 'The setup code is not right. Check the 9 characters after “Setup code” on the camera’s label.',
  err_code_malformed: 'A setup code has 9 letters and digits, like ABCD-2345-X. Check the one on the label.',
  err_code_typo: 'The setup code has a typo. Compare it with the label character by character.',
  err_locked_out_minutes: 'Too many attempts with a wrong setup code. Try again in {minutes} minutes.',
  err_locked_out_minute: 'Too many attempts with a wrong setup code. Try again in 1 minute.',
  err_locked_out: 'Too many attempts with a wrong setup code. Try again later.',
  err_ssid_required: 'Choose a network, or choose “Other network” and type its name.',
  err_ssid_too_long: 'That network name is too long for Wi-Fi. Check it.',
  err_ssid_bad_character: 'That network name contains characters Wi-Fi does not allow. Check it.',
  err_password_required: 'This network needs a password.',
  err_password_not_allowed: 'This network is open: leave the password empty.',
  err_psk_too_short: 'Wi-Fi passwords have at least 8 characters. Check it.',
  err_psk_too_long: 'That password is too long for Wi-Fi. Check it.',
  err_password_bad_character: 'The password contains characters Wi-Fi does not allow. Check it.',
  err_network_unsupported: 'The camera cannot join this kind of network. Choose another one.',
  err_busy: 'The camera is already connecting. Wait a moment and try again.',
  err_portal_disabled: 'This camera is being set up with the app. Please continue there.',
  err_bad_request: 'Something in the form was not right. Check your entries and try again.',
  err_internal: 'Something went wrong in the camera. Try again.',
} as const;

export type PortalStringKey = keyof typeof en;
export type PortalStrings = Record<PortalStringKey, string>;

const de: PortalStrings = {
  title: 'Kamera einrichten',
  heading: 'Kamera mit dem WLAN verbinden',
  lead: 'Wählen Sie Ihr WLAN, geben Sie das Passwort und den Einrichtungscode vom Etikett der Kamera ein.',
  networkLegend: 'WLAN',
  noNetworks: 'Die Kamera hat keine Netzwerke gefunden. Wählen Sie „Anderes Netzwerk“ und geben Sie den Namen Ihres WLANs ein.',
  searchAgain: 'Erneut suchen',
  otherNetwork: 'Anderes Netzwerk (versteckt)',
  hiddenName: 'Name des Netzwerks',
  hiddenHint: 'Geben Sie den Namen genau ein, mit Groß- und Kleinschreibung und Leerzeichen.',
  secured: 'mit Passwort',
  open: 'offenes Netzwerk',
  unsupported: 'mit dieser Art Netzwerk kann sich die Kamera nicht verbinden',
  signal1: 'schwaches Signal',
  signal2: 'mittleres Signal',
  signal3: 'gutes Signal',
  signal4: 'starkes Signal',
  password: 'WLAN-Passwort',
  passwordHint: 'Bei einem offenen Netzwerk leer lassen.',
  show: 'Zeigen',
  hide: 'Verbergen',
  code: 'Einrichtungscode',
  codeHint: 'Die 9 Buchstaben und Ziffern nach „Setup code“ auf dem Etikett der Kamera.',
  submit: 'Verbinden',
  sending: 'Wird gesendet…',
  progressTitle: 'Verbinden…',
  connecting: 'Die Kamera verbindet sich mit „{ssid}“. Das kann bis zu einer Minute dauern.',
  connectingNoName: 'Die Kamera verbindet sich mit Ihrem WLAN. Das kann bis zu einer Minute dauern.',
  connected: 'Die Kamera ist im WLAN. Die Internetverbindung wird geprüft…',
  lostContact:
    'Ihr Telefon hat die Verbindung zur Kamera verloren. Das ist normal, während die Kamera das Netzwerk wechselt. Bleiben Sie auf dieser Seite; sobald der Hotspot der Kamera wieder erscheint, verbinden Sie sich erneut damit.',
  gaveUp:
    'Keine Nachricht von der Kamera. Zeigt ihre Leuchte, dass sie online ist, sind Sie fertig. Sonst verbinden Sie sich wieder mit dem Hotspot der Kamera und öffnen diese Seite erneut.',
  unreachable: 'Die Kamera ist nicht erreichbar. Prüfen Sie, ob Ihr Telefon noch mit dem WLAN der Kamera verbunden ist.',
  successTitle: 'Ihre Kamera ist online',
  successText:
    'Die Kamera ist mit Ihrem WLAN und dem Internet verbunden. Verbinden Sie Ihr Telefon wieder mit Ihrem WLAN und fügen Sie die Kamera dann in der App hinzu.',
  failedTitle: 'Die Kamera konnte sich nicht verbinden',
  tryAgain: 'Noch einmal versuchen',
  checkProgress: 'Fortschritt anzeigen',
  lastAttempt: 'Der letzte Versuch hat nicht geklappt: {message}',
  busyNotice: 'Die Kamera verbindet sich gerade mit einem Netzwerk.',
  appModeTitle: 'Die Einrichtung läuft in der App',
  appModeText: 'Diese Kamera wird gerade mit der App eingerichtet. Bitte machen Sie dort weiter.',
  notFound: 'Diese Seite gibt es nicht.',
  err_auth_failed: 'Das WLAN-Passwort ist falsch. Prüfen Sie es, auch die Groß- und Kleinschreibung, und versuchen Sie es noch einmal.',
  err_ap_not_found:
    'Die Kamera findet dieses Netzwerk nicht. Prüfen Sie den Namen, stellen Sie die Kamera näher an den Router und versuchen Sie es noch einmal.',
  err_dhcp_timeout: 'Die Kamera ist im WLAN, hat vom Router aber keine Adresse bekommen. Starten Sie den Router neu und versuchen Sie es noch einmal.',
  err_no_internet:
    'Die Kamera ist im WLAN, erreicht aber das Internet nicht. Prüfen Sie die Internetverbindung Ihres Routers und versuchen Sie es noch einmal.',
  err_join_timeout: 'Das Verbinden hat zu lange gedauert. Stellen Sie die Kamera näher an den Router und versuchen Sie es noch einmal.',
  err_invalid_credentials: 'Mit diesem Netzwerknamen oder Passwort kann die Kamera nichts anfangen.',
  err_join_other: 'Die Kamera konnte sich nicht mit Ihrem WLAN verbinden. Versuchen Sie es noch einmal.',
  err_wrong_code: 'Der Einrichtungscode stimmt nicht. Prüfen Sie die 9 Zeichen nach „Setup code“ auf dem Etikett der Kamera.',
  err_code_malformed: 'Ein Einrichtungscode hat 9 Buchstaben und Ziffern, etwa ABCD-2345-X. Prüfen Sie den Code auf dem Etikett.',
  err_code_typo: 'Im Einrichtungscode ist ein Tippfehler. Vergleichen Sie ihn Zeichen für Zeichen mit dem Etikett.',
  err_locked_out_minutes: 'Zu viele Versuche mit falschem Einrichtungscode. Versuchen Sie es in {minutes} Minuten noch einmal.',
  err_locked_out_minute: 'Zu viele Versuche mit falschem Einrichtungscode. Versuchen Sie es in 1 Minute noch einmal.',
  err_locked_out: 'Zu viele Versuche mit falschem Einrichtungscode. Versuchen Sie es später noch einmal.',
  err_ssid_required: 'Wählen Sie ein Netzwerk, oder wählen Sie „Anderes Netzwerk“ und geben Sie seinen Namen ein.',
  err_ssid_too_long: 'Dieser Netzwerkname ist zu lang für ein WLAN. Bitte prüfen.',
  err_ssid_bad_character: 'Dieser Netzwerkname enthält Zeichen, die im WLAN nicht erlaubt sind. Bitte prüfen.',
  err_password_required: 'Dieses Netzwerk braucht ein Passwort.',
  err_password_not_allowed: 'Dieses Netzwerk ist offen: Lassen Sie das Passwort leer.',
  err_psk_too_short: 'WLAN-Passwörter haben mindestens 8 Zeichen. Bitte prüfen.',
  err_psk_too_long: 'Dieses Passwort ist zu lang für ein WLAN. Bitte prüfen.',
  err_password_bad_character: 'Das Passwort enthält Zeichen, die im WLAN nicht erlaubt sind. Bitte prüfen.',
  err_network_unsupported: 'Mit dieser Art Netzwerk kann sich die Kamera nicht verbinden. Wählen Sie ein anderes.',
  err_busy: 'Die Kamera verbindet sich bereits. Warten Sie einen Moment und versuchen Sie es dann noch einmal.',
  err_portal_disabled: 'Diese Kamera wird gerade mit der App eingerichtet. Bitte machen Sie dort weiter.',
  err_bad_request: 'Im Formular stimmt etwas nicht. Prüfen Sie Ihre Eingaben und versuchen Sie es noch einmal.',
  err_internal: 'In der Kamera ist etwas schiefgegangen. Versuchen Sie es noch einmal.',
};

/** The languages the portal speaks; anything else falls back to English. */
export const PORTAL_STRINGS = { en, de } as const satisfies Record<string, PortalStrings>;

export type PortalLanguage = keyof typeof PORTAL_STRINGS;

/** The strings the page script needs at run time (it gets the rest as finished text from the server). */
export const SCRIPT_STRING_KEYS = [
  'show',
  'hide',
  'sending',
  'connecting',
  'connectingNoName',
  'connected',
  'lostContact',
  'gaveUp',
  'unreachable',
  'err_ssid_required',
  'err_internal',
] as const satisfies readonly PortalStringKey[];
