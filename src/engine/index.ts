/** The engine's public surface, for the extension host, the worker, the CLI and the tests. */
export { analyze, type AnalyzeOptions } from './analyze';
export { parseNetwork, isNetworkDescription, type ParseResult } from './parse';
export { pointerLocator, type Location } from './pointer';
export type { Report, LayerReport, Finding, Fix, Mode, Severity, FindingCode } from './report';
export { FINDING_CODES } from './report';
export type { Problem } from './problem';
export { DEFAULT_BUDGET, type Budget } from './cost';
export { FINDING_THRESHOLDS } from './findings';
export { fixEdits, applyFixes, inlineJson, type TextEdit } from './applyFix';
export { applyWhatIf, whatIfFixes, isWhatIfScheme, type WhatIf } from './whatIf';
export type { NetworkSpec } from './network';
export { INIT_SCHEMES } from './initSpec';
export { createWasmBackend, wasmSimdSupported } from './wasmBackend';
export type { ComputeBackend } from './compute';
