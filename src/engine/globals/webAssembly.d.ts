// The part of the WebAssembly JavaScript API that the engine's wasm backend (and the host's kernel threads, which
// run the same module on the same memory) use. ES2022's lib declares no `WebAssembly`; lib.dom does, and so would
// let every DOM global in, and @types/node 20 does not. Members are copied from TypeScript's lib.dom.d.ts
// (`declare namespace WebAssembly`, its `var`s written `const`), trimmed to what `src/engine/backend/wasm/` and
// `src/kernels/` call; add a member here, copied the same way, before using it. Included by src/engine/tsconfig.json
// and src/tsconfig.json; the webview and the tests compile with lib.dom, which declares all of it.

/** Bytes a WebAssembly module is compiled from (lib.dom.d.ts). */
type BufferSource = ArrayBufferView<ArrayBuffer> | ArrayBuffer;

declare namespace WebAssembly {
  interface Instance {
    readonly exports: Exports;
  }

  const Instance: {
    prototype: Instance;
    new(module: Module, importObject?: Imports): Instance;
  };

  interface Memory {
    readonly buffer: ArrayBuffer;
    grow(delta: number): number;
  }

  const Memory: {
    prototype: Memory;
    new(descriptor: MemoryDescriptor): Memory;
  };

  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- opaque, as in lib.dom.d.ts
  interface Module {}

  const Module: {
    prototype: Module;
    new(bytes: BufferSource): Module;
  };

  interface MemoryDescriptor {
    initial: number;
    maximum?: number;
    shared?: boolean;
  }

  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- an export is any function, as in lib.dom.d.ts
  type ExportValue = Function | Memory;
  type Exports = Record<string, ExportValue>;
  type ImportValue = ExportValue | number;
  type Imports = Record<string, ModuleImports>;
  type ModuleImports = Record<string, ImportValue>;

  function validate(bytes: BufferSource): boolean;
}
