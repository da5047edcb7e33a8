/**
 * The portal page's script, served as /portal/portal.js (a module string for
 * the same bundling reason as portal-style.ts). It only improves a page that
 * works without it: posts the form as JSON and stays on the page, polls
 * /portal/status and switches to the progress, success and failure states,
 * groups the setup code as it is typed, shows/hides the password, hides the
 * password for open networks.
 *
 * Plain ES5 plus fetch and Promise: captive-portal sheets are old WebViews
 * as often as not. Text is only ever set through textContent — never
 * innerHTML — so an SSID like `<script>` stays text here as on the server.
 */
export const PORTAL_JS = `(function () {
  'use strict';
  var doc = document;
  function $(id) { return doc.getElementById(id); }
  var form = $('setup');
  if (!form || !window.fetch || !window.JSON) return;
  var T = JSON.parse($('i18n').textContent);
  var lang = doc.documentElement.getAttribute('lang') || 'en';
  var notice = $('notice'), pw = $('password'), toggle = $('pw-toggle'), code = $('code');
  var hiddenName = $('hiddenSsid'), submit = $('submit'), pwField = $('pw-field');
  var progress = $('progress'), done = $('done'), failed = $('failed');
  var sections = [form, progress, done, failed];
  var target = '', started = 0, misses = 0, lastReason = null;

  function fill(text, values) {
    return text.replace(/\\{(\\w+)\\}/g, function (m, k) { return Object.prototype.hasOwnProperty.call(values, k) ? values[k] : m; });
  }
  function show(section) {
    for (var i = 0; i < sections.length; i++) sections[i].hidden = sections[i] !== section;
    if (section !== form) notice.hidden = true;
    window.scrollTo(0, 0);
  }
  function selected() { return form.querySelector('input[name="ssid"]:checked'); }
  function firstChoice() { return form.querySelector('input[name="ssid"]:not([disabled])'); }

  function clearInvalid() {
    var marked = form.querySelectorAll('[aria-invalid]');
    for (var i = 0; i < marked.length; i++) marked[i].removeAttribute('aria-invalid');
  }
  function formError(message, field) {
    clearInvalid();
    notice.className = 'notice err';
    notice.setAttribute('role', 'alert');
    notice.textContent = message;
    notice.hidden = false;
    var r = selected();
    var byName = !!r && r.value === '';
    var mark = field === 'password' ? pw : field === 'code' ? code : field === 'ssid' ? (byName ? hiddenName : $('nets')) : null;
    if (mark) mark.setAttribute('aria-invalid', 'true');
    var focus = field === 'ssid' ? (byName ? hiddenName : r || firstChoice()) : mark;
    if (focus && focus.focus) focus.focus();
    if (field === 'code' && code.select) code.select();
  }

  function onChoice() {
    var r = selected();
    var open = !!r && r.getAttribute('data-sec') === 'open';
    pwField.hidden = open;
    if (open) pw.value = '';
  }
  form.addEventListener('change', function (e) { if (e.target && e.target.name === 'ssid') onChoice(); });
  onChoice();

  toggle.hidden = false;
  toggle.addEventListener('click', function () {
    var showing = pw.type === 'text';
    pw.type = showing ? 'password' : 'text';
    toggle.textContent = showing ? T.show : T.hide;
    toggle.setAttribute('aria-pressed', showing ? 'false' : 'true');
  });

  // Groups of 4-4-1 as printed on the label; only when typing at the end, so editing in the middle keeps the caret.
  code.addEventListener('input', function () {
    if (code.selectionStart !== code.value.length) return;
    var raw = code.value.toUpperCase().replace(/[^0-9A-Z]/g, '').slice(0, 9);
    var grouped = raw.slice(0, 4) + (raw.length > 4 ? '-' + raw.slice(4, 8) : '') + (raw.length > 8 ? '-' + raw.slice(8) : '');
    if (grouped !== code.value) code.value = grouped;
  });

  function busy(on) {
    submit.disabled = on;
    submit.textContent = on ? T.sending : submit.getAttribute('data-label');
  }
  submit.setAttribute('data-label', submit.textContent);

  form.addEventListener('submit', function (e) {
    e.preventDefault();
    var r = selected();
    var byName = !r || r.value === '';
    var ssid = byName ? hiddenName.value : r.value;
    if (ssid === '') { formError(T.err_ssid_required, 'ssid'); return; }
    var body = { ssid: ssid, password: pwField.hidden || pw.value === '' ? null : pw.value, hidden: byName, code: code.value };
    busy(true);
    fetch('/portal/connect?lang=' + encodeURIComponent(lang), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store'
    }).then(function (res) {
      return res.json();
    }).then(function (answer) {
      busy(false);
      if (answer && answer.ok) {
        target = ssid;
        startProgress();
      } else {
        formError((answer && answer.message) || T.err_internal, answer && answer.field);
      }
    }, function () {
      busy(false);
      formError(T.unreachable, null);
    });
  });

  function progressText(text) { $('progress-text').textContent = text; }
  function connectingText() { return target ? fill(T.connecting, { ssid: target }) : T.connectingNoName; }

  function startProgress() {
    show(progress);
    progressText(connectingText());
    started = Date.now();
    misses = 0;
    poll();
  }

  // The camera may drop its hotspot while it tries the home network (one radio): lost polls are expected, so keep
  // asking for 3 minutes (45 s join + 20 s connectivity check, twice, and slack) before giving up.
  function poll() {
    fetch('/portal/status?lang=' + encodeURIComponent(lang), { cache: 'no-store', headers: { Accept: 'application/json' } })
      .then(function (res) {
        if (!res.ok) throw new Error('status ' + res.status);
        return res.json();
      })
      .then(function (s) {
        misses = 0;
        if (s.state === 'online') { show(done); return; }
        if (s.state === 'failed') {
          lastReason = s.reason;
          $('failed-text').textContent = s.message || '';
          show(failed);
          return;
        }
        progressText(s.state === 'connected' ? T.connected : connectingText());
        next(1000);
      }, function () {
        misses += 1;
        if (misses >= 3) progressText(T.lostContact);
        next(2000);
      });
  }
  function next(ms) {
    if (Date.now() - started > 180000) {
      progressText(T.gaveUp);
      return;
    }
    setTimeout(poll, ms);
  }

  $('retry').addEventListener('click', function () {
    show(form);
    if (lastReason === 'auth_failed') {
      pw.value = '';
      pw.setAttribute('aria-invalid', 'true');
      pw.focus();
    } else {
      var r = selected();
      if (r) r.focus();
    }
  });

  var state = doc.body.getAttribute('data-state');
  if (state === 'connecting' || state === 'connected') startProgress();
})();
`;
