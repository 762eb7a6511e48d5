import xxhash from "xxhash-wasm";

/**
 * The id hash every process must agree on: XXH32 (seed 0) of the UTF-8 bytes of
 * the string, as an unsigned 32-bit integer.
 */
export interface Hasher {
  hash32(input: string): number;
}

/** The seed is part of the cluster protocol: changing it re-shards every actor. */
export const HASH_SEED = 0;

// The WebAssembly module is compiled once per process, however many hashers are made.
let loaded: ReturnType<typeof xxhash> | undefined;

/**
 * Loads xxhash-wasm (once per process) and returns a hasher over it.
 * Await it at start-up; hashing itself is synchronous.
 */
export async function createHasher(): Promise<Hasher> {
  loaded ??= xxhash();
  const api = await loaded;
  const h32 = api.h32;
  return Object.freeze({ hash32: (input: string): number => h32(input, HASH_SEED) });
}
