// The one clock the engine reads: `performance.now()`, for the report's timings (src/engine/analyze.ts, which falls
// back to Date.now() where it is missing). ES2022's lib has no `performance`; lib.dom and @types/node declare much
// more than the engine may use. Engine-only: the host and the tests see Node's or lib.dom's declaration instead.
declare const performance: { now(): number } | undefined;
