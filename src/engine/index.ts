/** The engine's public surface, for the extension host, the worker, the CLI and the tests. */
export { analyze, type AnalyzeOptions } from './analyze';
export { parseNetwork, isNetworkDescription, type ParseResult } from './format/parseNetwork';
export { readNetwork, detectNetworkFormat, isModelDescription, sourceLocator, sourceFixEdits, applySourceFixes } from './import/formats';
export { yamlPointerAt } from './import/yamlDocument';
export type { ImportedSource, ReadResult } from './import/importedNetwork';
export { pointerLocator, type Location } from './format/pointer';
export type { Report, LayerReport, Finding, Fix, Mode, Severity, FindingCode } from './report/report';
export { FINDING_CODES } from './report/report';
export { RUN_BOUNDS, isValidSeed, isValidBatchSize } from './format/bounds';
export type { Problem } from './format/problem';
export { DEFAULT_BUDGET, MAX_BUDGET, type Budget } from './sampled/cost';
export { FINDING_THRESHOLDS } from './findings/thresholds';
export { fixEdits, applyFixes, inlineJson, type TextEdit } from './edit/applyFix';
export { applyWhatIf, whatIfFixes, isWhatIfScheme, type WhatIf } from './edit/whatIf';
export type { NetworkSpec } from './format/networkSpec';
export { INIT_SCHEMES } from './init/initSpec';
export { createWasmBackend, wasmSimdSupported } from './backend/wasm/wasmBackend';
export type { ComputeBackend } from './backend/computeBackend';
