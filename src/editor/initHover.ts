import * as vscode from 'vscode';
import { getLocation } from 'jsonc-parser';
import type { LayerReport } from '../engine';
import { childPointer } from '../engine/format/problem';
import { formatNumber } from '../engine/report/formatNumber';
import type { NetworkDiagnostics } from './diagnostics';

/**
 * Hover on a layer's `init` (a Keras layer's `kernel_initializer`): the std its scheme gives for the layer's fan, σ_w² = fanIn·Var(W), the fans and the
 * predicted output std at that layer (for every copy a `repeat` makes).
 */
export class InitHover implements vscode.HoverProvider {
  constructor(private readonly diagnostics: NetworkDiagnostics) {}

  provideHover(doc: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const analysis = this.diagnostics.analysisOf(doc.uri);
    if (!analysis || analysis.version !== doc.version) return undefined;
    const path = getLocation(analysis.text, doc.offsetAt(position)).path;
    const at = path.lastIndexOf('init');
    // A Keras layer's kernel initializer sits in its config: `/…/layers/3/config/kernel_initializer`.
    let keras = path.length - 1;
    while (keras >= 0 && !(typeof path[keras] === 'string' && /^(kernel|embeddings)_initializer$/.test(String(path[keras])))) keras--;
    if (at < 0 && !(keras > 0 && path[keras - 1] === 'config')) return undefined;
    const layerPointer = (at >= 0 ? path.slice(0, at) : path.slice(0, keras - 1)).reduce<string>(childPointer, '');
    const copies = analysis.report.layers.filter((l) => l.path === layerPointer && l.init);
    if (copies.length === 0) return undefined;
    return new vscode.Hover(describe(copies));
  }
}

function describe(copies: LayerReport[]): vscode.MarkdownString {
  const first = copies[0];
  const init = first.init!;
  const variance = (first.fanIn ?? 0) * init.std * init.std;
  const stds = copies.map((l) => formatNumber(l.predicted?.activationStd));
  const md = new vscode.MarkdownString();
  md.appendMarkdown(`**Init Inspector** · \`${init.label}\`${init.source === 'assumed' ? ' (assumed: PyTorch default)' : ''}\n\n`);
  md.appendMarkdown(`| | |\n|---|---|\n`);
  md.appendMarkdown(`| weight std | ${formatNumber(init.std)} |\n`);
  md.appendMarkdown(`| σ_w² = fanIn·Var(W) | ${formatNumber(variance)} |\n`);
  md.appendMarkdown(`| fanIn / fanOut | ${first.fanIn} / ${first.fanOut} |\n`);
  md.appendMarkdown(`| predicted output std | ${stds.length > 1 ? `${stds.join(' → ')} (${copies.length} copies)` : stds[0]} |\n`);
  if (first.predicted?.chi != null) md.appendMarkdown(`| χ₁ = σ_w²·E[φ′(z)²] | ${formatNumber(first.predicted.chi)} |\n`);
  return md;
}
