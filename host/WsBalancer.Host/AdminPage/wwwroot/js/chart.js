// A line chart drawn as SVG from the samples the page keeps; no library. Coordinates use the viewBox (600 × 200), the
// SVG scales to its box and strokes keep their width (vector-effect: non-scaling-stroke).

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 600;
const HEIGHT = 200;
const LEFT = 44;
const BOTTOM = 18;
const TOP = 8;

function node(tag, attributes) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  return element;
}

/** A round upper bound for the y axis (1, 2, 5 × 10^n), so the grid lines fall on readable numbers. */
export function niceMax(value) {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) {
    if (value <= step * power) return step * power;
  }
  return 10 * power;
}

/**
 * Draws series = [{ className: 'series-1', points: [{ t: ms, v: number }] }] over the window ending at now.
 * windowMs: the span shown (the overview grows it from one minute to 15 as the page collects samples).
 * Text alternative: the caller's aria-label plus a <title> with the latest values.
 */
export function drawChart(svg, series, { windowMs, now = Date.now(), summary }) {
  const start = now - windowMs;
  const max = Math.max(4, niceMax(Math.max(0, ...series.flatMap((s) => s.points.filter((p) => p.v !== null).map((p) => p.v)))));
  const x = (t) => LEFT + ((t - start) / windowMs) * (WIDTH - LEFT - 4);
  const y = (v) => HEIGHT - BOTTOM - (v / max) * (HEIGHT - BOTTOM - TOP);
  svg.replaceChildren();
  svg.append(node('title', {}));
  svg.firstChild.textContent = summary;
  for (let i = 0; i <= 4; i++) {
    const value = (max * i) / 4;
    svg.append(node('line', { class: 'grid', x1: LEFT, x2: WIDTH, y1: y(value), y2: y(value) }));
    const label = node('text', { class: 'axis-label', x: LEFT - 6, y: y(value) + 4, 'text-anchor': 'end' });
    label.textContent = String(Number(value.toFixed(2)));
    svg.append(label);
  }
  for (const part of [3, 2, 1, 0]) {
    const ago = (windowMs * part) / 3;
    const label = node('text', { class: 'axis-label', x: x(now - ago), y: HEIGHT - 4, 'text-anchor': part === 3 ? 'start' : part === 0 ? 'end' : 'middle' });
    label.textContent = ago === 0 ? 'now' : ago < 120000 ? `-${Math.round(ago / 1000)} s` : `-${Math.round(ago / 60000)} min`;
    svg.append(label);
  }
  for (const line of series) {
    const visible = line.points.filter((p) => p.t >= start && p.v !== null);
    if (visible.length === 0) continue;
    const points = visible.map((p) => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ');
    svg.append(node('polyline', { class: `series ${line.className}`, points }));
  }
}
