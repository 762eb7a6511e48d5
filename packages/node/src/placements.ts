/**
 * Which capability placed each local actor. An actor id alone does not say which
 * ring it lives on (the same module may serve several capabilities), and
 * rebalancing must know which table's changes concern it. Nested maps avoid
 * building a `module/id` string on every call.
 */
export class Placements {
  readonly #byModule = new Map<string, Map<string, string>>();

  /** Records the capability of an actor if it has none yet. */
  record(module: string, id: string, capability: string): void {
    let ids = this.#byModule.get(module);
    if (ids === undefined) {
      ids = new Map();
      this.#byModule.set(module, ids);
    }
    if (!ids.has(id)) ids.set(id, capability);
  }

  forget(module: string, id: string): void {
    const ids = this.#byModule.get(module);
    if (ids === undefined) return;
    ids.delete(id);
    if (ids.size === 0) this.#byModule.delete(module);
  }

  /** Every (module, id) placed by `capability`. */
  *placedBy(capability: string): Generator<{ module: string; id: string }> {
    for (const [module, ids] of this.#byModule) {
      for (const [id, placedBy] of ids) if (placedBy === capability) yield { module, id };
    }
  }

  /** Every local actor with the capability that placed it. */
  *all(): Generator<{ module: string; id: string; capability: string }> {
    for (const [module, ids] of this.#byModule) {
      for (const [id, capability] of ids) yield { module, id, capability };
    }
  }

  /** Modules under which `id` is placed by `capability` (read by the admin endpoint's explain). */
  modulesOf(id: string, capability: string): string[] {
    const out: string[] = [];
    for (const [module, ids] of this.#byModule) if (ids.get(id) === capability) out.push(module);
    return out;
  }

  /** Local actors per capability. */
  counts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const ids of this.#byModule.values()) {
      for (const capability of ids.values()) counts[capability] = (counts[capability] ?? 0) + 1;
    }
    return counts;
  }
}
