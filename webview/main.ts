// The analysis panel's script (bundled to dist/webview.js). The panel itself arrives with the panel issue.
export {};
