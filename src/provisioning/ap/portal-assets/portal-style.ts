/**
 * The portal's stylesheet, served as /portal/portal.css. It lives in a
 * TypeScript module, not a .css file, because the agent ships as one esbuild
 * bundle (scripts/build.mjs) and nothing outside dist/ reaches the camera.
 *
 * Phone first: one column, 16 px text (iOS zooms into smaller inputs), touch
 * targets ≥ 44 px, long SSIDs wrap anywhere so a 360 px screen never scrolls
 * sideways. The "Other network" name field opens with CSS alone (`:checked ~`),
 * so it works with JavaScript off.
 */
export const PORTAL_CSS = `*,*::before,*::after{box-sizing:border-box}
[hidden]{display:none!important}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;background:#f3f5f7}
.wrap{max-width:480px;margin:0 auto;padding:16px}
h1{font-size:1.35rem;line-height:1.25;margin:4px 0 8px}
h2{font-size:1.2rem;margin:12px 0 8px}
.lead,.hint,.small{color:#4a5360}
.hint,.small{font-size:.875rem;margin:6px 0 0}
a{color:#0a5bb5}
fieldset{border:0;margin:16px 0 0;padding:0;min-width:0}
legend,label{font-weight:600}
legend{padding:0;margin-bottom:8px}
.nets{list-style:none;margin:0;padding:0;background:#fff;border:1px solid #d5dbe1;border-radius:10px;overflow:hidden}
.nets[aria-invalid]{border-color:#c62828}
.nets li{display:flex;flex-wrap:wrap;align-items:center;border-top:1px solid #e6eaee;padding:0 12px}
.nets li:first-child{border-top:0}
.nets li.off{color:#8a939e}
.nets input[type=radio]{width:20px;height:20px;margin:0 12px 0 0;flex:none;accent-color:#0a5bb5}
.nets label{flex:1;min-width:0;display:flex;align-items:center;gap:8px;min-height:48px;padding:10px 0;font-weight:400;cursor:pointer}
.nets .name{flex:1;min-width:0;overflow-wrap:anywhere;white-space:pre-wrap}
.nets input:checked+label .name{font-weight:600}
.meta{display:flex;align-items:center;gap:6px;flex:none;color:#4a5360}
.lock{width:14px;height:14px;fill:currentColor}
.bars{display:inline-flex;align-items:flex-end;gap:2px;height:14px}
.bars i{width:3px;background:#cfd6dd;border-radius:1px}
.bars i:nth-child(1){height:4px}.bars i:nth-child(2){height:7px}.bars i:nth-child(3){height:10px}.bars i:nth-child(4){height:14px}
.s1 i:nth-child(-n+1),.s2 i:nth-child(-n+2),.s3 i:nth-child(-n+3),.s4 i{background:#1b1f24}
.hid{display:none;width:100%;padding:0 0 12px 32px}
.other input:checked~.hid{display:block}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.field{margin-top:16px}
.field>label,.hid>label{display:block;margin-bottom:6px}
input[type=text],input[type=password],input:not([type]){width:100%;min-height:48px;padding:10px 12px;font:inherit;color:inherit;background:#fff;border:1px solid #aeb8c2;border-radius:8px}
input:focus{outline:2px solid #0a5bb5;outline-offset:1px}
input[aria-invalid]{border-color:#c62828}
.pw{display:flex;gap:8px}
.pw input{flex:1;min-width:0}
.code{font-family:ui-monospace,Menlo,Consolas,monospace;letter-spacing:.12em;text-transform:uppercase}
.code::placeholder{letter-spacing:.12em;color:#9aa4ae}
button,.button{display:inline-block;min-height:48px;padding:10px 16px;font:inherit;font-weight:600;border-radius:8px;border:1px solid #aeb8c2;background:#fff;color:#1b1f24;text-decoration:none;text-align:center;cursor:pointer}
.primary{width:100%;margin-top:20px;background:#0a5bb5;border-color:#0a5bb5;color:#fff}
.primary:disabled{opacity:.6}
.ghost{flex:none}
.notice{margin:12px 0 0;padding:12px;border-radius:8px;border:1px solid}
.notice.err{background:#fdecea;border-color:#f3b5ae;color:#8e1c12}
.notice.info{background:#e8f1fb;border-color:#b5cfee}
.notice.ok{background:#e7f5ea;border-color:#a9d8b4}
.state{margin-top:24px;padding:20px 16px;background:#fff;border:1px solid #d5dbe1;border-radius:10px;text-align:center}
.icon{width:48px;height:48px}
.icon.ok{fill:#2e7d32}.icon.bad{fill:#c62828}
.spinner{width:40px;height:40px;margin:4px auto;border:4px solid #cfd6dd;border-top-color:#0a5bb5;border-radius:50%;animation:spin 1s linear infinite}
@keyframes spin{to{transform:rotate(1turn)}}
@media (prefers-reduced-motion:reduce){.spinner{animation-duration:3s}}
`;
