/**
 * The technician console's stylesheet, served as /console/console.css (a
 * module string for the same bundling reason as console-script.ts).
 *
 * Phone first (360 px wide is the narrowest target): one column, 16 px inputs
 * (iOS zooms into smaller ones), touch targets ≥ 40 px, tabs that scroll
 * sideways instead of wrapping, and SSIDs, log lines and audit details that
 * wrap anywhere so nothing pushes the page wider than the screen. From 800 px
 * the dashboard becomes two columns.
 */
export const CONSOLE_CSS = `*,*::before,*::after{box-sizing:border-box}
[hidden]{display:none!important}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;background:#f3f5f7}
.bar{display:flex;align-items:center;gap:10px;padding:8px 12px;background:#1b2a3a;color:#fff}
.bar h1{font-size:1.05rem;margin:0;flex:none}
.who{flex:1;min-width:0;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;color:#c6d3e0;font-size:.875rem}
.tabs{display:flex;overflow-x:auto;background:#fff;border-bottom:1px solid #d5dbe1;scrollbar-width:none}
.tabs a{flex:none;padding:11px 14px;color:#4a5360;text-decoration:none;border-bottom:3px solid transparent;font-weight:600}
.tabs a[aria-current=page]{color:#0a5bb5;border-bottom-color:#0a5bb5}
@media (max-width:420px){.tabs a{flex:1 0 auto;padding:11px 6px;font-size:.9rem;text-align:center}}
.wrap{max-width:1100px;margin:0 auto;padding:12px}
h2{font-size:1.2rem;margin:4px 0}
h3{font-size:1rem;margin:0 0 8px}
.hint,.muted{color:#5d6673}
.small{font-size:.875rem}
.hint{margin:4px 0 10px}
.row{display:flex;flex-wrap:wrap;align-items:center;gap:8px;margin:6px 0}
.row.tight{flex-wrap:nowrap}
.row.tight input{flex:1;min-width:0}
.card{background:#fff;border:1px solid #d5dbe1;border-radius:10px;padding:12px;margin:10px 0;min-width:0}
.grid{display:grid;grid-template-columns:1fr;gap:0 12px}
@media (min-width:800px){.grid{grid-template-columns:1fr 1fr}.grid .wide{grid-column:1/-1}}
label{display:block;font-weight:600;margin:8px 0 4px}
label.inline{display:inline-flex;align-items:center;gap:6px;margin:0;font-weight:400}
input,select,textarea{font:inherit;font-size:16px;border:1px solid #aeb7c2;border-radius:8px;padding:8px 10px;background:#fff;color:inherit;max-width:100%}
input:not([type=checkbox]),textarea{width:100%}
label.inline input:not([type=checkbox]){width:9em}
input[type=checkbox]{width:20px;height:20px}
textarea{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:14px;word-break:break-all}
button{font:inherit;font-weight:600;min-height:40px;padding:8px 14px;border-radius:8px;border:1px solid #aeb7c2;background:#fff;color:#1b1f24;cursor:pointer}
button.small{min-height:36px;padding:6px 12px;font-size:.875rem}
button.primary{background:#0a5bb5;border-color:#0a5bb5;color:#fff}
button.danger{color:#b3261e;border-color:#e0a8a4}
button.armed{background:#b3261e;border-color:#b3261e;color:#fff}
button:disabled{opacity:.5;cursor:default}
button[aria-pressed=true]{background:#e4eefa;border-color:#0a5bb5}
.bar button{background:transparent;color:#fff;border-color:#5c7088}
form.card>button{margin-top:12px}
.msg{margin:6px 0;min-height:1.2em;overflow-wrap:anywhere}
.msg.err{color:#b3261e}
.msg.ok{color:#1e7a34}
.pill{display:inline-block;padding:1px 8px;border-radius:99px;font-size:.8rem;font-weight:700;background:#e6eaee;color:#4a5360}
.pill:empty{display:none}
.pill.ok{background:#dff3e4;color:#1e7a34}
.pill.warn{background:#fff1cc;color:#8a5a00}
.pill.fail{background:#fbe0de;color:#b3261e}
ul{list-style:none;margin:0;padding:0}
.checks li,.events li,.zones li{display:flex;flex-wrap:wrap;align-items:baseline;gap:6px 8px;padding:7px 0;border-top:1px solid #eef1f4}
.checks li:first-child,.events li:first-child{border-top:0}
.detail{color:#4a5360;font-size:.875rem;overflow-wrap:anywhere;min-width:0}
.when{color:#5d6673;font-size:.8rem;white-space:nowrap}
.events{max-height:260px;overflow-y:auto}
table{border-collapse:collapse;width:100%}
.facts th,.facts td{text-align:left;vertical-align:top;padding:4px 6px 4px 0;border-top:1px solid #eef1f4;font-size:.875rem;overflow-wrap:anywhere}
.facts th{font-weight:600;color:#4a5360;width:40%}
.stage{position:relative;width:100%;max-width:960px;background:#111;border-radius:8px;overflow:hidden;line-height:0}
.stage img{display:block;width:100%;height:auto;aspect-ratio:auto 16/9}
.overlay{position:absolute;inset:0;width:100%;height:100%;cursor:crosshair;touch-action:manipulation}
.overlay polygon,.overlay polyline{vector-effect:non-scaling-stroke;stroke-width:2px;stroke-linejoin:round}
.zone{fill:rgba(10,91,181,.22);stroke:#4aa3ff}
.zone.c1,.swatch.c1{fill:rgba(30,122,52,.22);stroke:#3fcf6a}
.zone.c2,.swatch.c2{fill:rgba(179,38,30,.2);stroke:#ff6b5e}
.zone.c3,.swatch.c3{fill:rgba(138,90,0,.22);stroke:#ffc23d}
.zone.c4,.swatch.c4{fill:rgba(110,40,160,.22);stroke:#c07bff}
.zone.c5,.swatch.c5{fill:rgba(0,120,120,.22);stroke:#3ee0e0}
.draft{fill:rgba(255,255,255,.18);stroke:#fff;stroke-dasharray:6 4}
.vtx{position:absolute;width:12px;height:12px;margin:-6px 0 0 -6px;border-radius:50%;background:#fff;border:2px solid #0a5bb5;pointer-events:none}
.swatch{display:inline-block;width:14px;height:14px;border-radius:3px;background:#4aa3ff;flex:none}
.swatch.c1{background:#3fcf6a}.swatch.c2{background:#ff6b5e}.swatch.c3{background:#ffc23d}.swatch.c4{background:#c07bff}.swatch.c5{background:#3ee0e0}
.zones li .detail{flex:1}
.zones{background:#fff;border:1px solid #d5dbe1;border-radius:10px;padding:0 12px}
.nets{background:#fff;border:1px solid #d5dbe1;border-radius:10px;overflow:hidden;margin:8px 0}
.nets li{border-top:1px solid #eef1f4}
.nets li:first-child{border-top:0}
.nets li.muted{padding:10px 12px}
button.net{display:flex;flex-direction:column;align-items:flex-start;width:100%;border:0;border-radius:0;text-align:left;font-weight:400;padding:8px 12px;min-height:48px}
.ssid{font-weight:600;overflow-wrap:anywhere;white-space:pre-wrap}
.log{background:#10161d;color:#d8dee6;border-radius:8px;padding:8px;height:60vh;min-height:240px;overflow:auto;font:12.5px/1.45 ui-monospace,Menlo,Consolas,monospace}
.log .line{white-space:pre-wrap;overflow-wrap:anywhere;padding:1px 0;border-bottom:1px solid #1c252f}
.log .line span{margin-right:8px}
.log .when{color:#8796a8;font-size:inherit}
.log .lvl{font-weight:700;color:#8fb7ff}
.log .warn .lvl{color:#ffc23d}
.log .error .lvl,.log .fatal .lvl{color:#ff6b5e}
.scroll{overflow-x:auto;background:#fff;border:1px solid #d5dbe1;border-radius:10px}
.audit th,.audit td{text-align:left;vertical-align:top;padding:6px 8px;border-top:1px solid #eef1f4;font-size:.85rem}
.audit td.detail{overflow-wrap:anywhere;min-width:12em}
.audit tr.bad,.audit tr.bad td{background:#fff4f3}
@media (max-width:600px){
.audit thead{display:none}
.audit tr{display:block;border-top:1px solid #d5dbe1;padding:6px 8px}
.audit td{display:inline-block;border:0;padding:1px 8px 1px 0}
.audit td.detail{display:block;min-width:0}
}
`;
