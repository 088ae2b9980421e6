import type { ChartTheme } from './theme';

/** All charts on one PNG: the three line/bar charts in a row, then the histograms, on the theme's background. */
export function chartsImage(canvases: NodeListOf<HTMLCanvasElement>, theme: ChartTheme): string {
  const list = [...canvases].filter((c) => c.width > 0 && c.height > 0);
  const big = list.filter((c) => !c.closest('#histograms'));
  const small = list.filter((c) => c.closest('#histograms'));
  const pad = 16;
  const rowWidth = (cs: HTMLCanvasElement[]): number => cs.reduce((w, c) => w + c.width + pad, pad);
  const perRow = 8;
  const smallRows: HTMLCanvasElement[][] = [];
  for (let i = 0; i < small.length; i += perRow) smallRows.push(small.slice(i, i + perRow));
  const width = Math.max(rowWidth(big), ...smallRows.map(rowWidth), 200);
  const bigHeight = Math.max(0, ...big.map((c) => c.height));
  const smallHeight = Math.max(0, ...small.map((c) => c.height));
  const out = document.createElement('canvas');
  out.width = width;
  out.height = pad + bigHeight + pad + smallRows.length * (smallHeight + pad);
  const ctx = out.getContext('2d')!;
  ctx.fillStyle = theme.background;
  ctx.fillRect(0, 0, out.width, out.height);
  let x = pad;
  for (const c of big) { ctx.drawImage(c, x, pad); x += c.width + pad; }
  let y = pad + bigHeight + pad;
  for (const row of smallRows) {
    x = pad;
    for (const c of row) { ctx.drawImage(c, x, y); x += c.width + pad; }
    y += smallHeight + pad;
  }
  return out.toDataURL('image/png');
}
