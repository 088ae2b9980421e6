/** Chart colours read from the VS Code theme's CSS variables, so dark, light and high-contrast themes all read well. */
export interface ChartTheme {
  sampled: string;
  predicted: string;
  gradient: string;
  gradientPredicted: string;
  saturated: string;
  dead: string;
  histogram: string;
  foreground: string;
  grid: string;
  background: string;
  font: string;
}

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.body).getPropertyValue(name).trim();
  return v || fallback;
}

/**
 * A series colour without its alpha: themes may define a chart colour translucent (Dark Modern's charts.orange is
 * rgba(234, 92, 0, 0.33), meant for fills), which reads as brown on a thin dashed line. '#rrggbbaa' → '#rrggbb',
 * 'rgba(r, g, b, a)' → 'rgb(r, g, b)'; other forms unchanged.
 */
export function opaque(color: string): string {
  const hex = /^#([0-9a-f]{6})[0-9a-f]{2}$/i.exec(color);
  if (hex) return `#${hex[1]}`;
  const short = /^#([0-9a-f])([0-9a-f])([0-9a-f])[0-9a-f]$/i.exec(color);
  if (short) return `#${short[1]}${short[2]}${short[3]}`;
  const rgba = /^rgba\(\s*([^,]+),\s*([^,]+),\s*([^,]+),\s*[^)]+\)$/.exec(color);
  return rgba ? `rgb(${rgba[1]}, ${rgba[2]}, ${rgba[3]})` : color;
}

export function chartTheme(): ChartTheme {
  const series = (name: string, fallback: string): string => opaque(cssVar(name, fallback));
  return {
    sampled: series('--vscode-charts-blue', '#3794ff'),
    predicted: series('--vscode-charts-orange', '#d18616'),
    gradient: series('--vscode-charts-purple', '#b180d7'),
    gradientPredicted: series('--vscode-charts-green', '#89d185'),
    saturated: series('--vscode-charts-yellow', '#cca700'),
    dead: series('--vscode-charts-red', '#f14c4c'),
    histogram: series('--vscode-charts-blue', '#3794ff'),
    foreground: cssVar('--vscode-foreground', '#cccccc'),
    grid: cssVar('--vscode-charts-lines', 'rgba(128,128,128,0.35)'),
    background: cssVar('--vscode-editor-background', '#1e1e1e'),
    font: cssVar('--vscode-font-family', 'sans-serif'),
  };
}

/** Calls `onChange` when VS Code switches theme (it changes the body's classes). */
export function watchTheme(onChange: () => void): void {
  new MutationObserver(onChange).observe(document.body, { attributes: true, attributeFilter: ['class', 'data-vscode-theme-kind'] });
}
