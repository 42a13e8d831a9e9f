import { NotFound } from '@lzy/errors';
import { ChangeNotifier } from './change-notifier.ts';
import { isTerminal } from './slot-status.ts';
import type { SlotStatusView } from './slot-status.ts';

interface Row {
  status: SlotStatusView;
  version: number;
}

/**
 * Statuses of the portal's slots, in memory (reference §1.7: a portal keeps no database), with
 * push to watchers: WatchSlots reads the current status, then every change.
 */
export class SlotTable {
  readonly #rows = new Map<string, Row>();
  readonly #changes = new ChangeNotifier();

  has(name: string): boolean {
    return this.#rows.has(name);
  }

  names(): string[] {
    return [...this.#rows.keys()];
  }

  /** Sets (or creates) the status of a slot and wakes the watchers. */
  set(status: SlotStatusView): void {
    const row = this.#rows.get(status.slotName);
    this.#rows.set(status.slotName, { status, version: (row?.version ?? 0) + 1 });
    this.#changes.notify();
  }

  /** Merges `patch` into an existing slot's status. */
  update(name: string, patch: Partial<Omit<SlotStatusView, 'slotName'>>): void {
    const row = this.#rows.get(name);
    if (row !== undefined) this.set({ ...row.status, ...patch });
  }

  get(name: string): SlotStatusView | undefined {
    return this.#rows.get(name)?.status;
  }

  /**
   * Statuses of `names` (empty: all).
   * @throws NotFound naming the first unknown slot.
   */
  list(names: readonly string[]): SlotStatusView[] {
    return this.#checked(names).map((name) => this.#row(name).status);
  }

  /**
   * The current status of each named slot (empty: all slots now), then one per change; returns
   * once every one of them is terminal. Rejects with the signal's reason when it aborts.
   * @throws NotFound for an unknown slot name.
   */
  async *watch(names: readonly string[], signal: AbortSignal): AsyncGenerator<SlotStatusView> {
    const watched = this.#checked(names);
    const seen = new Map<string, number>();
    for (;;) {
      const fresh: SlotStatusView[] = [];
      for (const name of watched) {
        const row = this.#row(name);
        if (seen.get(name) !== row.version) {
          seen.set(name, row.version);
          fresh.push(row.status);
        }
      }
      const allTerminal = watched.every((name) => isTerminal(this.#row(name).status));
      const next = allTerminal ? undefined : this.#changes.wait(signal);
      next?.catch(() => undefined); // the abort surfaces when awaited below
      yield* fresh;
      if (next === undefined) return;
      await next;
    }
  }

  /** Resolves once every named slot is terminal. */
  async waitTerminal(names: readonly string[], signal: AbortSignal): Promise<void> {
    for (;;) {
      if (names.every((name) => isTerminal(this.#row(name).status))) return;
      await this.#changes.wait(signal);
    }
  }

  #checked(names: readonly string[]): string[] {
    const wanted = names.length === 0 ? this.names() : [...new Set(names)];
    for (const name of wanted)
      if (!this.#rows.has(name))
        throw new NotFound(`portal slot ${JSON.stringify(name)} is not open`);
    return wanted;
  }

  #row(name: string): Row {
    const row = this.#rows.get(name);
    if (row === undefined) throw new NotFound(`portal slot ${JSON.stringify(name)} is not open`);
    return row;
  }
}
