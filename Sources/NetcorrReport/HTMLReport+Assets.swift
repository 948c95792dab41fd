// The page's own CSS, markup and script (no library, no network): the script reads the JSON blob in
// <script id="netcorr-data"> and draws the timeline as SVG.

extension HTMLReport {
    static let css = #"""
:root { --net:#c2410c; --svc:#dc2626; --loc:#7c3aed; --ok:#15803d; --okf:#86efac; --err:#dc2626; --warn:#d97706;
  --muted:#94a3b8; --ink:#0f172a; --ink2:#475569; --line:#e2e8f0; --bg:#f8fafc; --info:#2563eb; --cite:#ea580c; }
* { box-sizing: border-box; }
body { margin: 0; font: 13px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--ink); background: #fff; }
header { padding: 10px 16px 6px; border-bottom: 1px solid var(--line); background: var(--bg); }
header h1 { font-size: 16px; margin: 0; font-weight: 600; }
header h1 .brand { color: var(--info); margin-right: 6px; }
#meta { color: var(--ink2); font-size: 12px; margin-top: 2px; }
#top { display: flex; gap: 12px; padding: 8px 16px; align-items: stretch; }
#findings-box { flex: 0 0 42%; min-width: 320px; }
#fsum { font-size: 13px; font-weight: 600; margin: 0 0 4px; }
#fsum.none { color: var(--ok); }
ol#findings:empty { display: none; }
ol#findings { list-style: none; margin: 0; padding: 0; max-height: 250px; overflow: auto; border: 1px solid var(--line); border-radius: 6px; }
li.finding { padding: 5px 8px 5px 10px; border-left: 5px solid var(--muted); border-bottom: 1px solid var(--line); cursor: pointer; }
li.finding:last-child { border-bottom: 0; }
li.finding:hover { background: #f1f5f9; }
li.finding.selected { background: #e0f2fe; }
li.finding.more { cursor: default; color: var(--ink2); font-size: 12px; } li.finding.more:hover { background: none; }
li.finding .layer { display: inline-block; font-size: 11px; font-weight: 700; color: #fff; border-radius: 3px; padding: 0 5px; margin-right: 6px; text-transform: uppercase; letter-spacing: .03em; }
li.finding .cause { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; color: var(--ink2); }
li.finding .when { float: right; color: var(--ink2); font-size: 11px; font-variant-numeric: tabular-nums; }
li.finding .summary { display: block; margin-top: 1px; }
.layer-network { border-left-color: var(--net) !important; } .layer-network .layer { background: var(--net); }
.layer-service { border-left-color: var(--svc) !important; } .layer-service .layer { background: var(--svc); }
.layer-local { border-left-color: var(--loc) !important; } .layer-local .layer { background: var(--loc); }
#detail { flex: 1; min-width: 0; max-height: 278px; overflow: auto; border: 1px solid var(--line); border-radius: 6px; padding: 6px 10px; border-left: 5px solid var(--line); }
#detail .hint { color: var(--ink2); }
#detail h3 { font-size: 13px; margin: 0 0 2px; }
#detail h4 { font-size: 12px; margin: 6px 0 2px; color: var(--ink2); }
#detail p { margin: 0 0 4px; color: var(--ink2); font-size: 12px; }
#detail ul { margin: 0; padding-left: 18px; }
table.tl { border-collapse: collapse; width: 100%; font-size: 12px; }
table.tl td { padding: 1px 6px 1px 0; vertical-align: top; }
table.tl td.t { font-variant-numeric: tabular-nums; color: var(--ink2); white-space: nowrap; }
table.tl td.ref { font-family: ui-monospace, "DejaVu Sans Mono", monospace; white-space: nowrap; color: var(--info); }
table.tl tr { cursor: pointer; } table.tl tr:hover { background: #f1f5f9; }
#controls { display: flex; flex-wrap: wrap; gap: 6px 18px; align-items: center; padding: 4px 16px 6px; border-top: 1px solid var(--line); border-bottom: 1px solid var(--line); background: var(--bg); font-size: 12px; }
#controls button { font: inherit; padding: 1px 8px; border: 1px solid #cbd5e1; background: #fff; border-radius: 4px; cursor: pointer; }
#controls button:hover { background: #f1f5f9; }
#controls input { font: inherit; width: 90px; padding: 1px 4px; border: 1px solid #cbd5e1; border-radius: 4px; }
#clock-text, #range, .help { color: var(--ink2); }
#legend { display: flex; gap: 12px; flex-wrap: wrap; color: var(--ink2); }
#legend span { white-space: nowrap; } #legend svg { vertical-align: middle; margin-right: 3px; }
#notes { padding: 0 16px; color: #92400e; font-size: 12px; }
#notes:not(:empty) { padding: 4px 16px; background: #fffbeb; border-bottom: 1px solid #fde68a; }
#axis-wrap { position: sticky; top: 0; z-index: 2; background: #fff; border-bottom: 1px solid var(--line); }
#axis { display: block; cursor: crosshair; user-select: none; }
#timeline { position: relative; }
#tl { display: block; cursor: grab; user-select: none; }
#tl.panning { cursor: grabbing; }
svg text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
.lane-bg { fill: #fff; } .lane:nth-child(even) .lane-bg { fill: #fafbfc; }
.lane.k-log .lane-bg { fill: #f5f8ff; }
.lane.hl .lane-bg { fill: #fefce8; }
.lane-sep { stroke: var(--line); }
.lane-label { font-size: 12px; fill: var(--ink); }
.lane-sub { font-size: 10.5px; fill: var(--ink2); }
.lane.k-h2s .lane-label { font-size: 11.5px; }
.label-col { fill: var(--bg); } .label-edge { stroke: #cbd5e1; }
.grid { stroke: #eef2f6; } .axis-text { font-size: 11px; fill: var(--ink2); } .axis-tick { stroke: #94a3b8; }
.axis-end { stroke: #cbd5e1; stroke-dasharray: 3 3; }
.brush { fill: rgba(37,99,235,.12); stroke: var(--info); }
.mlabel { font-size: 10px; fill: var(--ink2); pointer-events: none; }
.hit { fill: transparent; }
.m { cursor: default; }
.dim .m:not(.hl) { opacity: .22; }
.dim .tie:not(.hl) { opacity: .08; }
.m.hl .shape:not(.bar):not(.req):not(.conn):not(.stall):not(.pingline):not(.goaway):not(.logtick):not(.f) { stroke: #0f172a; stroke-width: 1.2px; }
.m.hl .logtick { stroke-width: 3; }
.m.hover .shape { stroke: #0f172a; stroke-width: 1.5px; }
.m.hover .conn, .m.hover .goaway, .m.hover .logtick, .m.hover .f, .m.hover .pingline { stroke-width: 3.5; }
.bar.ok { fill: var(--okf); } .bar.err { fill: #fca5a5; } .bar.warn, .bar.late { fill: #fcd34d; }
.bar.timeout { fill: url(#fade-grey); } .bar.unfinished { fill: url(#fade-blue); }
.dot { fill: #334155; } .dot.ok { fill: var(--ok); } .dot.err { fill: var(--err); } .dot.late, .dot.warn { fill: var(--warn); }
.tto { stroke: var(--err); stroke-width: 2; }
.conn { stroke-width: 2.5; stroke: #93c5fd; } .conn.err { stroke: #fca5a5; } .conn.warn { stroke: #fcd34d; }
.syn { fill: var(--ok); } .syn.err { fill: var(--err); }
.rst { stroke: var(--err); stroke-width: 2.5; }
.tls { fill: #0891b2; } .alert { fill: var(--err); } .alert.muted { fill: var(--muted); }
.req.ok { fill: #93c5fd; } .req.err { fill: #fca5a5; } .req.warn { fill: #fcd34d; } .req.unfinished { fill: url(#fade-blue); }
.reqstart { fill: #1e3a8a; }
.f { stroke-width: 1.3; } .f.f0 { stroke: #2563eb; } .f.f1 { stroke: #0f172a; } .f.f3 { stroke: var(--err); } .f.f7 { stroke: var(--err); }
.f.f8 { stroke: var(--ok); } .f.f6 { stroke: #7c3aed; } .f.f4 { stroke: var(--muted); }
.ping { fill: #7c3aed; } .pingline { stroke: #a78bfa; stroke-width: 1.5; } .pingline.timeout { stroke: var(--err); stroke-dasharray: 3 2; }
.goaway { stroke: var(--err); stroke-width: 2.5; } .goaway.warn { stroke: var(--warn); } .goflag { fill: var(--err); } .goflag.warn { fill: var(--warn); }
.settings { fill: var(--muted); } .settings.err { fill: var(--err); }
.stall { fill: url(#hatch); stroke: var(--err); stroke-width: .8; } .stall.warn { stroke: var(--warn); }
.icmp { stroke: var(--err); stroke-width: 2.5; }
.arp { fill: #fca5a5; }
.cite { fill: var(--cite); }
.logtick { stroke: var(--info); stroke-width: 1.5; } .logtick.err { stroke: var(--err); stroke-width: 2.5; } .logtick.muted { stroke: #94a3b8; stroke-width: 1; }
.tie { stroke: var(--info); stroke-width: 1; stroke-dasharray: 2 3; fill: none; opacity: .45; pointer-events: none; }
.tie.hl { opacity: 1; stroke-width: 1.5; stroke: #0f172a; }
.retry { stroke: #64748b; stroke-width: 1.2; fill: none; marker-end: url(#arrow); pointer-events: none; }
#tip { position: fixed; z-index: 10; max-width: 520px; background: #0f172a; color: #f8fafc; border-radius: 6px; padding: 6px 9px; font-size: 12px; pointer-events: none; box-shadow: 0 4px 14px rgba(0,0,0,.25); }
#tip b { display: block; margin-bottom: 3px; }
#tip table { border-collapse: collapse; } #tip td { padding: 0 8px 0 0; vertical-align: top; }
#tip td:first-child { color: #94a3b8; white-space: nowrap; }
#tip td:last-child { word-break: break-word; }
#errors { color: var(--err); margin: 8px 16px; white-space: pre-wrap; } #errors:empty { display: none; }
footer { color: var(--ink2); font-size: 11px; padding: 8px 16px 16px; }
@media print { #controls, #tip { display: none; } #axis-wrap { position: static; } }
"""#

    static let body = #"""
<script>window.addEventListener('error', function (e) { var p = document.getElementById('errors'); if (p) p.textContent += 'error: ' + e.message + (e.lineno ? ' (line ' + e.lineno + ')' : '') + '\n'; else (window.__netcorrEarlyErrors = window.__netcorrEarlyErrors || []).push(e.message); });
window.addEventListener('unhandledrejection', function (e) { document.getElementById('errors').textContent += 'unhandled rejection: ' + e.reason + '\n'; });</script>
<header><h1><span class="brand">netcorr</span><span id="cap"></span></h1><div id="meta"></div></header>
<noscript><p style="padding:8px 16px">The timeline needs JavaScript; the data is in the script element "netcorr-data" as JSON.</p></noscript>
<div id="top">
  <div id="findings-box"><h2 id="fsum"></h2><ol id="findings"></ol></div>
  <div id="detail"><p class="hint">Choose a finding to zoom the timeline to it and highlight its evidence.</p></div>
</div>
<div id="controls">
  <span><button id="zoom-in" title="zoom in (+)">+</button> <button id="zoom-out" title="zoom out (−)">−</button> <button id="zoom-fit" title="whole capture (0)">fit</button> <span id="range"></span></span>
  <span id="clock"><label>log clock: log time + <input id="offset" type="number" step="any" title="milliseconds added to every log time"> ms = capture time</label> <button id="offset-reset">reset</button> <span id="clock-text"></span></span>
  <span class="help">drag to pan · ctrl+wheel or +/− to zoom · drag on the time axis to zoom to a range · Esc clears</span>
  <span id="legend">
    <span><svg width="34" height="10"><circle cx="4" cy="5" r="3.5" class="dot"/><rect x="4" y="2" width="24" height="6" class="bar ok"/><circle cx="28" cy="5" r="3.5" class="dot ok"/></svg>query → answer (RTT)</span>
    <span><svg width="34" height="10"><defs><linearGradient id="lg-fade" x1="0" x2="1"><stop offset="0" stop-color="#94a3b8"/><stop offset="1" stop-color="#94a3b8" stop-opacity=".15"/></linearGradient></defs><circle cx="4" cy="5" r="3.5" class="dot"/><rect x="4" y="2" width="26" height="6" fill="url(#lg-fade)"/><line x1="30" x2="30" y1="0" y2="10" class="tto"/></svg>unanswered → timeout</span>
    <span><svg width="26" height="10"><rect x="1" y="1" width="24" height="8" class="req ok"/></svg>HTTP/2 request HEADERS → END_STREAM</span>
    <span><svg width="10" height="12"><line x1="5" x2="5" y1="0" y2="12" class="goaway"/></svg>GOAWAY</span>
    <span><svg width="10" height="10"><path d="M1,1L9,9M9,1L1,9" class="rst"/></svg>RST</span>
    <span><svg width="8" height="12"><line x1="4" x2="4" y1="0" y2="12" class="logtick err"/></svg>log line</span>
  </span>
</div>
<div id="notes"></div>
<div id="timeline"><div id="axis-wrap"><svg id="axis" height="28"></svg></div><svg id="tl"></svg></div>
<div id="tip" hidden></div>
<pre id="errors"></pre>
<footer id="foot"></footer>
"""#

    static let js = #"""
(function () {
'use strict';
var errs = document.getElementById('errors');
(window.__netcorrEarlyErrors || []).forEach(function (m) { errs.textContent += 'error: ' + m + '\n'; });
var D = JSON.parse(document.getElementById('netcorr-data').textContent);
var SVGNS = 'http://www.w3.org/2000/svg';
var LBL = 300, PADR = 14;
var $ = function (id) { return document.getElementById(id); };
function esc(s) { return String(s).replace(/[&<>"']/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]; }); }
function fmtDur(s) {
  var a = Math.abs(s);
  if (a >= 1) return s.toFixed(3) + ' s';
  if (a >= 1e-3) return (s * 1e3).toFixed(1) + ' ms';
  return (s * 1e6).toFixed(0) + ' µs';
}
function fmtRel(t, dec) { if (dec === undefined) dec = 3; return (t < 0 ? '−' : '+') + Math.abs(t).toFixed(dec) + ' s'; }
function wall(t) {
  var ms = D.start_epoch * 1000 + t * 1000;
  if (!isFinite(ms)) return '';
  var d = new Date(Math.floor(ms));
  var us = Math.round((ms - Math.floor(ms)) * 1000);
  var p = function (n, w) { n = String(n); while (n.length < w) n = '0' + n; return n; };
  return p(d.getUTCHours(), 2) + ':' + p(d.getUTCMinutes(), 2) + ':' + p(d.getUTCSeconds(), 2) + '.' + p(d.getUTCMilliseconds(), 3) + p(us, 3) + ' UTC';
}

// ---- state
var lanes = D.lanes, findings = D.findings;
var S = { v0: 0, v1: 1, sel: -1, offset: D.clock.offset, hoverFrames: null, hoverLog: null, focusFrame: null };
var markIndex = [];   // data-m → mark
var tiedFrames = {};  // frames some log line is tied to
lanes.forEach(function (l) {
  l.marks.forEach(function (m) { m.span = m.t2 !== undefined && m.k !== 'log'; m.lane = l; });
  // spans under points
  l.marks.sort(function (a, b) { return (a.span === b.span) ? ((a.t !== undefined ? a.t : a.lt) - (b.t !== undefined ? b.t : b.lt)) : (a.span ? -1 : 1); });
  // Overlapping queries (A and AAAA sent together, parallel lookups) get rows of their own.
  var ends = [], rowOf = {};
  l.marks.forEach(function (m) {
    m.row = 0;
    if (m.k !== 'dnsq') return;
    var end = Math.max(m.t2 !== undefined ? m.t2 : m.t, m.tto !== undefined ? m.tto : m.t);
    var r = -1;
    if (m.r !== undefined && rowOf[m.r] !== undefined && ends[rowOf[m.r]] < m.t) r = rowOf[m.r];   // a retry stays in its lookup's row
    for (var i = 0; r < 0 && i < ends.length; i++) if (ends[i] < m.t) r = i;
    if (r < 0) { if (ends.length < 6) { r = ends.length; ends.push(0); } else { r = ends.indexOf(Math.min.apply(null, ends)); } }
    ends[r] = end; m.row = r;
    if (m.f) rowOf[m.f[0]] = r;
  });
  l.rows = Math.max(1, ends.length);
  l.marks.forEach(function (m) { if (m.tie) m.tie.forEach(function (fr) { tiedFrames[fr] = 1; }); });
});
function mt(m) { return m.k === 'log' ? m.lt + S.offset : m.t; }
function fullRange() {
  var lo = 0, hi = Math.max(D.end, 1e-3);
  lanes.forEach(function (l) {
    l.marks.forEach(function (m) {
      var t = mt(m); if (t < lo) lo = t; if (t > hi) hi = t;
      if (m.t2 !== undefined && m.t2 > hi) hi = m.t2;
      if (m.tto !== undefined && m.tto > hi) hi = m.tto;
    });
  });
  var pad = (hi - lo) * 0.02 || 1e-3;
  return [lo - pad, hi + pad];
}
function laneH(l) { return l.kind === 'h2s' ? 30 : l.kind === 'log' ? 40 : l.kind === 'dns' ? Math.max(36, 10 + l.rows * 18 + 2) : 36; }
function plotW() { return Math.max(200, $('timeline').clientWidth - LBL - PADR); }
function X(t) { return LBL + (t - S.v0) / (S.v1 - S.v0) * plotW(); }

// ---- header, findings
$('cap').textContent = D.capture;
(function () {
  var c = D.counts, parts = [D.start_date + ' ' + D.start_wall, 'over ' + fmtDur(D.end)];
  if (c.dns_transactions) parts.push(c.dns_transactions + ' DNS quer' + (c.dns_transactions === 1 ? 'y' : 'ies'));
  if (c.tcp_connections) parts.push(c.tcp_connections + ' TCP connection' + (c.tcp_connections === 1 ? '' : 's'));
  if (c.h2_streams) parts.push(c.h2_streams + ' HTTP/2 stream' + (c.h2_streams === 1 ? '' : 's'));
  if (c.log_events) {
    var tied = 0; lanes.forEach(function (l) { l.marks.forEach(function (m) { if (m.tie) tied++; }); });
    parts.push(c.log_events + ' log lines recognised, ' + tied + ' tied to packets');
  }
  parts.push('times from the capture\u2019s first packet');
  $('meta').textContent = parts.join(' · ');
  $('foot').textContent = 'netcorr HTML report: ' + c.lanes + ' lanes, ' + c.marks + ' of ' + c.marks_total + ' marks drawn. Self-contained: no network access. DNS timeout ' + fmtDur(D.dns_timeout) + '.';
  $('notes').innerHTML = D.notes.map(function (n) { return '<div>' + esc(n) + '</div>'; }).join('');
})();
(function () {
  var n = findings.length;
  (D.more_findings || []).forEach(function (m) { n += m.count; });
  var fs = $('fsum');
  if (!n) { fs.textContent = 'No failures found.'; fs.className = 'none'; }
  else {
    var by = {}; findings.forEach(function (f) { by[f.layer] = (by[f.layer] || 0) + 1; });
    (D.more_findings || []).forEach(function (m) { by[m.layer] = (by[m.layer] || 0) + m.count; });
    fs.textContent = n + ' finding' + (n === 1 ? '' : 's') + ': ' + ['network', 'service', 'local'].filter(function (l) { return by[l]; }).map(function (l) { return by[l] + ' ' + l; }).join(', ');
  }
  var ol = $('findings');
  findings.forEach(function (f, i) {
    var li = document.createElement('li');
    li.className = 'finding layer-' + f.layer;
    li.dataset.cause = f.cause; li.dataset.layer = f.layer; li.dataset.index = i;
    li.innerHTML = '<span class="when">' + (f.t !== undefined ? fmtRel(f.t) : '') + '</span><span class="layer">' + esc(f.layer) + '</span><span class="cause">' + esc(f.cause) + '</span>' +
      (f.recovered ? ' <span class="cause">(recovered)</span>' : '') + '<span class="summary">' + esc(f.summary) + '</span>';
    li.addEventListener('click', function () { select(S.sel === i ? -1 : i); });
    ol.appendChild(li);
  });
  var more = D.more_findings || [], nm = 0;
  more.forEach(function (m) { nm += m.count; });
  if (nm) {
    var li = document.createElement('li');
    li.className = 'finding more';
    li.innerHTML = '<span class="summary">… and ' + nm + ' more (not listed): ' + more.map(function (m) { return esc(m.count + ' × ' + m.cause + ' (' + m.layer + ')'); }).join(', ') + '. The text and JSON reports list them all.</span>';
    ol.appendChild(li);
  }
})();

function detail() {
  var el = $('detail');
  if (S.sel < 0) { el.className = ''; el.innerHTML = '<p class="hint">' + (findings.length ? 'Choose a finding to zoom the timeline to it and highlight its evidence.' : 'Nothing failed: the timeline shows every flow.') + '</p>'; return; }
  var f = findings[S.sel];
  var h = '<h3>' + esc(f.cause) + ': ' + esc(f.summary) + '</h3>';
  var info = [f.layer + ' layer'];
  if (f.flow) info.push(f.flow);
  if (f.t !== undefined) info.push(fmtRel(f.t) + (f.t2 !== undefined && f.t2 !== f.t ? ' … ' + fmtRel(f.t2) : ''));
  if (f.packets.length) info.push('packets #' + f.packets.slice(0, 12).join(', #') + (f.packets.length > 12 ? ' …' : ''));
  if (f.log_lines.length) info.push('log ' + f.log_lines.slice(0, 6).join(', ') + (f.log_lines.length > 6 ? ' …' : ''));
  if (f.recovered) info.push('the program got its answer in the end, late');
  h += '<p>' + esc(info.join(' · ')) + '</p>';
  if (f.timeline.length) {
    h += '<table class="tl">';
    f.timeline.forEach(function (e, j) {
      h += '<tr data-j="' + j + '"><td class="t">' + (e.t !== undefined ? fmtRel(e.t) : '?') + '</td><td class="ref">' + esc(e.frame !== undefined ? '#' + e.frame : (e.log || '')) + '</td><td>' + esc(e.text) + '</td></tr>';
    });
    if (f.timeline_more) h += '<tr><td></td><td></td><td>… ' + f.timeline_more + ' more</td></tr>';
    h += '</table>';
  }
  if (f.next_steps.length) h += '<h4>Check next</h4><ul>' + f.next_steps.map(function (s) { return '<li>' + esc(s) + '</li>'; }).join('') + '</ul>';
  if (f.to_settle.length) h += '<h4>To settle it</h4><ul>' + f.to_settle.map(function (s) { return '<li>' + esc(s) + '</li>'; }).join('') + '</ul>';
  el.className = 'layer-' + f.layer;
  el.innerHTML = h;
  el.querySelectorAll('tr[data-j]').forEach(function (tr) {
    var e = f.timeline[+tr.dataset.j];
    tr.addEventListener('mouseenter', function () { S.focusFrame = e.frame !== undefined ? e.frame : null; S.focusLog = e.log || null; render(); });
    tr.addEventListener('mouseleave', function () { S.focusFrame = null; S.focusLog = null; render(); });
    tr.addEventListener('click', function () { if (e.t !== undefined) { var w = S.v1 - S.v0; S.v0 = e.t - w / 2; S.v1 = e.t + w / 2; render(); } });
  });
}

function select(i) {
  S.sel = i;
  document.querySelectorAll('li.finding').forEach(function (li) { li.classList.toggle('selected', +li.dataset.index === i); });
  detail();
  if (i >= 0) {
    var f = findings[i], ts = [];
    if (f.t !== undefined) ts.push(f.t);
    if (f.t2 !== undefined) ts.push(f.t2);
    f.timeline.forEach(function (e) { if (e.t !== undefined) ts.push(e.t); });
    var hl = hlSets();
    lanes.forEach(function (l) { l.marks.forEach(function (m) { if (isHL(m, hl)) { ts.push(mt(m)); if (m.t2 !== undefined) ts.push(m.t2); } }); });
    if (ts.length) {
      var lo = Math.min.apply(null, ts), hi = Math.max.apply(null, ts);
      var pad = Math.max((hi - lo) * 0.15, 0.0005);
      S.v0 = lo - pad; S.v1 = hi + pad;
    }
    var first = document.querySelector('.lane[data-lane="' + cssEsc(f.lanes[0] || '') + '"]');
    if (first && first.getBoundingClientRect().top > window.innerHeight) first.scrollIntoView({ block: 'center' });
    history.replaceState(null, '', '#f=' + i);
  } else {
    history.replaceState(null, '', location.pathname + location.search);
  }
  render();
}
function cssEsc(s) { return String(s).replace(/["\\]/g, '\\$&'); }

function hlSets() {
  if (S.sel < 0) return null;
  var f = findings[S.sel];
  var fr = {}, lg = {}, ln = {};
  f.packets.forEach(function (p) { fr[p] = 1; });
  f.log_lines.forEach(function (r) { lg[r] = 1; });
  f.lanes.forEach(function (l) { ln[l] = 1; });
  return { frames: fr, logs: lg, lanes: ln };
}
function isHL(m, hl) {
  if (!hl) return false;
  if (m.ref && hl.logs[m.ref]) return true;
  if (m.f) for (var i = 0; i < m.f.length; i++) if (hl.frames[m.f[i]]) return true;
  return false;
}
function isFocus(m) {
  if (S.focusFrame !== null && m.f && m.f.indexOf(S.focusFrame) >= 0) return true;
  if (S.focusLog && m.ref === S.focusLog) return true;
  return false;
}

// ---- drawing
function niceStep(raw) {
  var p = Math.pow(10, Math.floor(Math.log10(raw))), n = raw / p;
  return (n < 1.5 ? 1 : n < 3.5 ? 2 : n < 7.5 ? 5 : 10) * p;
}
function ticks() {
  var span = S.v1 - S.v0, step = niceStep(span / Math.max(2, plotW() / 110));
  var dec = Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9)));
  var out = [];
  for (var t = Math.ceil(S.v0 / step) * step; t <= S.v1; t += step) out.push({ t: t, s: fmtRel(Math.abs(t) < step / 1e6 ? 0 : t, dec) });
  return out;
}
var DEFS = '<defs>' +
  '<linearGradient id="fade-grey" x1="0" x2="1"><stop offset="0" stop-color="#94a3b8"/><stop offset="1" stop-color="#94a3b8" stop-opacity=".12"/></linearGradient>' +
  '<linearGradient id="fade-blue" x1="0" x2="1"><stop offset="0" stop-color="#93c5fd"/><stop offset="1" stop-color="#93c5fd" stop-opacity=".1"/></linearGradient>' +
  '<pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#fee2e2"/><line x1="0" y1="0" x2="0" y2="6" stroke="#f87171" stroke-width="2"/></pattern>' +
  '<marker id="arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="6" markerHeight="6" orient="auto"><path d="M0,0L8,4L0,8z" fill="#64748b"/></marker>' +
  '</defs>';

function drawAxis() {
  var W = $('timeline').clientWidth, ax = $('axis');
  ax.setAttribute('width', W);
  var h = '<rect x="0" y="0" width="' + LBL + '" height="28" class="label-col"/>';
  h += '<text x="10" y="18" class="axis-text">time from the first packet</text>';
  ticks().forEach(function (k) {
    var x = X(k.t);
    h += '<line x1="' + x + '" x2="' + x + '" y1="20" y2="28" class="axis-tick"/><text x="' + (x + 3) + '" y="15" class="axis-text">' + esc(k.s) + '</text>';
  });
  h += '<line x1="' + LBL + '" x2="' + LBL + '" y1="0" y2="28" class="label-edge"/>';
  ax.innerHTML = h;
  $('range').textContent = fmtRel(S.v0) + ' … ' + fmtRel(S.v1) + ' (' + fmtDur(S.v1 - S.v0) + ')';
}

function render() {
  drawAxis();
  var W = $('timeline').clientWidth, pw = plotW(), v0 = S.v0, v1 = S.v1;
  var hl = hlSets(), focusOn = S.focusFrame !== null || !!S.focusLog;
  var pos = {};          // frame → [x, y]
  var ties = [], retries = [];
  var out = [DEFS, '<clipPath id="plot" clipPathUnits="userSpaceOnUse"><rect x="' + LBL + '" y="0" width="' + pw + '" height="100000"/></clipPath>'];
  var grid = ticks();
  var y = 0, lanesOut = [];
  markIndex = [];
  lanes.forEach(function (l, li) {
    var h = laneH(l), cy0 = l.kind === 'h2s' ? 19 : l.kind === 'log' ? 25 : l.kind === 'dns' ? 20 : 23;
    var g = ['<g class="lane k-' + l.kind + (hl && hl.lanes[l.id] ? ' hl' : '') + '" data-kind="' + l.kind + '" data-lane="' + esc(l.id) + '" transform="translate(0,' + y + ')">'];
    g.push('<rect class="lane-bg" x="0" y="0" width="' + W + '" height="' + h + '"/>');
    grid.forEach(function (k) { var x = X(k.t); g.push('<line class="grid" x1="' + x + '" x2="' + x + '" y1="0" y2="' + h + '"/>'); });
    g.push('<g clip-path="url(#plot)">');
    var lastLabelEnd = [];
    l.marks.forEach(function (m) {
      var cy = cy0 + m.row * 18, labelY = l.kind === 'dns' ? cy - 6 : 10;
      var t = mt(m), t2 = m.t2 !== undefined ? m.t2 : t;
      var tEnd = Math.max(t2, m.tto !== undefined ? m.tto : t2);
      if (tEnd < v0 - (v1 - v0) * 0.01 || t > v1 + (v1 - v0) * 0.01) return;
      var x = X(t), x2 = Math.max(X(t2), x + 2);
      var idx = markIndex.length; markIndex.push(m);
      var c = m.c || '', shapes = '', hitX = x - 4, hitW = 8, label = null, labelX = x + 6;
      switch (m.k) {
        case 'dnsq':
          shapes += '<rect class="shape bar ' + c + '" x="' + x + '" y="' + (cy - 3) + '" width="' + (x2 - x) + '" height="6" rx="2"/>';
          shapes += '<circle class="shape dot" cx="' + x + '" cy="' + cy + '" r="3.5"/>';
          if (m.t2 !== undefined && c !== 'timeout') shapes += '<circle class="shape dot ' + c + '" cx="' + x2 + '" cy="' + cy + '" r="3.5"/>';
          if (m.tto !== undefined) { var xt = X(m.tto); shapes += '<line class="tto" x1="' + xt + '" x2="' + xt + '" y1="' + (cy - 7) + '" y2="' + (cy + 7) + '"/>'; x2 = Math.max(x2, xt); }
          hitW = Math.max(8, x2 - x + 8); label = m.l; labelX = x - 3;
          break;
        case 'conn':
          shapes += '<line class="shape conn ' + c + '" x1="' + x + '" x2="' + x2 + '" y1="' + cy + '" y2="' + cy + '"/>';
          hitX = x; hitW = x2 - x; break;
        case 'syn':
          shapes += '<path class="shape syn ' + c + '" d="M' + (x - 1) + ',' + (cy - 6) + 'L' + (x + 8) + ',' + cy + 'L' + (x - 1) + ',' + (cy + 6) + 'z"/>';
          label = m.l; labelX = x - 3; break;
        case 'rst': case 'icmp':
          shapes += '<path class="shape ' + m.k + '" d="M' + (x - 5) + ',' + (cy - 5) + 'L' + (x + 5) + ',' + (cy + 5) + 'M' + (x + 5) + ',' + (cy - 5) + 'L' + (x - 5) + ',' + (cy + 5) + '"/>';
          label = m.k === 'rst' ? 'RST' : 'ICMP'; labelX = x - 6; break;
        case 'tls': case 'alert': case 'cite':
          shapes += '<path class="shape ' + m.k + ' ' + c + '" d="M' + x + ',' + (cy - 5) + 'L' + (x + 5) + ',' + cy + 'L' + x + ',' + (cy + 5) + 'L' + (x - 5) + ',' + cy + 'z"/>';
          label = m.k === 'tls' ? m.l.split(' ')[0] : m.l; labelX = x - 4; break;
        case 'h2req':
          shapes += '<rect class="shape req ' + c + '" x="' + x + '" y="' + (cy - 5) + '" width="' + (x2 - x) + '" height="10" rx="2"/>';
          shapes += '<rect class="reqstart" x="' + x + '" y="' + (cy - 5) + '" width="2" height="10"/>';
          hitX = x - 3; hitW = x2 - x + 6; label = m.l; labelX = x; break;
        case 'h2f':
          var out_ = c.indexOf('out') >= 0;
          shapes += '<line class="shape f ' + c + '" x1="' + x + '" x2="' + x + '" y1="' + (out_ ? cy - 11 : cy + 6) + '" y2="' + (out_ ? cy - 6 : cy + 11) + '"/>';
          hitX = x - 2; hitW = 4; break;
        case 'ping':
          shapes += '<line class="shape pingline ' + c + '" x1="' + x + '" x2="' + x2 + '" y1="' + (cy + 7) + '" y2="' + (cy + 7) + '"/><circle class="shape ping" cx="' + x + '" cy="' + (cy + 7) + '" r="3"/>';
          hitW = Math.max(8, x2 - x + 6); break;
        case 'goaway':
          shapes += '<line class="shape goaway ' + c + '" x1="' + x + '" x2="' + x + '" y1="' + (cy - 12) + '" y2="' + (cy + 12) + '"/><path class="goflag ' + c + '" d="M' + x + ',' + (cy - 12) + 'L' + (x + 9) + ',' + (cy - 9) + 'L' + x + ',' + (cy - 6) + 'z"/>';
          label = m.l; labelX = x + 11; break;
        case 'settings':
          shapes += '<rect class="shape settings ' + c + '" x="' + (x - 2) + '" y="' + (cy - 2) + '" width="4" height="4"/>'; break;
        case 'stall':
          shapes += '<rect class="shape stall ' + c + '" x="' + x + '" y="' + (cy - 8) + '" width="' + (x2 - x) + '" height="16" opacity=".75"/>';
          hitX = x; hitW = x2 - x; label = 'stall ' + fmtDur(t2 - t); labelX = x; break;
        case 'arp':
          shapes += '<rect class="shape arp" x="' + x + '" y="' + (cy - 3) + '" width="' + (x2 - x) + '" height="6"/>';
          hitX = x; hitW = x2 - x + 2; label = m.l; labelX = x; break;
        case 'log':
          shapes += '<line class="shape logtick ' + c + '" x1="' + x + '" x2="' + x + '" y1="' + (cy - 10) + '" y2="' + (cy + 10) + '"/>';
          hitX = x - 3; hitW = 6;
          if (c === 'err') { label = m.l; labelX = x + 4; }
          if (m.tie) ties.push({ m: m, x: x, y: y + cy - 10, on: isHL(m, hl) || isFocus(m) });
          break;
        default:
          shapes += '<circle class="shape dot" cx="' + x + '" cy="' + cy + '" r="3"/>';
      }
      var on = isHL(m, hl) || isFocus(m);
      g.push('<g class="m k-' + m.k + (on ? ' hl' : '') + '" data-m="' + idx + '">' + shapes + '<rect class="hit" x="' + hitX + '" y="0" width="' + Math.max(4, hitW) + '" height="' + h + '"/></g>');
      if (label && labelX > (lastLabelEnd[m.row] || -1e9) + 6 && labelX < LBL + pw) {
        var lx = Math.max(labelX, LBL + 2);
        g.push('<text class="mlabel" x="' + lx + '" y="' + labelY + '">' + esc(label.length > 70 ? label.slice(0, 69) + '…' : label) + '</text>');
        lastLabelEnd[m.row] = lx + Math.min(70, label.length) * 5.6;
      }
      if (m.f) {
        var ys = y + cy;
        if (!pos[m.f[0]]) pos[m.f[0]] = [x, ys, on];
        if (m.f.length > 1 && m.k !== 'h2req' && !pos[m.f[1]]) pos[m.f[1]] = [m.t2 !== undefined ? X(m.t2) : x, ys, on];
        if (m.k === 'h2req') { m.f.slice(1).forEach(function (fr) { if (!pos[fr]) pos[fr] = [x2, ys, on]; }); }
        if (m.k === 'syn') m.f.forEach(function (fr) { if (!pos[fr]) pos[fr] = [x, ys, on]; });
      }
      if (m.r !== undefined) retries.push({ from: m.r, x: x, y: y + cy });
    });
    g.push('</g>');
    // label column
    var indent = l.parent ? 18 : 8;
    var maxc = Math.floor((LBL - indent - 8) / 6.4);
    var lab = l.label.length > maxc ? l.label.slice(0, maxc - 1) + '…' : l.label;
    var sub = l.sub + (l.dropped ? ' · ' + l.dropped + ' not drawn' : '');
    var maxs = Math.floor((LBL - indent - 8) / 5.6);
    var subT = sub.length > maxs ? sub.slice(0, maxs - 1) + '…' : sub;
    g.push('<rect class="label-col" x="0" y="0" width="' + LBL + '" height="' + h + '"/>');
    if (l.parent) g.push('<path d="M9,0V' + (h / 2) + 'H15" stroke="#cbd5e1" fill="none"/>');
    g.push('<text class="lane-label" x="' + indent + '" y="' + (l.kind === 'h2s' ? 13 : 15) + '"><title>' + esc(l.label + '\n' + sub) + '</title>' + esc(lab) + '</text>');
    g.push('<text class="lane-sub" x="' + indent + '" y="' + (l.kind === 'h2s' ? 25 : 29) + '">' + esc(subT) + '</text>');
    g.push('<line class="label-edge" x1="' + LBL + '" x2="' + LBL + '" y1="0" y2="' + h + '"/>');
    g.push('<line class="lane-sep" x1="0" x2="' + W + '" y1="' + (h - 0.5) + '" y2="' + (h - 0.5) + '"/>');
    g.push('</g>');
    lanesOut.push(g.join(''));
    y += h;
  });
  // capture end
  var xe = X(D.end), x0 = X(0);
  var over = ['<g clip-path="url(#plot)">'];
  [x0, xe].forEach(function (x) { over.push('<line class="axis-end" x1="' + x + '" x2="' + x + '" y1="0" y2="' + y + '"/>'); });
  retries.forEach(function (r) {
    var p = pos[r.from]; if (!p) return;
    var mx = (p[0] + r.x) / 2, top = Math.min(p[1], r.y) - 16;
    over.push('<path class="retry" d="M' + p[0] + ',' + (p[1] - 4) + 'Q' + mx + ',' + top + ' ' + (r.x - 1) + ',' + (r.y - 5) + '"/>');
  });
  // Log lines to the packets they were tied to: always for error lines and lines a finding cites, else on hover.
  ties.forEach(function (tk) {
    var on = tk.on || S.hoverLog === tk.m;
    tk.m.tie.forEach(function (fr) {
      var p = pos[fr]; if (!p) return;
      var lit = on || (S.hoverFrames && S.hoverFrames[fr]);
      if (!lit && !(tk.m.c === 'err' || tk.m.cited) ) return;
      var dy = Math.max(20, (p[1] - tk.y) / 2);
      over.push('<path class="tie' + (lit ? ' hl' : '') + '" d="M' + tk.x + ',' + (tk.y + 20) + 'C' + tk.x + ',' + (tk.y + 20 + dy) + ' ' + p[0] + ',' + (p[1] - dy) + ' ' + p[0] + ',' + (p[1] - 4) + '"/>');
    });
  });
  over.push('</g>');
  var svg = $('tl');
  svg.setAttribute('width', W);
  svg.setAttribute('height', Math.max(y, 40));
  svg.setAttribute('class', (hl || focusOn) ? 'dim' : '');
  svg.innerHTML = out.join('') + lanesOut.join('') + over.join('');
  document.body.dataset.rendered = String(markIndex.length);
}

// ---- tooltip
var tip = $('tip');
function showTip(m, ev) {
  var t = mt(m), rows = '';
  (m.d || []).forEach(function (kv) { rows += '<tr><td>' + esc(kv[0]) + '</td><td>' + esc(kv[1]) + '</td></tr>'; });
  if (m.f && m.f.length) rows += '<tr><td>packets</td><td>#' + m.f.join(', #') + '</td></tr>';
  rows += '<tr><td>time</td><td>' + fmtRel(t, 6) + (m.t2 !== undefined ? ' … ' + fmtRel(m.t2, 6) + ' (' + fmtDur(m.t2 - t) + ')' : '') + '</td></tr>';
  rows += '<tr><td>wall clock</td><td>' + wall(t) + '</td></tr>';
  if (m.k === 'log' && m.tie) rows += '<tr><td>tied to</td><td>#' + m.tie.join(', #') + '</td></tr>';
  tip.innerHTML = '<b>' + esc(m.l) + '</b><table>' + rows + '</table>';
  tip.hidden = false;
  var w = tip.offsetWidth, h = tip.offsetHeight;
  var x = ev.clientX + 14, y = ev.clientY + 14;
  if (x + w > window.innerWidth - 4) x = Math.max(4, ev.clientX - w - 14);
  if (y + h > window.innerHeight - 4) y = Math.max(4, ev.clientY - h - 14);
  tip.style.left = x + 'px'; tip.style.top = y + 'px';
}
var hovered = null;
$('tl').addEventListener('mousemove', function (ev) {
  if (drag) return;
  var g = ev.target.closest ? ev.target.closest('[data-m]') : null;
  var m = g ? markIndex[+g.dataset.m] : null;
  if (m) showTip(m, ev); else tip.hidden = true;
  if (m !== hovered) {
    if (hovered && hovered.el) hovered.el.classList.remove('hover');
    hovered = m;
    if (m && g) { m.el = g; g.classList.add('hover'); }
    var frs = null;
    if (m && m.f) m.f.forEach(function (fr) { if (tiedFrames[fr]) { frs = frs || {}; frs[fr] = 1; } });
    var needs = (m && m.k === 'log' && m.tie) || S.hoverLog || frs || S.hoverFrames;
    S.hoverLog = m && m.k === 'log' ? m : null;
    S.hoverFrames = frs;
    if (needs) render();
  }
});
$('tl').addEventListener('mouseleave', function () { tip.hidden = true; if (S.hoverLog || S.hoverFrames) { S.hoverLog = null; S.hoverFrames = null; render(); } hovered = null; });

// ---- zoom and pan
function zoomAt(t, factor) {
  var f = fullRange(), span = Math.min((S.v1 - S.v0) * factor, (f[1] - f[0]) * 4);
  span = Math.max(span, 2e-6);
  var r = (t - S.v0) / (S.v1 - S.v0);
  S.v0 = t - r * span; S.v1 = S.v0 + span;
  render();
}
function fit() { var f = fullRange(); S.v0 = f[0]; S.v1 = f[1]; render(); }
function pan(frac) { var w = S.v1 - S.v0; S.v0 += w * frac; S.v1 += w * frac; render(); }
$('zoom-in').onclick = function () { zoomAt((S.v0 + S.v1) / 2, 0.5); };
$('zoom-out').onclick = function () { zoomAt((S.v0 + S.v1) / 2, 2); };
$('zoom-fit').onclick = fit;
function tAt(clientX) { var r = $('tl').getBoundingClientRect(); return S.v0 + (clientX - r.left - LBL) / plotW() * (S.v1 - S.v0); }
$('timeline').addEventListener('wheel', function (ev) {
  if (ev.ctrlKey || ev.metaKey || ev.altKey) {
    ev.preventDefault();
    zoomAt(tAt(ev.clientX), Math.exp(ev.deltaY * (ev.deltaMode ? 0.05 : 0.0015)));
  } else if (ev.shiftKey || Math.abs(ev.deltaX) > Math.abs(ev.deltaY)) {
    ev.preventDefault();
    pan((ev.shiftKey ? ev.deltaY : ev.deltaX) * (ev.deltaMode ? 0.05 : 0.0015));
  }
}, { passive: false });
var drag = null;
$('tl').addEventListener('mousedown', function (ev) {
  if (ev.button !== 0) return;
  drag = { x: ev.clientX, v0: S.v0, v1: S.v1, moved: false };
  ev.preventDefault();
});
window.addEventListener('mousemove', function (ev) {
  if (drag) {
    var dx = ev.clientX - drag.x;
    if (Math.abs(dx) > 2) { drag.moved = true; $('tl').classList.add('panning'); tip.hidden = true; }
    if (drag.moved) {
      var dt = dx / plotW() * (drag.v1 - drag.v0);
      S.v0 = drag.v0 - dt; S.v1 = drag.v1 - dt;
      if (!drag.raf) drag.raf = requestAnimationFrame(function () { if (drag) drag.raf = 0; render(); });
    }
  }
  if (brush) {
    brush.x2 = ev.clientX;
    var r = $('axis').getBoundingClientRect(), a = Math.min(brush.x, brush.x2) - r.left, b = Math.max(brush.x, brush.x2) - r.left;
    var el = $('axis').querySelector('.brush');
    if (!el) { el = document.createElementNS(SVGNS, 'rect'); el.setAttribute('class', 'brush'); el.setAttribute('y', '1'); el.setAttribute('height', '26'); $('axis').appendChild(el); }
    el.setAttribute('x', a); el.setAttribute('width', Math.max(1, b - a));
  }
});
window.addEventListener('mouseup', function (ev) {
  if (drag) { $('tl').classList.remove('panning'); drag = null; render(); }
  if (brush) {
    var a = Math.min(brush.x, brush.x2), b = Math.max(brush.x, brush.x2);
    brush = null;
    if (b - a > 4) { var ta = tAt(a), tb = tAt(b); S.v0 = ta; S.v1 = tb; }
    render();
  }
});
$('tl').addEventListener('dblclick', function (ev) { zoomAt(tAt(ev.clientX), 0.5); });
var brush = null;
$('axis').addEventListener('mousedown', function (ev) { if (ev.button === 0) { brush = { x: ev.clientX, x2: ev.clientX }; ev.preventDefault(); } });
window.addEventListener('keydown', function (ev) {
  if (ev.target && ev.target.tagName === 'INPUT') return;
  if (ev.key === '+' || ev.key === '=') zoomAt((S.v0 + S.v1) / 2, 0.5);
  else if (ev.key === '-' || ev.key === '_') zoomAt((S.v0 + S.v1) / 2, 2);
  else if (ev.key === '0') fit();
  else if (ev.key === 'ArrowLeft') pan(-0.2);
  else if (ev.key === 'ArrowRight') pan(0.2);
  else if (ev.key === 'Escape') select(-1);
});
var resizeRaf = 0;
window.addEventListener('resize', function () { if (!resizeRaf) resizeRaf = requestAnimationFrame(function () { resizeRaf = 0; render(); }); });

// ---- clock
function clockText() {
  var c = D.clock, o = S.offset;
  var base = c.method === 'pairs' ? 'estimated ' + (c.offset >= 0 ? '+' : '−') + fmtDur(Math.abs(c.offset)) + ' from ' + c.pairs_used + ' matched pair' + (c.pairs_used === 1 ? '' : 's') + ' (spread ' + fmtDur(c.spread) + ')'
    : c.method === 'unmatched' ? 'log times used as they are (nothing tied a log line to a packet)'
    : D.counts.log_events ? 'the log has no timestamps' : 'no log given';
  if (Math.abs(o - c.offset) > 1e-9) base += '; adjusted by ' + (o - c.offset >= 0 ? '+' : '−') + fmtDur(Math.abs(o - c.offset));
  $('clock-text').textContent = base;
}
function setOffsetInput() { $('offset').value = +(S.offset * 1000).toFixed(3); }
$('offset').addEventListener('input', function () {
  var v = parseFloat($('offset').value);
  if (isFinite(v)) { S.offset = v / 1000; clockText(); render(); }
});
$('offset-reset').onclick = function () { S.offset = D.clock.offset; setOffsetInput(); clockText(); render(); };
if (!D.counts.log_events) $('clock').style.display = 'none';

// ---- start
setOffsetInput(); clockText(); detail();
var f0 = fullRange(); S.v0 = f0[0]; S.v1 = f0[1];
var mh = /^#f=(\d+)$/.exec(location.hash);
if (mh && +mh[1] < findings.length) select(+mh[1]); else render();
})();
"""#
}
