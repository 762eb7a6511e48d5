/**
 * Call chains identify actors by key: `module + "/" + id`. Module names may not
 * contain "/" (checked at `register`), so a key names exactly one actor.
 */
export function actorKey(module: string, id: string): string {
  return `${module}/${id}`;
}

const SLASH = 47;

/**
 * Whether `chain` holds the key of `(module, id)`. Compares in place rather than
 * building the key, because it runs on every call that carries a chain.
 */
export function chainIncludes(chain: readonly string[], module: string, id: string): boolean {
  const length = module.length + 1 + id.length;
  for (let i = 0; i < chain.length; i++) {
    const key = chain[i];
    // A chain may come off the wire: anything but a string simply matches nothing.
    if (
      typeof key === "string" &&
      key.length === length &&
      key.charCodeAt(module.length) === SLASH &&
      key.startsWith(module) &&
      key.endsWith(id)
    ) {
      return true;
    }
  }
  return false;
}
