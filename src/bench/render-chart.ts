import type { SizeResult } from './bench-result.js';

/**
 * An SVG line chart of cost (median ms) against cell size (peers), one line per scenario,
 * solid for 10 links and dashed for 100. Linear axes, so linear growth looks straight. Pure.
 */

const WIDTH = 760;
const HEIGHT = 440;
const PAD = { left: 64, right: 190, top: 30, bottom: 50 };

const SERIES: readonly { readonly name: string; readonly color: string; readonly value: (s: SizeResult) => number }[] =
  [
    { name: 'floor (save + restore + save)', color: '#888888', value: (s) => s.floor.median },
    { name: 'full converge', color: '#d62728', value: (s) => s.full.median },
    { name: 'no-op reconcile', color: '#1f77b4', value: (s) => s.noop.median },
    { name: 'observe only', color: '#17becf', value: (s) => s.observe.median },
    { name: 'one-peer change (save → verified)', color: '#2ca02c', value: (s) => s.change.latency.median },
  ];

/** A round step giving about `count` ticks up to `max`. */
export function tickStep(max: number, count = 5): number {
  if (max <= 0) return 1;
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw);
  return step ?? 10 * magnitude;
}

function ticks(max: number): number[] {
  const step = tickStep(max);
  const out: number[] = [];
  for (let v = 0; v <= max + step / 2; v += step) out.push(v);
  return out;
}

export function renderChart(sizes: readonly SizeResult[], title: string): string {
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const xTicks = ticks(Math.max(1, ...sizes.map((s) => s.peers)));
  const yTicks = ticks(Math.max(1, ...sizes.flatMap((s) => SERIES.map((series) => series.value(s)))));
  const xMax = xTicks.at(-1) ?? 1;
  const yMax = yTicks.at(-1) ?? 1;
  const x = (v: number): number => PAD.left + (v / xMax) * plotW;
  const y = (v: number): number => PAD.top + plotH - (v / yMax) * plotH;
  const r = (v: number): string => v.toFixed(1);

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${PAD.left}" y="18" font-size="14" font-weight="bold">${title}</text>`,
  ];
  for (const t of yTicks) {
    parts.push(`<line x1="${PAD.left}" x2="${PAD.left + plotW}" y1="${r(y(t))}" y2="${r(y(t))}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${PAD.left - 6}" y="${r(y(t) + 4)}" text-anchor="end">${t}</text>`);
  }
  for (const t of xTicks) {
    parts.push(
      `<line x1="${r(x(t))}" x2="${r(x(t))}" y1="${PAD.top + plotH}" y2="${PAD.top + plotH + 4}" stroke="#333"/>`,
    );
    parts.push(`<text x="${r(x(t))}" y="${PAD.top + plotH + 18}" text-anchor="middle">${t}</text>`);
  }
  parts.push(
    `<line x1="${PAD.left}" x2="${PAD.left + plotW}" y1="${PAD.top + plotH}" y2="${PAD.top + plotH}" stroke="#333"/>`,
  );
  parts.push(`<line x1="${PAD.left}" x2="${PAD.left}" y1="${PAD.top}" y2="${PAD.top + plotH}" stroke="#333"/>`);
  parts.push(`<text x="${PAD.left + plotW / 2}" y="${HEIGHT - 10}" text-anchor="middle">peers in the cell</text>`);
  parts.push(
    `<text transform="translate(16 ${PAD.top + plotH / 2}) rotate(-90)" text-anchor="middle">median ms</text>`,
  );

  const linkCounts = [...new Set(sizes.map((s) => s.links))].sort((a, b) => a - b);
  for (const series of SERIES) {
    linkCounts.forEach((links, i) => {
      const points = sizes.filter((s) => s.links === links).sort((a, b) => a.peers - b.peers);
      const dash = i === 0 ? '' : ' stroke-dasharray="6 4"';
      parts.push(
        `<polyline fill="none" stroke="${series.color}" stroke-width="2"${dash} points="${points.map((s) => `${r(x(s.peers))},${r(y(series.value(s)))}`).join(' ')}"/>`,
      );
      for (const s of points)
        parts.push(`<circle cx="${r(x(s.peers))}" cy="${r(y(series.value(s)))}" r="3" fill="${series.color}"/>`);
    });
  }
  const legendX = PAD.left + plotW + 14;
  SERIES.forEach((series, i) => {
    const ly = PAD.top + 10 + i * 20;
    parts.push(
      `<line x1="${legendX}" x2="${legendX + 22}" y1="${ly}" y2="${ly}" stroke="${series.color}" stroke-width="2"/>`,
    );
    parts.push(`<text x="${legendX + 28}" y="${ly + 4}">${series.name}</text>`);
  });
  const noteY = PAD.top + 20 + SERIES.length * 20;
  linkCounts.forEach((links, i) => {
    const dash = i === 0 ? '' : ' stroke-dasharray="6 4"';
    parts.push(
      `<line x1="${legendX}" x2="${legendX + 22}" y1="${noteY + i * 20}" y2="${noteY + i * 20}" stroke="#333" stroke-width="2"${dash}/>`,
    );
    parts.push(`<text x="${legendX + 28}" y="${noteY + i * 20 + 4}">${links} cell links</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
