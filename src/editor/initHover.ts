import * as vscode from 'vscode';
import { getLocation } from 'jsonc-parser';
import { type LayerReport, readNetwork, yamlPointerAt } from '../engine';
import { childPointer } from '../engine/format/problem';
import { formatNumber } from '../engine/report/formatNumber';
import type { NetworkDiagnostics } from './diagnostics';

/**
 * Hover on a layer's `init` (a Keras layer's `kernel_initializer`): the std its scheme gives for the layer's fan,
 * σ_w² = fanIn·Var(W), the fans and the predicted output std at that layer (for every copy a `repeat` makes). In a
 * framework's config (a Hugging Face config.json, a GPT-NeoX YAML), hover on a key: the weights it draws with their
 * std, and the layers it decides.
 */
export class InitHover implements vscode.HoverProvider {
  constructor(private readonly diagnostics: NetworkDiagnostics) {}

  provideHover(doc: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const analysis = this.diagnostics.analysisOf(doc.uri);
    if (!analysis || analysis.version !== doc.version) return undefined;
    const source = analysis.report.source;
    // A Hugging Face or GPT-NeoX config decides inits by keys; a Keras or TF.js file, like the engine's own, per layer.
    if (source && source.format !== 'keras' && source.format !== 'tfjs') {
      const offset = doc.offsetAt(position);
      const pointer = doc.languageId === 'yaml' ? yamlPointerAt(analysis.text, offset) : getLocation(analysis.text, offset).path.reduce<string>(childPointer, '');
      return pointer ? keyHover(analysis.text, analysis.report.layers, pointer) : undefined;
    }
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

/** A framework's config key: the parameters whose init it decides (and their std), the layers it decides (their predicted std). */
function keyHover(text: string, layers: LayerReport[], pointer: string): vscode.Hover | undefined {
  const roles = readNetwork(text).map?.roles().filter((r) => r.key === pointer) ?? [];
  const decided = layers.filter((l) => l.path === pointer);
  if (roles.length === 0 && decided.length === 0) return undefined;
  const md = new vscode.MarkdownString();
  md.appendMarkdown(`**Init Inspector** · \`${pointer.slice(1)}\`\n\n`);
  if (roles.length > 0) {
    md.appendMarkdown('| draws | weight std |\n|---|---|\n');
    for (const r of roles) md.appendMarkdown(`| ${r.parameters.map((n) => `\`${n}\``).join(', ')} | ${formatNumber(r.std)} |\n`);
    md.appendMarkdown('\n');
  }
  if (decided.length > 0) {
    md.appendMarkdown('| layer | predicted output std |\n|---|---|\n');
    const names = [...new Set(decided.map((l) => l.name))];
    for (const name of names) md.appendMarkdown(`| ${name} | ${decided.filter((l) => l.name === name).map((l) => formatNumber(l.predicted?.activationStd)).join(' → ')} |\n`);
  }
  return new vscode.Hover(md);
}
