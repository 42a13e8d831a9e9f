/**
 * In-process wake-ups per VM id: fired after every committed change of a VM (and, through the
 * service's LISTEN, for changes made by another allocator instance). Watchers re-read the row.
 */
export class VmEvents {
  readonly #listeners = new Map<string, Set<() => void>>();

  subscribe(vmId: string, listener: () => void): () => void {
    let set = this.#listeners.get(vmId);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(vmId, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#listeners.delete(vmId);
    };
  }

  emit(vmId: string): void {
    for (const listener of this.#listeners.get(vmId) ?? []) listener();
  }
}
