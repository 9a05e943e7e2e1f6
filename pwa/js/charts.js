// SVG charts drawn by hand: a funnel and grouped bars. Each comes with its data as a table
// (screen readers, and the CSV export) so the picture is never the only way to read it.

import { html, raw, escape } from './dom.js';
import { fmtNumber } from './i18n.js';

export const PALETTE = ['#0b5cad', '#d97706', '#1b7a3d', '#7c3aed', '#b3261e', '#0e7490'];

let uid = 0;

/**
 * Funnel: one centered bar per stage, width ∝ value; `note` printed on the right (conversion).
 * @param {{label: string, value: number, display?: string, note?: string}[]} rows
 * @param {string} title
 * @param {{table?: boolean}} [options] table: add the data as a collapsed table
 */
export function funnelChart(rows, title, { table = true } = {}) {
  const id = `chart-${++uid}`;
  const width = 640;
  const rowH = 40;
  const labelW = 150;
  const noteW = 110;
  const barMax = width - labelW - noteW;
  const max = Math.max(1, ...rows.map((r) => r.value));
  const height = rows.length * rowH + 8;
  const bars = rows.map((r, i) => {
    const w = Math.max(2, (r.value / max) * barMax);
    const x = labelW + (barMax - w) / 2;
    const y = i * rowH + 4;
    return `<g><text x="${labelW - 8}" y="${y + rowH / 2 + 4}" text-anchor="end">${escape(r.label)}</text>
      <rect x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${rowH - 8}" rx="4" fill="${PALETTE[0]}" opacity="${(1 - i * 0.08).toFixed(2)}"></rect>
      <text x="${labelW + barMax / 2}" y="${y + rowH / 2 + 4}" text-anchor="middle" style="fill:${w > 60 ? '#fff' : '#1b1f24'}">${escape(r.display ?? fmtNumber(r.value))}</text>
      <text x="${width - noteW + 8}" y="${y + rowH / 2 + 4}" class="muted">${escape(r.note ?? '')}</text></g>`;
  }).join('');
  return html`<figure class="chart funnel">
    <svg viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="${id}-t">
      <title id="${id}-t">${title}</title>${raw(bars)}</svg>
    ${table ? dataTable(title, ['', '', ''], rows.map((r) => [r.label, r.display ?? fmtNumber(r.value), r.note ?? ''])) : ''}
  </figure>`;
}

/**
 * Grouped vertical bars.
 * @param {{categories: string[], series: {name: string, values: number[]}[]}} data
 * @param {string} title
 * @param {{table?: boolean}} [options]
 */
export function barChart(data, title, { table = true } = {}) {
  const id = `chart-${++uid}`;
  const width = 640;
  const height = 260;
  const pad = { left: 40, right: 8, top: 10, bottom: 46 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const max = niceMax(Math.max(1, ...data.series.flatMap((s) => s.values)));
  const groupW = plotW / Math.max(1, data.categories.length);
  const barW = Math.max(2, (groupW * 0.8) / Math.max(1, data.series.length));
  let out = '';
  for (let i = 0; i <= 4; i++) {
    const v = (max / 4) * i;
    const y = pad.top + plotH - (v / max) * plotH;
    out += `<line class="axis" x1="${pad.left}" x2="${width - pad.right}" y1="${y}" y2="${y}"></line>
      <text x="${pad.left - 6}" y="${y + 4}" text-anchor="end">${escape(fmtNumber(v))}</text>`;
  }
  data.categories.forEach((cat, ci) => {
    const gx = pad.left + ci * groupW + groupW * 0.1;
    data.series.forEach((s, si) => {
      const v = s.values[ci] || 0;
      const h = (v / max) * plotH;
      out += `<rect x="${(gx + si * barW).toFixed(1)}" y="${(pad.top + plotH - h).toFixed(1)}" width="${(barW - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="${PALETTE[si % PALETTE.length]}"><title>${escape(`${s.name} · ${cat}: ${fmtNumber(v)}`)}</title></rect>`;
    });
    const label = cat.length > 10 ? cat.slice(0, 9) + '…' : cat;
    out += `<text x="${(pad.left + ci * groupW + groupW / 2).toFixed(1)}" y="${height - pad.bottom + 16}" text-anchor="middle">${escape(label)}</text>`;
  });
  return html`<figure class="chart bars">
    <div class="legend">${data.series.map((s, i) => html`<span><i style="background:${PALETTE[i % PALETTE.length]}"></i>${s.name}</span>`)}</div>
    <svg viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="${id}-t">
      <title id="${id}-t">${title}</title>${raw(out)}</svg>
    ${table ? dataTable(title, ['', ...data.series.map((s) => s.name)],
      data.categories.map((c, ci) => [c, ...data.series.map((s) => fmtNumber(s.values[ci] || 0))])) : ''}
  </figure>`;
}

function niceMax(value) {
  const step = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * step >= value) return m * step;
  return 10 * step;
}

/** A collapsed data table under each chart. */
function dataTable(caption, head, rows) {
  return html`<details class="small"><summary>${caption}</summary><div class="table-wrap"><table>
    <thead><tr>${head.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead>
    <tbody>${rows.map((r) => html`<tr>${r.map((c, i) => (i ? html`<td class="num">${c}</td>` : html`<th scope="row">${c}</th>`))}</tr>`)}</tbody>
  </table></div></details>`;
}

/** Rows → CSV text (RFC 4180 quoting) and a download. */
export function downloadCsv(filename, rows) {
  const text = rows.map((r) => r.map((c) => {
    const s = String(c ?? '');
    return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  }).join(',')).join('\n');
  saveBlob(filename, new Blob(['\ufeff' + text], { type: 'text/csv;charset=utf-8' }));
}

/** Offer a Blob as a download. */
export function saveBlob(filename, blob) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
