/**
 * report.html: one self-contained page (inline SVG and a few lines of inline JS, nothing fetched)
 * with the verdicts, a timeline of client operations (one lane per worker, a bar from invocation to
 * completion coloured by outcome) under the nemesis intervals, latency and throughput over time,
 * and, for a failed check, the shortest failing window as a zoomed timeline and a table.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { printEdn } from '../history/edn.js';
import type { ScheduledFault } from '../nemesis/schedule.js';
import type { NemesisEvent } from '../nemesis/schedule.js';
import type { RecordedOp } from '../runner/recorder.js';
import type { RunResult, TestConfig } from '../runner/run.js';

export interface ReportInput {
  readonly config: TestConfig;
  readonly result: RunResult;
  readonly history: readonly RecordedOp[];
  readonly schedule: readonly ScheduledFault[];
  readonly nemesisEvents: readonly NemesisEvent[];
}

const COLORS = { ok: '#2e9d4b', fail: '#d9822b', info: '#c9b200', pending: '#999999' } as const;

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

function ms(t: bigint): number {
  return Number(t) / 1e6;
}

interface Span {
  readonly invoke: RecordedOp;
  readonly completion: RecordedOp | undefined;
  readonly lane: number;
}

function spansOf(history: readonly RecordedOp[], concurrency: number): Span[] {
  const open = new Map<number, RecordedOp>();
  const out: Span[] = [];
  const laneOf = (p: number) => (p >= 1_000_000 ? concurrency : p % concurrency);
  for (const op of history) {
    if (typeof op.process !== 'number') continue;
    if (op.type === 'invoke') {
      open.set(op.process, op);
      continue;
    }
    const inv = open.get(op.process);
    if (inv === undefined) continue;
    open.delete(op.process);
    out.push({ invoke: inv, completion: op, lane: laneOf(op.process) });
  }
  for (const inv of open.values()) out.push({ invoke: inv, completion: undefined, lane: laneOf(inv.process as number) });
  return out;
}

function describe(op: RecordedOp): string {
  const parts = [`:index ${op.index}`, `:process ${String(op.process)}`, `:type :${op.type}`, `:f :${op.f}`, `:value ${printEdn(op.value)}`];
  if (op.node !== undefined) parts.push(`:node ${op.node}`);
  if (op.session !== undefined) parts.push(`:session ${op.session}`);
  if (op.zxid !== undefined) parts.push(`:zxid 0x${op.zxid.toString(16)}`);
  if (op.error !== undefined) parts.push(`:error ${printEdn(op.error)}`);
  return parts.join(' ');
}

function spanTitle(s: Span): string {
  const c = s.completion;
  const lat = c === undefined ? 'never completed' : `${(ms(c.time) - ms(s.invoke.time)).toFixed(1)} ms`;
  return `${describe(s.invoke)}\n-> ${c === undefined ? '(no completion)' : describe(c)}\n${lat}`;
}

interface Axis {
  readonly t0: number;
  readonly t1: number;
  readonly x0: number;
  readonly width: number;
}

function xOf(a: Axis, t: number): number {
  return a.x0 + ((t - a.t0) / Math.max(1e-9, a.t1 - a.t0)) * a.width;
}

function timeTicks(a: Axis, height: number, y0: number): string {
  const span = (a.t1 - a.t0) / 1000;
  const steps = [0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300];
  const step = steps.find((s) => span / s <= 12) ?? 600;
  let out = '';
  for (let s = Math.ceil(a.t0 / 1000 / step) * step; s * 1000 <= a.t1; s += step) {
    const x = xOf(a, s * 1000).toFixed(1);
    out += `<line x1="${x}" x2="${x}" y1="${y0}" y2="${y0 + height}" stroke="#eee"/><text x="${x}" y="${y0 + height + 12}" font-size="10" text-anchor="middle">${Number(s.toFixed(2))}s</text>`;
  }
  return out;
}

function nemesisBands(events: readonly NemesisEvent[], a: Axis, y0: number, height: number, endMs: number): string {
  const palette = ['#f4c7c3', '#c6dafc', '#d9ead3', '#fce8b2', '#d9d2e9', '#f9cb9c'];
  const names = [...new Set(events.map((e) => e.nemesis))];
  return events
    .map((e) => {
      const x1 = xOf(a, Math.max(a.t0, e.startMs));
      const x2 = xOf(a, Math.min(a.t1, e.endMs ?? endMs));
      if (x2 < a.x0 || x1 > a.x0 + a.width) return '';
      const color = palette[names.indexOf(e.nemesis) % palette.length] ?? '#eee';
      const title = `${e.nemesis} ${(e.startMs / 1000).toFixed(1)}s - ${((e.endMs ?? endMs) / 1000).toFixed(1)}s\n${printEdn(e.value as Parameters<typeof printEdn>[0])}`;
      return `<g><title>${esc(title)}</title><rect x="${x1.toFixed(1)}" y="${y0}" width="${Math.max(1, x2 - x1).toFixed(1)}" height="${height}" fill="${color}" opacity="0.55"/><text x="${(x1 + 2).toFixed(1)}" y="${y0 + 10}" font-size="9" fill="#444">${esc(e.nemesis)}</text></g>`;
    })
    .join('');
}

function timeline(spans: readonly Span[], events: readonly NemesisEvent[], lanes: number, a: Axis, highlight: ReadonlySet<number>, endMs: number): string {
  const laneH = Math.max(6, Math.min(18, Math.floor(420 / Math.max(1, lanes + 1))));
  const top = 16;
  const height = (lanes + 1) * laneH;
  let body = nemesisBands(events, a, top, height, endMs) + timeTicks(a, height, top);
  for (let l = 0; l <= lanes; l++) {
    body += `<text x="${a.x0 - 4}" y="${top + l * laneH + laneH * 0.75}" font-size="9" text-anchor="end">${l === lanes ? 'final' : `w${l}`}</text>`;
  }
  for (const s of spans) {
    const tStart = ms(s.invoke.time);
    const tEnd = s.completion === undefined ? endMs : ms(s.completion.time);
    if (tEnd < a.t0 || tStart > a.t1) continue;
    const x1 = xOf(a, Math.max(a.t0, tStart));
    const x2 = xOf(a, Math.min(a.t1, tEnd));
    const type = s.completion?.type ?? 'pending';
    const color = type === 'invoke' ? COLORS.pending : COLORS[type];
    const hl = highlight.has(s.invoke.index) || (s.completion !== undefined && highlight.has(s.completion.index));
    body += `<rect x="${x1.toFixed(1)}" y="${(top + s.lane * laneH + 1).toFixed(1)}" width="${Math.max(1.5, x2 - x1).toFixed(1)}" height="${laneH - 2}" fill="${color}"${hl ? ' stroke="#d00" stroke-width="2"' : ''}><title>${esc(spanTitle(s))}</title></rect>`;
  }
  const w = a.x0 + a.width + 10;
  return `<svg width="${w}" height="${top + height + 20}" xmlns="http://www.w3.org/2000/svg" font-family="sans-serif">${body}</svg>`;
}

function latencyPlot(spans: readonly Span[], a: Axis, events: readonly NemesisEvent[], endMs: number): string {
  const h = 220;
  const top = 10;
  const lat = spans.filter((s) => s.completion !== undefined).map((s) => ({ t: ms(s.completion?.time ?? 0n), l: Math.max(0.1, ms(s.completion?.time ?? 0n) - ms(s.invoke.time)), type: s.completion?.type ?? 'ok' }));
  const maxL = Math.max(10, ...lat.map((p) => p.l));
  const lo = Math.log10(0.1);
  const hi = Math.log10(maxL * 1.2);
  const yOf = (l: number) => top + h - ((Math.log10(l) - lo) / (hi - lo)) * h;
  let body = nemesisBands(events, a, top, h, endMs) + timeTicks(a, h, top);
  for (const d of [0.1, 1, 10, 100, 1000, 10000, 100000]) {
    if (d > maxL * 1.2) break;
    const y = yOf(d).toFixed(1);
    body += `<line x1="${a.x0}" x2="${a.x0 + a.width}" y1="${y}" y2="${y}" stroke="#eee"/><text x="${a.x0 - 4}" y="${y}" font-size="9" text-anchor="end">${d} ms</text>`;
  }
  for (const p of lat) {
    const color = p.type === 'invoke' ? COLORS.pending : COLORS[p.type];
    body += `<circle cx="${xOf(a, p.t).toFixed(1)}" cy="${yOf(p.l).toFixed(1)}" r="1.6" fill="${color}" opacity="0.7"/>`;
  }
  return `<svg width="${a.x0 + a.width + 10}" height="${top + h + 20}" xmlns="http://www.w3.org/2000/svg" font-family="sans-serif">${body}</svg>`;
}

function throughputPlot(spans: readonly Span[], a: Axis, events: readonly NemesisEvent[], endMs: number): string {
  const h = 160;
  const top = 10;
  const bucketMs = Math.max(250, Math.ceil((a.t1 - a.t0) / 120 / 250) * 250);
  const n = Math.ceil((a.t1 - a.t0) / bucketMs) + 1;
  const series: Record<'ok' | 'fail' | 'info', number[]> = { ok: new Array<number>(n).fill(0), fail: new Array<number>(n).fill(0), info: new Array<number>(n).fill(0) };
  for (const s of spans) {
    const c = s.completion;
    if (c === undefined || c.type === 'invoke') continue;
    const b = Math.floor((ms(c.time) - a.t0) / bucketMs);
    const arr = series[c.type];
    if (b >= 0 && b < n) arr[b] = (arr[b] ?? 0) + 1;
  }
  const perSec = (x: number) => (x * 1000) / bucketMs;
  const maxY = Math.max(1, ...Object.values(series).flat().map(perSec));
  const yOf = (v: number) => top + h - (v / maxY) * h;
  let body = nemesisBands(events, a, top, h, endMs) + timeTicks(a, h, top);
  for (const frac of [0, 0.5, 1]) {
    const y = yOf(maxY * frac).toFixed(1);
    body += `<line x1="${a.x0}" x2="${a.x0 + a.width}" y1="${y}" y2="${y}" stroke="#eee"/><text x="${a.x0 - 4}" y="${y}" font-size="9" text-anchor="end">${Math.round(maxY * frac)}/s</text>`;
  }
  for (const type of ['ok', 'fail', 'info'] as const) {
    const pts = series[type].map((v, i) => `${xOf(a, a.t0 + (i + 0.5) * bucketMs).toFixed(1)},${yOf(perSec(v)).toFixed(1)}`).join(' ');
    body += `<polyline points="${pts}" fill="none" stroke="${COLORS[type]}" stroke-width="1.5"/>`;
  }
  return `<svg width="${a.x0 + a.width + 10}" height="${top + h + 20}" xmlns="http://www.w3.org/2000/svg" font-family="sans-serif">${body}</svg>`;
}

function opsTable(ops: readonly RecordedOp[], highlight: ReadonlySet<number>): string {
  const rows = ops
    .map(
      (op) =>
        `<tr${highlight.has(op.index) ? ' class="hl"' : ''}><td>${op.index}</td><td>${(ms(op.time) / 1000).toFixed(3)}</td><td>${esc(String(op.process))}</td><td>${op.type}</td><td>${esc(op.f)}</td><td><code>${esc(printEdn(op.value))}</code></td><td>${esc(op.node ?? '')}</td><td>${esc(op.session ?? '')}</td><td>${op.zxid === undefined ? '' : `0x${op.zxid.toString(16)}`}</td><td>${op.error === undefined ? '' : esc(printEdn(op.error))}</td></tr>`,
    )
    .join('\n');
  return `<table class="ops"><tr><th>index</th><th>time s</th><th>process</th><th>type</th><th>f</th><th>value</th><th>node</th><th>session</th><th>zxid</th><th>error</th></tr>${rows}</table>`;
}

export function renderReport(input: ReportInput): string {
  const { config, result, history } = input;
  const spans = spansOf(history, config.concurrency);
  const endMs = history.length === 0 ? 1 : ms(history[history.length - 1]?.time ?? 0n);
  const axis: Axis = { t0: 0, t1: Math.max(1, endMs), x0: 50, width: 1100 };
  const highlight = new Set<number>(result.verdicts.flatMap((v) => [...(v.culprits ?? []), ...(v.window?.ops ?? [])]));
  const verdictText = result.valid === true ? 'VALID' : result.valid === false ? 'INVALID' : 'UNKNOWN';
  const verdictColor = result.valid === true ? '#2e9d4b' : result.valid === false ? '#c62828' : '#9e7700';
  const verdictRows = result.verdicts
    .map(
      (v, i) =>
        `<tr><td>${esc(v.checker)}</td><td style="color:${v.valid === true ? '#2e9d4b' : v.valid === false ? '#c62828' : '#9e7700'}">${String(v.valid)}</td><td>${esc(v.summary)}</td><td><details><summary>details</summary><pre>${esc(JSON.stringify(v.details ?? null, (_, x: unknown) => (typeof x === 'bigint' ? x.toString() : x), 2).slice(0, 20000))}</pre></details></td></tr>${
          v.window === undefined ? '' : `<tr><td colspan="4" id="w${i}"></td></tr>`
        }`,
    )
    .join('\n');
  let failures = '';
  for (const v of result.verdicts) {
    if (v.valid !== false) continue;
    const idx = new Set(v.window?.ops ?? v.culprits ?? []);
    const ops = history.filter((op) => idx.has(op.index));
    if (ops.length === 0) continue;
    const t0 = Math.min(...ops.map((op) => ms(op.time)));
    const t1 = Math.max(...ops.map((op) => ms(op.time)));
    const pad = Math.max(5, (t1 - t0) * 0.1);
    const zoom: Axis = { t0: Math.max(0, t0 - pad), t1: t1 + pad, x0: 50, width: 1100 };
    const zoomSpans = spans.filter((s) => idx.has(s.invoke.index));
    failures += `<h3>${esc(v.checker)}: ${v.window === undefined ? 'operations involved' : 'shortest failing window'}</h3>
<p>${esc(v.window?.note ?? v.summary)}</p>
${timeline(zoomSpans, input.nemesisEvents, config.concurrency, zoom, new Set(v.culprits ?? []), endMs)}
${opsTable(ops, new Set(v.culprits ?? []))}`;
  }
  const nemesisRows = history
    .filter((op) => op.process === 'nemesis')
    .map((op) => `<tr><td>${(ms(op.time) / 1000).toFixed(2)}</td><td>${esc(op.f)}</td><td><code>${esc(printEdn(op.value))}</code></td></tr>`)
    .join('\n');
  const nodeLinks = Array.from({ length: config.nodes }, (_, i) => `<a href="n${i + 1}/server.log">n${i + 1}/server.log</a>`).join(' · ');
  const s = result.stats;
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${esc(config.workload)} ${verdictText} — zk-ts jepsen</title>
<style>
body{font-family:sans-serif;margin:20px;color:#222}
h1{font-size:20px} h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd} h3{font-size:15px}
table{border-collapse:collapse;font-size:12px} td,th{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}
table.ops tr.hl td{background:#fde0dc} code{font-size:11px} pre{font-size:11px;max-height:300px;overflow:auto}
.verdict{font-size:26px;font-weight:bold;color:${verdictColor}}
.legend span{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px}
.scroll{overflow-x:auto}
</style></head><body>
<h1>${esc(config.workload)} on ${config.nodes} × ${esc(config.server)} (${esc(config.net)} network), nemesis ${esc(config.nemesis)}, seed ${config.seed}</h1>
<div class="verdict">${verdictText}</div>
${result.error === undefined ? '' : `<pre style="color:#c62828">${esc(result.error)}</pre>`}
<p>${s.ops} client ops (${s.ok} ok, ${s.fail} fail, ${s.info} info) in ${(s.durationMs / 1000).toFixed(1)} s; ${s.nemesisOps} nemesis records; quorum after healing: ${String(s.finalQuorum)}; client ${esc(config.client)}; read mode ${esc(config.readMode)}${s.clientCrashes > 0 ? `; <b>${s.clientCrashes} client library crashes</b> (see :client-crash events)` : ''}.
Files: <a href="history.edn">history.edn</a> · <a href="config.json">config.json</a> · <a href="results.json">results.json</a> · ${nodeLinks}</p>
${s.skippedNemeses.length === 0 ? '' : `<p>Skipped nemeses: ${s.skippedNemeses.map((k) => `<b>${esc(k.name)}</b> (${esc(k.reason)})`).join('; ')}</p>`}
<h2>Verdicts</h2>
<table><tr><th>checker</th><th>valid</th><th>summary</th><th></th></tr>${verdictRows}</table>
${failures === '' ? '' : `<h2>Failures</h2>${failures}`}
<h2>Timeline</h2>
<div class="legend">ops: <span style="background:${COLORS.ok}"></span>ok<span style="background:${COLORS.fail}"></span>fail<span style="background:${COLORS.info}"></span>info<span style="background:${COLORS.pending}"></span>no completion; shaded bands: nemesis faults; red outline: ops of a violation. Hover for details.
<label style="margin-left:20px"><input type="checkbox" id="wide"> wide</label></div>
<div class="scroll" id="tl">${timeline(spans, input.nemesisEvents, config.concurrency, axis, highlight, endMs)}</div>
<h2>Latency</h2>
${latencyPlot(spans, axis, input.nemesisEvents, endMs)}
<h2>Throughput (completions per second)</h2>
${throughputPlot(spans, axis, input.nemesisEvents, endMs)}
<h2>Nemesis</h2>
<table><tr><th>time s</th><th>f</th><th>value</th></tr>${nemesisRows}</table>
<script>
document.getElementById('wide').addEventListener('change', function (e) {
  var svg = document.querySelector('#tl svg');
  var w = Number(svg.getAttribute('data-w') || svg.getAttribute('width'));
  svg.setAttribute('data-w', String(w));
  svg.setAttribute('viewBox', '0 0 ' + w + ' ' + svg.getAttribute('height'));
  svg.setAttribute('width', String(e.target.checked ? w * 4 : w));
  svg.setAttribute('preserveAspectRatio', 'none');
});
</script>
</body></html>
`;
}

export function writeReport(dir: string, input: ReportInput): string {
  const path = join(dir, 'report.html');
  writeFileSync(path, renderReport(input));
  return path;
}
