/**
 * The technician console's one HTML page, served at `/`. Static: it carries no
 * device data (the script fetches everything with the technician's token), so
 * serving it needs no authentication. No inline script or style, so the CSP
 * can forbid both. Views are sections shown one at a time by the script
 * (`#status`, `#snapshot`, …); everything starts hidden except sign-in.
 */
export const CONSOLE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Camera console</title>
<link rel="icon" href="/console/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/console/console.css">
<script src="/console/console.js" defer></script>
</head>
<body>
<header class="bar">
<h1>Camera console</h1>
<span id="who" class="who"></span>
<button type="button" id="signout" class="small" hidden>Sign out</button>
</header>
<nav id="tabs" class="tabs" hidden aria-label="Views">
<a href="#status">Status</a><a href="#snapshot">Live</a><a href="#zones">Zones</a><a href="#wifi">Wi-Fi</a><a href="#logs">Logs</a><a href="#audit">Audit</a>
</nav>
<main class="wrap">
<noscript><p class="msg err">This console needs JavaScript.</p></noscript>

<section id="v-login">
<h2>Sign in</h2>
<p class="hint">Paste a technician token issued for this camera. It is kept only in this browser tab and forgotten when the tab closes.</p>
<form id="login-form" class="card">
<label for="token">Token</label>
<textarea id="token" rows="4" autocomplete="off" autocapitalize="off" spellcheck="false" required></textarea>
<button type="submit" id="login" class="primary">Sign in</button>
<p id="login-msg" class="msg" role="status" aria-live="polite"></p>
</form>
</section>

<section id="v-status" hidden>
<div class="row"><h2>Status</h2><span id="health-overall" class="pill"></span><span id="status-updated" class="muted small"></span></div>
<div class="row">
<button type="button" id="status-refresh" class="small">Refresh</button>
<button type="button" id="identify" class="small">Identify (blink + beep)</button>
<button type="button" id="reboot" class="small danger">Reboot</button>
</div>
<p id="status-msg" class="msg" role="status" aria-live="polite"></p>
<div class="grid">
<div class="card"><h3>Health checks</h3><ul id="health" class="checks"></ul></div>
<div class="card"><h3>Device</h3><table class="facts"><tbody id="device"></tbody></table></div>
<div class="card wide"><h3>Recent events <span id="events-state" class="muted small"></span></h3><ul id="events" class="events"></ul></div>
</div>
</section>

<section id="v-snapshot" hidden>
<div class="row"><h2>Live picture</h2>
<label class="inline">Every <select id="snap-every"><option value="1">1 s</option><option value="2" selected>2 s</option><option value="5">5 s</option><option value="10">10 s</option><option value="30">30 s</option></select></label>
<button type="button" id="snap-pause" class="small" aria-pressed="false">Pause</button>
</div>
<div class="stage"><img id="snap-img" alt="Live picture from the camera"></div>
<p id="snap-msg" class="msg" role="status" aria-live="polite"></p>
</section>

<section id="v-zones" hidden>
<h2>Motion zones</h2>
<p class="hint">Tap the picture to place the corners of a new zone, name it and save. With no zones, motion anywhere counts.</p>
<div id="zone-stage" class="stage"><img id="zone-img" alt="Live picture with motion zones"><svg id="zone-svg" class="overlay" viewBox="0 0 1 1" preserveAspectRatio="none" role="img" aria-label="Zone drawing area"></svg></div>
<form id="zone-form" class="card">
<div class="row">
<label class="inline">Name <input id="zone-name" maxlength="32" autocomplete="off" autocapitalize="off" spellcheck="false" placeholder="driveway"></label>
<label class="inline">Min area % <input id="zone-min" type="number" min="0.1" max="100" step="0.1" inputmode="decimal" placeholder="default"></label>
</div>
<div class="row">
<span id="zone-count" class="muted">0 points</span>
<button type="button" id="zone-undo" class="small">Undo point</button>
<button type="button" id="zone-clear" class="small">Clear</button>
<button type="submit" id="zone-save" class="primary small" disabled>Save zone</button>
</div>
<p id="zone-msg" class="msg" role="status" aria-live="polite"></p>
</form>
<ul id="zone-list" class="zones"></ul>
</section>

<section id="v-wifi" hidden>
<div class="row"><h2>Wi-Fi</h2><button type="button" id="wifi-scan" class="small">Scan</button></div>
<ul id="wifi-list" class="nets"></ul>
<form id="wifi-form" class="card">
<label for="wifi-ssid">Network name</label>
<input id="wifi-ssid" maxlength="32" autocomplete="off" autocapitalize="off" spellcheck="false">
<label for="wifi-auth">Security</label>
<select id="wifi-auth"><option value="wpa">WPA/WPA2 personal</option><option value="sae">WPA3 personal (SAE)</option><option value="open">Open (no password)</option></select>
<label for="wifi-password">Password</label>
<div class="row tight"><input id="wifi-password" type="password" autocomplete="new-password"><button type="button" id="wifi-show" class="small">Show</button></div>
<label class="inline"><input id="wifi-hidden" type="checkbox"> Hidden network</label>
<button type="submit" id="wifi-join" class="primary">Join network</button>
<p id="wifi-msg" class="msg" role="status" aria-live="polite"></p>
</form>
</section>

<section id="v-logs" hidden>
<div class="row"><h2>Logs</h2>
<button type="button" id="logs-reload" class="small">Reload</button>
<button type="button" id="logs-follow" class="small" aria-pressed="false">Follow live</button>
<button type="button" id="logs-download" class="small">Download</button>
<span id="follow-state" class="muted small"></span>
</div>
<p id="logs-msg" class="msg" role="status" aria-live="polite"></p>
<div id="log-lines" class="log" tabindex="0" aria-label="Log lines"></div>
</section>

<section id="v-audit" hidden>
<div class="row"><h2>Audit log</h2><button type="button" id="audit-reload" class="small">Reload</button></div>
<p id="audit-msg" class="msg" role="status" aria-live="polite"></p>
<div class="scroll"><table class="audit"><thead><tr><th>When</th><th>Who</th><th>Action</th><th>Result</th><th>From</th><th>Details</th></tr></thead><tbody id="audit-rows"></tbody></table></div>
</section>
</main>
</body>
</html>
`;

/** A camera-lens glyph, so browsers stop asking for /favicon.ico. */
export const CONSOLE_ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect x="2" y="6" width="28" height="20" rx="5" fill="#0a5bb5"/><circle cx="16" cy="16" r="7" fill="#fff"/><circle cx="16" cy="16" r="4" fill="#1b1f24"/></svg>
`;
