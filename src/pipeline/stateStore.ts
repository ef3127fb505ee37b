/**
 * Where partition snapshots live between owners: Blob Storage in Azure, a directory locally,
 * nowhere for a replay. A snapshot carries the last offset folded into it.
 */
export interface StateStore {
  load<T>(key: string): Promise<T | undefined>;
  save(key: string, snapshot: unknown): Promise<void>;
}

/** No persistence: a replay or a bench run starts empty and ends with the process. */
export const NO_STATE: StateStore = {
  load: async () => undefined,
  save: async () => {},
};
