// How the extension host starts the engine process: its V8 flags and its memory caps, in one place.

/**
 * The engine process's JavaScript heap, in MiB: `--max-old-space-size` for its main thread and the engine worker's
 * `resourceLimits.maxOldGenerationSizeMb`. Tensors are not on this heap (they live in the WebAssembly memory, capped
 * by `KERNEL_MEMORY_LIMIT_BYTES`, or in typed arrays counted by the cost estimate); the heap holds the plan and the
 * report, some 2 KiB per layer, so 100,000 layers fit many times over.
 */
export const ENGINE_HEAP_MIB = 2048;

/**
 * The engine process's V8 flags. `--no-wasm-dynamic-tiering`: the kernels are compiled by V8's optimizing tier from
 * their first call (the baseline tier runs them several times slower until they tier up; lecture runs measured 10 to
 * 20% slower with tiering, the first one most). A V8 flag is process-wide, which is why the engine has a process of
 * its own: the extension host's (and other extensions') WebAssembly keeps VS Code's settings.
 */
export const ENGINE_EXEC_ARGV: readonly string[] = [`--max-old-space-size=${ENGINE_HEAP_MIB}`, '--no-wasm-dynamic-tiering'];
