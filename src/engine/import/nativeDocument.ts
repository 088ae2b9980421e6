import { childPointer } from '../format/problem';
import { pointerSegments } from '../format/pointer';

/**
 * How a Hugging Face (or other framework's) parameter is initialized, for fixes written in that framework's terms: the
 * parameters it covers (names as `model.named_parameters()` gives them, `*` for a block index), the std drawn, and
 * the config key that sets it (std = factor × the key's value), or null when the std is fixed in the modelling code.
 */
export interface InitRole {
  parameters: string[];
  std: number;
  /** JSON pointer of the config key that scales it (present or not), or null. */
  key: string | null;
  keyName: string;
  keyValue: number;
  factor: number;
}

/**
 * Where a generated layer comes from in the imported file: the pointer of the key that decides it, the pointers of
 * the keys behind its properties, and the roles of its inits (by the property that holds each: `init`, `out_init`…).
 */
export interface Origin {
  pointer: string;
  keys?: Readonly<Record<string, string>>;
  inits?: Readonly<Record<string, InitRole>>;
  /** Numbers a fix needs to translate (an attention's `scale`). */
  values?: Readonly<Record<string, number>>;
}

/** The translation of the generated native document's pointers into the imported file's. */
export interface PointerMap {
  /** The imported file's pointer for a pointer of the generated document (its layer's key, or that of the property under it). */
  toSource(nativePointer: string): string;
  /** The origin of the deepest generated layer at or above a pointer, and the property under it that the pointer names. */
  originAt(nativePointer: string): { origin: Origin; property: string | null; layerPointer: string } | null;
  /** Every generated layer's pointer whose layer comes from the imported file's pointer `source`. */
  fromSource(source: string): string[];
  /** Every init role of the document. */
  roles(): InitRole[];
}

/**
 * Builds a network description in the engine's own format from an imported file, remembering where each layer came
 * from: an importer writes plain layer objects (`layer(object, origin)`), the engine's own parser reads them (so every
 * op reads its layers the one way), and `build` returns the text with the map from its pointers to the imported file's.
 */
export class NativeDocument {
  private readonly origins = new WeakMap<object, Origin>();

  /** Marks a generated layer object with its origin; returns it. */
  layer<T extends object>(object: T, origin: Origin): T {
    this.origins.set(object, origin);
    return object;
  }

  /** The document as text, and its pointer map (every marked object found by one walk of the document). */
  build(document: object): { text: string; map: PointerMap } {
    const byPointer = new Map<string, Origin>();
    const pending: [unknown, string][] = [[document, '']];
    for (let item = pending.pop(); item; item = pending.pop()) {
      const [value, pointer] = item;
      if (value === null || typeof value !== 'object') continue;
      const origin = this.origins.get(value);
      if (origin) byPointer.set(pointer, origin);
      if (Array.isArray(value)) value.forEach((v, i) => pending.push([v, childPointer(pointer, i)]));
      else for (const [k, v] of Object.entries(value)) pending.push([v, childPointer(pointer, k)]);
    }
    const originAt: PointerMap['originAt'] = (nativePointer) => {
      const segments = pointerSegments(nativePointer);
      for (let used = segments.length; used >= 0; used--) {
        const prefix = segments.slice(0, used).reduce<string>(childPointer, '');
        const origin = byPointer.get(prefix);
        if (origin) return { origin, property: used < segments.length ? segments[used] : null, layerPointer: prefix };
      }
      return null;
    };
    const map: PointerMap = {
      originAt,
      toSource(nativePointer) {
        const found = originAt(nativePointer);
        if (!found) return '';
        return (found.property !== null ? found.origin.keys?.[found.property] : undefined) ?? found.origin.pointer;
      },
      fromSource: (source) => [...byPointer.entries()].filter(([, o]) => o.pointer === source).map(([p]) => p),
      roles: () => [...byPointer.values()].flatMap((o) => Object.values(o.inits ?? {})),
    };
    return { text: JSON.stringify(document), map };
  }
}
