import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

export const PANEL_VIEW_TYPE = 'initInspector.analysis';

/** Webview options: scripts on, and only dist/ and media/ readable. */
export function panelOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return {
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')],
  };
}

/**
 * The panel's HTML, the only place it is built: every asset through `asWebviewUri`, a Content-Security-Policy of
 * `default-src 'none'` with scripts and styles by nonce (no 'unsafe-eval', nothing remote).
 */
export function panelHtml(webview: vscode.Webview, extensionUri: vscode.Uri): string {
  const nonce = randomBytes(16).toString('base64');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview.js'));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'panel.css'));
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource} data:`,
    `style-src ${webview.cspSource} 'nonce-${nonce}'`,
    `font-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${csp}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <meta property="csp-nonce" content="${nonce}">
  <link rel="stylesheet" href="${style}" nonce="${nonce}">
  <title>Init Inspector</title>
</head>
<body>
  <div id="app" data-state="loading"><p class="placeholder">Analyzing…</p></div>
  <script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
}
