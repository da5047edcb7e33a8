/**
 * The technician console's script, served as /console/console.js. A module
 * string, not a .js file, because the agent ships as one esbuild bundle and
 * nothing outside dist/ reaches the camera (as portal-assets/ does).
 *
 * Written with String.raw so regular expressions keep their backslashes; the
 * source must therefore contain no backtick and no dollar-brace.
 *
 * Rules the code keeps:
 * - Every byte from the API (SSIDs, log lines, zone names, audit details) is
 *   attacker-influenced and reaches the page only through textContent or an
 *   attribute set by name: no innerHTML, no string-built markup, no eval.
 * - The token lives in sessionStorage (gone with the tab) and only ever goes
 *   out as `Authorization: Bearer` to this origin; a 401 forgets it.
 * - EventSource cannot send headers, so the SSE streams (/v1/logs?follow=1,
 *   /v1/events) are read with fetch and a small parser.
 * - Timers (snapshot refresh, health refresh, streams) run only while their
 *   view is shown and the tab is visible.
 *
 * Response shapes are read leniently (an array, or the first array under a
 * known key; JSON, NDJSON or plain text for logs) so the console keeps working
 * while the API's envelopes settle.
 */
export const CONSOLE_JS = String.raw`(function () {
  'use strict';
  var KEY = 'camera-console.token';
  var SVGNS = 'http://www.w3.org/2000/svg';
  var ZONE_NAME = /^[A-Za-z0-9_.-]{1,32}$/;
  var MAX_ZONES = 16, MAX_POINTS = 64, MAX_LOG_LINES = 2000, MAX_EVENTS = 50;
  var doc = document;
  function $(id) { return doc.getElementById(id); }
  var token = '';
  try { token = sessionStorage.getItem(KEY) || ''; } catch (e) { token = ''; }

  // ---- DOM helpers: text only ------------------------------------------------
  function h(tag, cls, text) {
    var el = doc.createElement(tag);
    if (cls) el.className = cls;
    if (text !== undefined && text !== null) el.textContent = String(text);
    return el;
  }
  function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); }
  function say(el, text, kind) {
    el.textContent = text || '';
    el.className = 'msg' + (kind ? ' ' + kind : '');
  }
  function fmtTime(v) {
    if (typeof v === 'string' && isNaN(Number(v))) return v;
    var d = new Date(typeof v === 'number' ? v : Number(v));
    return isNaN(d.getTime()) ? String(v) : d.toLocaleString();
  }
  function compact(v) {
    if (v === undefined) return '';
    if (typeof v === 'string') return v;
    try { return JSON.stringify(v); } catch (e) { return String(v); }
  }
  /** The array itself, or the first array under one of the keys. */
  function listOf(data, keys) {
    if (Array.isArray(data)) return data;
    if (data && typeof data === 'object') {
      for (var i = 0; i < keys.length; i++) if (Array.isArray(data[keys[i]])) return data[keys[i]];
      if (data.data !== undefined) return listOf(data.data, keys);
    }
    return [];
  }
  /** Two taps for anything that cannot be undone from here. */
  function confirmTap(btn, fn) {
    var label = btn.textContent, armed = 0;
    btn.addEventListener('click', function () {
      if (armed) {
        clearTimeout(armed); armed = 0; btn.textContent = label; btn.classList.remove('armed');
        fn();
        return;
      }
      btn.textContent = 'Tap again to confirm';
      btn.classList.add('armed');
      armed = setTimeout(function () { armed = 0; btn.textContent = label; btn.classList.remove('armed'); }, 4000);
    });
  }

  // ---- API -------------------------------------------------------------------
  function ApiError(status, message, code) { this.status = status; this.message = message; this.code = code; }
  function errorText(e) {
    if (e instanceof ApiError) {
      if (e.status === 403) return 'Not allowed with this token\u2019s role' + (e.message ? ': ' + e.message : '.');
      return e.message || ('Request failed (HTTP ' + e.status + ')');
    }
    if (e && e.name === 'AbortError') return 'Cancelled.';
    return 'Camera not reachable: ' + (e && e.message ? e.message : String(e));
  }
  function messageOf(body, status) {
    if (!body || typeof body !== 'object') return typeof body === 'string' && body && body.length < 300 ? body : 'HTTP ' + status;
    var err = body.error && typeof body.error === 'object' ? body.error : body;
    var parts = [];
    if (typeof err.message === 'string') parts.push(err.message);
    else if (typeof body.error === 'string') parts.push(body.error);
    var fields = listOf(err, ['errors', 'fields']);
    for (var i = 0; i < fields.length && i < 8; i++) {
      var f = fields[i] || {};
      parts.push((f.field || f.path || '') + (f.field || f.path ? ': ' : '') + (f.message || f.code || ''));
    }
    if (!parts.length && typeof err.code === 'string') parts.push(err.code);
    return parts.join(' \u2022 ') || 'HTTP ' + status;
  }
  function authHeaders(extra, withToken) {
    var hdrs = extra || {};
    hdrs.Authorization = 'Bearer ' + (withToken || token);
    return hdrs;
  }
  /** Resolves the Response when ok; otherwise throws ApiError. A 401 signs out unless opts.keep. */
  function request(method, path, body, opts) {
    opts = opts || {};
    var init = { method: method, headers: authHeaders({ Accept: opts.accept || 'application/json' }, opts.token), cache: 'no-store', credentials: 'omit', signal: opts.signal };
    if (body !== undefined) { init.headers['Content-Type'] = 'application/json'; init.body = JSON.stringify(body); }
    return fetch(path, init).then(function (res) {
      if (res.ok) return res;
      return res.text().then(function (text) {
        var parsed = text;
        try { parsed = JSON.parse(text); } catch (e) { /* plain text */ }
        var err = new ApiError(res.status, messageOf(parsed, res.status), parsed && parsed.code);
        if (res.status === 401 && !opts.keep) signOut('The token was refused or has expired. Paste a new one.');
        throw err;
      });
    });
  }
  function json(method, path, body) {
    return request(method, path, body).then(function (res) {
      if (res.status === 204) return null;
      return res.text().then(function (t) { return t ? JSON.parse(t) : null; });
    });
  }

  /** Reads an SSE response with fetch; reconnects after a drop until stopped. */
  function sse(path, onData, onState) {
    var ctl = null, stopped = false, retry = 0;
    function open() {
      if (stopped) return;
      ctl = new AbortController();
      onState('connecting');
      request('GET', path, undefined, { accept: 'text/event-stream', signal: ctl.signal }).then(function (res) {
        if (!res.body) throw new Error('streaming not supported by this browser');
        onState('live');
        var reader = res.body.getReader(), dec = new TextDecoder(), buf = '';
        function pump() {
          return reader.read().then(function (r) {
            if (r.done) throw new Error('stream ended');
            buf = (buf + dec.decode(r.value, { stream: true })).replace(/\r\n?/g, '\n');
            var cut;
            while ((cut = buf.indexOf('\n\n')) >= 0) {
              var block = buf.slice(0, cut), data = [], ev = 'message';
              buf = buf.slice(cut + 2);
              block.split('\n').forEach(function (line) {
                if (line.indexOf('data:') === 0) data.push(line.slice(5).replace(/^ /, ''));
                else if (line.indexOf('event:') === 0) ev = line.slice(6).trim();
              });
              if (data.length) onData(data.join('\n'), ev);
            }
            return pump();
          });
        }
        return pump();
      }).catch(function (e) {
        if (stopped) return;
        if (e instanceof ApiError && (e.status === 401 || e.status === 403 || e.status === 404)) { onState('off', errorText(e)); return; }
        onState('retrying', errorText(e));
        retry = setTimeout(open, 3000);
      });
    }
    open();
    return { stop: function () { stopped = true; clearTimeout(retry); if (ctl) ctl.abort(); } };
  }

  // ---- Sign in / out, views ---------------------------------------------------
  var views = {}, current = null;
  function show(name) {
    var names = ['login', 'status', 'snapshot', 'zones', 'wifi', 'logs', 'audit'];
    if (current && views[current] && views[current].leave) views[current].leave();
    current = name;
    names.forEach(function (n) { $('v-' + n).hidden = n !== name; });
    $('tabs').hidden = name === 'login';
    $('signout').hidden = name === 'login';
    var links = $('tabs').querySelectorAll('a');
    for (var i = 0; i < links.length; i++) {
      if (links[i].getAttribute('href') === '#' + name) links[i].setAttribute('aria-current', 'page');
      else links[i].removeAttribute('aria-current');
    }
    if (views[name] && views[name].enter) views[name].enter();
  }
  function route() {
    var name = (location.hash || '').slice(1);
    if (!token) { show('login'); return; }
    show(views[name] && name !== 'login' ? name : 'status');
  }
  function signOut(why) {
    token = '';
    try { sessionStorage.removeItem(KEY); } catch (e) { /* private mode */ }
    $('who').textContent = '';
    show('login');
    say($('login-msg'), why || 'Signed out.', why ? 'err' : '');
  }
  window.addEventListener('hashchange', route);
  $('signout').addEventListener('click', function () { signOut(''); });

  $('login-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var raw = $('token').value.trim().replace(/^Bearer\s+/i, '');
    var msg = $('login-msg');
    if (!/^[\x21-\x7e]{8,4096}$/.test(raw)) { say(msg, 'That does not look like a token: paste it without spaces or line breaks.', 'err'); return; }
    say(msg, 'Checking the token\u2026');
    request('GET', '/v1/health', undefined, { keep: true, token: raw }).catch(function (err) {
      // A role without health access is still a valid sign-in.
      if (err instanceof ApiError && err.status === 403) return null;
      throw err;
    }).then(function () {
      token = raw;
      try { sessionStorage.setItem(KEY, raw); } catch (x) { /* kept in memory only */ }
      $('token').value = '';
      say(msg, '');
      if (location.hash && location.hash !== '#login') route(); else location.hash = '#status';
    }, function (err) {
      say(msg, err instanceof ApiError && err.status === 401 ? 'The camera refused this token (wrong device, expired or revoked).' : errorText(err), 'err');
    });
  });
  views.login = { enter: function () { $('token').focus(); } };

  // ---- Status dashboard ----------------------------------------------------------
  var statusTimer = 0, events = null;
  function checkState(c) {
    var s = c.status !== undefined ? c.status : c.state !== undefined ? c.state : c.ok;
    if (s === true || s === 'ok' || s === 'pass' || s === 'healthy') return 'ok';
    if (s === 'warn' || s === 'warning' || s === 'degraded') return 'warn';
    return s === undefined || s === 'unknown' ? 'unknown' : 'fail';
  }
  function renderHealth(data) {
    var list = $('health'), checks = listOf(data, ['checks', 'results']);
    clear(list);
    if (!checks.length && data && typeof data.checks === 'object' && data.checks) {
      Object.keys(data.checks).forEach(function (k) {
        var v = data.checks[k];
        checks.push(v && typeof v === 'object' ? Object.assign({ name: k }, v) : { name: k, status: v });
      });
    }
    var overall = data && (data.status || data.state);
    $('health-overall').textContent = overall ? String(overall) : '';
    $('health-overall').className = 'pill ' + checkState({ status: overall });
    checks.forEach(function (c) {
      c = c || {};
      var st = checkState(c), li = h('li', 'check ' + st);
      li.appendChild(h('span', 'pill ' + st, st));
      li.appendChild(h('strong', '', c.name || c.check || c.id || '?'));
      var detail = c.message || c.detail || c.reason || c.code;
      if (detail !== undefined) li.appendChild(h('span', 'detail', compact(detail)));
      list.appendChild(li);
    });
    if (!checks.length) list.appendChild(h('li', 'muted', 'No checks reported.'));
  }
  function flatten(obj, prefix, out) {
    Object.keys(obj).forEach(function (k) {
      var v = obj[k], key = prefix ? prefix + '.' + k : k;
      if (v && typeof v === 'object' && !Array.isArray(v) && out.length < 200) flatten(v, key, out);
      else out.push([key, Array.isArray(v) ? v.map(compact).join(', ') : compact(v)]);
    });
    return out;
  }
  function renderFacts(table, obj) {
    clear(table);
    var rows = obj && typeof obj === 'object' ? flatten(obj, '', []) : [];
    rows.forEach(function (r) {
      var tr = h('tr');
      tr.appendChild(h('th', '', r[0]));
      tr.appendChild(h('td', '', r[1]));
      table.appendChild(tr);
    });
    if (!rows.length) { var tr = h('tr'); tr.appendChild(h('td', 'muted', 'Nothing reported.')); table.appendChild(tr); }
  }
  function loadStatus() {
    var msg = $('status-msg');
    clearTimeout(statusTimer);
    Promise.all([
      json('GET', '/v1/health').then(renderHealth, function (e) { say(msg, 'Health: ' + errorText(e), 'err'); }),
      json('GET', '/v1/device').then(function (d) {
        renderFacts($('device'), d);
        var id = d && (d.name || d.deviceId || d.id || d.serial);
        $('who').textContent = typeof id === 'string' ? id : '';
      }, function (e) { say(msg, 'Device: ' + errorText(e), 'err'); }),
    ]).then(function () {
      $('status-updated').textContent = 'Updated ' + new Date().toLocaleTimeString();
      if (current === 'status') statusTimer = setTimeout(loadStatus, 10000);
    });
  }
  function addEvent(data, type) {
    var list = $('events'), parsed = data;
    try { parsed = JSON.parse(data); } catch (e) { /* text */ }
    var li = h('li');
    var kind = parsed && typeof parsed === 'object' ? parsed.type || parsed.event || type : type;
    var t = parsed && typeof parsed === 'object' ? parsed.ts || parsed.time || parsed.t : undefined;
    li.appendChild(h('span', 'when', fmtTime(t !== undefined ? t : Date.now())));
    li.appendChild(h('strong', '', kind));
    li.appendChild(h('span', 'detail', compact(parsed)));
    list.insertBefore(li, list.firstChild);
    while (list.childNodes.length > MAX_EVENTS) list.removeChild(list.lastChild);
  }
  views.status = {
    enter: function () {
      say($('status-msg'), '');
      loadStatus();
      events = sse('/v1/events', addEvent, function (state, why) {
        $('events-state').textContent = state === 'live' ? 'live' : state + (why ? ': ' + why : '');
      });
    },
    leave: function () { clearTimeout(statusTimer); if (events) events.stop(); events = null; },
  };
  $('status-refresh').addEventListener('click', loadStatus);
  $('identify').addEventListener('click', function () {
    json('POST', '/v1/identify', {}).then(function () { say($('status-msg'), 'The camera is blinking and beeping.', 'ok'); },
      function (e) { say($('status-msg'), errorText(e), 'err'); });
  });
  confirmTap($('reboot'), function () {
    json('POST', '/v1/reboot', {}).then(function () { say($('status-msg'), 'Rebooting: the console reconnects when the camera is back.', 'ok'); },
      function (e) { say($('status-msg'), errorText(e), 'err'); });
  });

  // ---- Live snapshot (shared by the snapshot and zones views) ---------------------
  var snap = { url: '', timer: 0, users: 0, busy: false };
  function snapEvery() { return Math.max(1, Number($('snap-every').value) || 2) * 1000; }
  function snapTick() {
    clearTimeout(snap.timer);
    if (!snap.users) return;
    if (doc.hidden || snap.busy || ($('snap-pause').getAttribute('aria-pressed') === 'true' && snap.url)) { snap.timer = setTimeout(snapTick, snapEvery()); return; }
    snap.busy = true;
    request('GET', '/v1/snapshot.jpg', undefined, { accept: 'image/jpeg' }).then(function (res) { return res.blob(); }).then(function (blob) {
      var old = snap.url;
      snap.url = URL.createObjectURL(blob);
      $('snap-img').src = snap.url;
      $('zone-img').src = snap.url;
      if (old) URL.revokeObjectURL(old);
      say($('snap-msg'), 'Updated ' + new Date().toLocaleTimeString() + ' \u00b7 ' + Math.round(blob.size / 1024) + ' KB');
    }, function (e) { say($('snap-msg'), errorText(e), 'err'); }).then(function () {
      snap.busy = false;
      if (snap.users) snap.timer = setTimeout(snapTick, snapEvery());
    });
  }
  function snapStart() { snap.users++; snapTick(); }
  function snapStop() { snap.users = Math.max(0, snap.users - 1); if (!snap.users) clearTimeout(snap.timer); }
  views.snapshot = { enter: snapStart, leave: snapStop };
  $('snap-every').addEventListener('change', snapTick);
  $('snap-pause').addEventListener('click', function () {
    var b = $('snap-pause'), paused = b.getAttribute('aria-pressed') !== 'true';
    b.setAttribute('aria-pressed', paused ? 'true' : 'false');
    b.textContent = paused ? 'Resume' : 'Pause';
    if (!paused) snapTick();
  });
  doc.addEventListener('visibilitychange', function () { if (!doc.hidden && snap.users) snapTick(); });

  // ---- Motion zone editor --------------------------------------------------------
  var zones = [], draft = [];
  function round4(v) { return Math.round(Math.min(1, Math.max(0, v)) * 10000) / 10000; }
  function pointsAttr(pts) { return pts.map(function (p) { return p[0] + ',' + p[1]; }).join(' '); }
  function drawZones() {
    var svg = $('zone-svg'), stage = $('zone-stage');
    clear(svg);
    zones.forEach(function (z, i) {
      if (!z || !Array.isArray(z.points)) return;
      var poly = doc.createElementNS(SVGNS, 'polygon');
      poly.setAttribute('points', pointsAttr(z.points));
      poly.setAttribute('class', 'zone c' + (i % 6));
      svg.appendChild(poly);
    });
    if (draft.length) {
      var line = doc.createElementNS(SVGNS, draft.length > 2 ? 'polygon' : 'polyline');
      line.setAttribute('points', pointsAttr(draft));
      line.setAttribute('class', 'draft');
      svg.appendChild(line);
    }
    var old = stage.querySelectorAll('.vtx');
    for (var k = 0; k < old.length; k++) stage.removeChild(old[k]);
    draft.forEach(function (p) {
      var dot = h('span', 'vtx');
      // CSSOM, not a style attribute: allowed under a CSP without 'unsafe-inline'.
      dot.style.left = (p[0] * 100) + '%';
      dot.style.top = (p[1] * 100) + '%';
      stage.appendChild(dot);
    });
    $('zone-count').textContent = draft.length + (draft.length === 1 ? ' point' : ' points');
    $('zone-save').disabled = draft.length < 3;
  }
  function renderZoneList() {
    var list = $('zone-list');
    clear(list);
    zones.forEach(function (z, i) {
      var li = h('li', 'zone-item');
      li.appendChild(h('span', 'swatch c' + (i % 6)));
      li.appendChild(h('strong', '', z && z.name !== undefined ? z.name : 'zone' + (i + 1)));
      var pts = z && Array.isArray(z.points) ? z.points.length : 0;
      li.appendChild(h('span', 'detail', pts + ' points' + (z && z.minArea !== undefined ? ' \u00b7 min area ' + z.minArea + '%' : '')));
      var del = h('button', 'small danger', 'Delete');
      del.type = 'button';
      confirmTap(del, function () {
        var next = zones.slice(0, i).concat(zones.slice(i + 1));
        saveZones(next, 'Zone deleted.');
      });
      li.appendChild(del);
      list.appendChild(li);
    });
    if (!zones.length) list.appendChild(h('li', 'muted', 'No zones: motion anywhere in the picture counts.'));
    drawZones();
  }
  function loadZones() {
    return json('GET', '/v1/motion/zones').then(function (d) {
      zones = listOf(d, ['zones', 'regions']);
      renderZoneList();
    }, function (e) { say($('zone-msg'), errorText(e), 'err'); });
  }
  function saveZones(next, done) {
    say($('zone-msg'), 'Saving\u2026');
    return json('PUT', '/v1/motion/zones', { zones: next }).then(function () {
      draft = [];
      say($('zone-msg'), done, 'ok');
      return loadZones();
    }, function (e) { say($('zone-msg'), errorText(e), 'err'); });
  }
  views.zones = {
    enter: function () { say($('zone-msg'), ''); snapStart(); loadZones(); },
    leave: snapStop,
  };
  $('zone-svg').addEventListener('click', function (e) {
    var r = $('zone-svg').getBoundingClientRect();
    if (!r.width || !r.height) return;
    if (draft.length >= MAX_POINTS) { say($('zone-msg'), 'A zone has at most ' + MAX_POINTS + ' points.', 'err'); return; }
    draft.push([round4((e.clientX - r.left) / r.width), round4((e.clientY - r.top) / r.height)]);
    drawZones();
  });
  $('zone-undo').addEventListener('click', function () { draft.pop(); drawZones(); });
  $('zone-clear').addEventListener('click', function () { draft = []; drawZones(); });
  $('zone-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var name = $('zone-name').value.trim(), minRaw = $('zone-min').value.trim(), msg = $('zone-msg');
    if (!ZONE_NAME.test(name)) { say(msg, 'Name: 1\u201332 of A\u2013Z a\u2013z 0\u20139 _ . -', 'err'); return; }
    if (zones.some(function (z) { return z && z.name === name; })) { say(msg, 'There is already a zone called ' + name + '.', 'err'); return; }
    if (draft.length < 3) { say(msg, 'Tap at least 3 corners on the picture.', 'err'); return; }
    if (zones.length >= MAX_ZONES) { say(msg, 'At most ' + MAX_ZONES + ' zones.', 'err'); return; }
    var zone = { name: name, points: draft.slice() };
    if (minRaw) {
      var min = Number(minRaw);
      if (!(min > 0 && min <= 100)) { say(msg, 'Min area is a percent above 0, at most 100.', 'err'); return; }
      zone.minArea = min;
    }
    saveZones(zones.concat([zone]), 'Zone ' + name + ' saved.').then(function () { $('zone-name').value = ''; $('zone-min').value = ''; });
  });

  // ---- Wi-Fi -----------------------------------------------------------------------
  /** The join's auth from what the AP advertises: SAE when it offers WPA3 only, WPA when it offers WPA1/2, else open. */
  function authOf(sec) {
    if (!Array.isArray(sec) || !sec.length) return 'open';
    var has = function (w) { return sec.some(function (s) { return String(s).toUpperCase().indexOf(w) === 0; }); };
    return has('WPA2') || has('WPA1') || sec.indexOf('WPA') >= 0 ? 'wpa' : has('WPA3') || has('SAE') ? 'sae' : 'wpa';
  }
  function scanWifi() {
    var list = $('wifi-list'), msg = $('wifi-msg');
    say(msg, 'Scanning\u2026');
    json('GET', '/v1/wifi/scan').then(function (d) {
      var aps = listOf(d, ['networks', 'aps', 'accessPoints', 'results']).slice();
      aps.sort(function (a, b) { return (b && b.signal || 0) - (a && a.signal || 0); });
      clear(list);
      aps.forEach(function (ap) {
        ap = ap || {};
        var li = h('li'), b = h('button', 'net');
        b.type = 'button';
        var hidden = !ap.ssid;
        b.appendChild(h('span', hidden ? 'ssid muted' : 'ssid', hidden ? '(hidden network)' : ap.ssid));
        var sec = Array.isArray(ap.security) ? (ap.security.length ? ap.security.join('/') : 'open') : compact(ap.security);
        b.appendChild(h('span', 'detail', (ap.signal !== undefined ? ap.signal + '% \u00b7 ' : '') + sec + (ap.channel ? ' \u00b7 ch ' + ap.channel : '')));
        b.addEventListener('click', function () {
          $('wifi-ssid').value = hidden ? '' : ap.ssid;
          $('wifi-auth').value = authOf(ap.security);
          $('wifi-hidden').checked = hidden;
          (hidden ? $('wifi-ssid') : $('wifi-password')).focus();
        });
        li.appendChild(b);
        list.appendChild(li);
      });
      if (!aps.length) list.appendChild(h('li', 'muted', 'No networks found.'));
      say(msg, aps.length + ' networks');
    }, function (e) { say(msg, errorText(e), 'err'); });
  }
  views.wifi = { enter: function () { if (!$('wifi-list').firstChild) scanWifi(); } };
  $('wifi-scan').addEventListener('click', scanWifi);
  $('wifi-show').addEventListener('click', function () {
    var pw = $('wifi-password'), showing = pw.type === 'text';
    pw.type = showing ? 'password' : 'text';
    $('wifi-show').textContent = showing ? 'Show' : 'Hide';
  });
  $('wifi-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var ssid = $('wifi-ssid').value, pw = $('wifi-password').value, msg = $('wifi-msg');
    if (!ssid) { say(msg, 'Choose or type a network name.', 'err'); return; }
    var auth = $('wifi-auth').value;
    var body = { ssid: ssid, auth: auth };
    if (pw && auth !== 'open') body.password = pw;
    if (!pw && auth !== 'open') { say(msg, 'This network needs its password.', 'err'); return; }
    if ($('wifi-hidden').checked) body.hidden = true;
    say(msg, 'Sending\u2026');
    json('PUT', '/v1/wifi', body).then(function () {
      $('wifi-password').value = '';
      say(msg, 'Accepted: the camera is joining ' + ssid + '. This console may lose the connection while it switches.', 'ok');
    }, function (e2) { say(msg, errorText(e2), 'err'); });
  });

  // ---- Logs ------------------------------------------------------------------------
  var follow = null;
  var LEVELS = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
  function logLine(raw) {
    var o = raw;
    if (typeof raw === 'string' && raw.charAt(0) === '{') { try { o = JSON.parse(raw); } catch (e) { o = raw; } }
    var div = h('div', 'line');
    if (!o || typeof o !== 'object') { div.textContent = String(raw); return div; }
    var level = typeof o.level === 'number' ? LEVELS[o.level] || String(o.level) : o.level;
    if (level) div.className = 'line ' + String(level).replace(/[^a-z]/g, '');
    var rest = {};
    Object.keys(o).forEach(function (k) { if (['time', 'ts', 'level', 'msg', 'message', 'pid', 'hostname', 'v'].indexOf(k) < 0) rest[k] = o[k]; });
    var t = o.time !== undefined ? o.time : o.ts;
    div.appendChild(h('span', 'when', t !== undefined ? fmtTime(t) : ''));
    div.appendChild(h('span', 'lvl', level || ''));
    div.appendChild(h('span', 'text', (o.msg !== undefined ? o.msg : o.message !== undefined ? o.message : '') + (Object.keys(rest).length ? ' ' + compact(rest) : '')));
    return div;
  }
  function appendLog(raw) {
    var box = $('log-lines'), atEnd = box.scrollTop + box.clientHeight >= box.scrollHeight - 24;
    box.appendChild(logLine(raw));
    while (box.childNodes.length > MAX_LOG_LINES) box.removeChild(box.firstChild);
    if (atEnd) box.scrollTop = box.scrollHeight;
  }
  function loadLogs() {
    var msg = $('logs-msg');
    say(msg, 'Loading\u2026');
    request('GET', '/v1/logs', undefined, { accept: 'application/json, application/x-ndjson, text/plain' }).then(function (res) {
      var type = res.headers.get('content-type') || '';
      return res.text().then(function (text) {
        var lines;
        if (type.indexOf('application/json') >= 0) lines = listOf(JSON.parse(text), ['lines', 'entries', 'logs']);
        else lines = text.split('\n').filter(function (l) { return l.trim() !== ''; });
        clear($('log-lines'));
        lines.slice(-MAX_LOG_LINES).forEach(appendLog);
        say(msg, lines.length + ' lines');
        $('log-lines').scrollTop = $('log-lines').scrollHeight;
      });
    }).catch(function (e) { say(msg, errorText(e), 'err'); });
  }
  function setFollow(on) {
    var b = $('logs-follow');
    b.setAttribute('aria-pressed', on ? 'true' : 'false');
    b.textContent = on ? 'Stop following' : 'Follow live';
    if (follow) { follow.stop(); follow = null; $('follow-state').textContent = ''; }
    if (on) follow = sse('/v1/logs?follow=1', function (data) { appendLog(data); }, function (state, why) {
      $('follow-state').textContent = state === 'live' ? 'following' : state + (why ? ': ' + why : '');
    });
  }
  views.logs = { enter: loadLogs, leave: function () { setFollow(false); } };
  $('logs-reload').addEventListener('click', loadLogs);
  $('logs-follow').addEventListener('click', function () { setFollow($('logs-follow').getAttribute('aria-pressed') !== 'true'); });
  $('logs-download').addEventListener('click', function () {
    request('GET', '/v1/logs', undefined, { accept: 'text/plain, application/x-ndjson, application/json' }).then(function (res) { return res.blob(); }).then(function (blob) {
      var a = h('a'), url = URL.createObjectURL(blob);
      a.href = url;
      a.download = 'camera-logs-' + new Date().toISOString().replace(/[:.]/g, '-') + '.log';
      doc.body.appendChild(a);
      a.click();
      doc.body.removeChild(a);
      setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
    }, function (e) { say($('logs-msg'), errorText(e), 'err'); });
  });

  // ---- Audit -----------------------------------------------------------------------
  function who(w) {
    if (w && typeof w === 'object') return (w.token || '?') + ' (' + (w.role || '?') + ')';
    return compact(w);
  }
  function loadAudit() {
    var table = $('audit-rows'), msg = $('audit-msg');
    say(msg, 'Loading\u2026');
    json('GET', '/v1/audit').then(function (d) {
      var entries = listOf(d, ['entries', 'records', 'items']).slice().reverse();
      clear(table);
      entries.forEach(function (e) {
        e = e || {};
        var tr = h('tr', e.result && e.result !== 'ok' ? 'bad' : '');
        tr.appendChild(h('td', 'when', fmtTime(e.ts !== undefined ? e.ts : e.time)));
        tr.appendChild(h('td', '', who(e.who)));
        tr.appendChild(h('td', '', e.action));
        tr.appendChild(h('td', '', (e.result || '') + (e.code ? ' (' + e.code + ')' : '')));
        tr.appendChild(h('td', '', e.from || ''));
        tr.appendChild(h('td', 'detail', e.details ? compact(e.details) : ''));
        table.appendChild(tr);
      });
      say(msg, entries.length + ' records, newest first');
    }, function (e) { say(msg, errorText(e), 'err'); });
  }
  views.audit = { enter: loadAudit };
  $('audit-reload').addEventListener('click', loadAudit);

  views.snapshot.leave = snapStop;
  route();
})();
`;
