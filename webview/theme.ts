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

export function chartTheme(): ChartTheme {
  return {
    sampled: cssVar('--vscode-charts-blue', '#3794ff'),
    predicted: cssVar('--vscode-charts-orange', '#d18616'),
    gradient: cssVar('--vscode-charts-purple', '#b180d7'),
    gradientPredicted: cssVar('--vscode-charts-green', '#89d185'),
    saturated: cssVar('--vscode-charts-yellow', '#cca700'),
    dead: cssVar('--vscode-charts-red', '#f14c4c'),
    histogram: cssVar('--vscode-charts-blue', '#3794ff'),
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
