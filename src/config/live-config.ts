import { isDeepStrictEqual } from 'node:util';
import { SerialQueue } from '../core/serial-queue.js';
import type { EventBus } from '../core/bus.js';
import { settings, settingAt, type AgentConfig } from './schema.js';
import { getPath, mergeLayers, setPath, type Layer, type LoadedConfig } from './load.js';
import { validateLayer, type FieldError } from './validate.js';
import type { RuntimeConfigStore } from './runtime-store.js';
import type { SecretRegistry } from '../log/secret-registry.js';
import { secretValues } from './secret-values.js';
import { splitPersonal, storePersonal, withPersonal, type PersonalSettingsStore } from './personal-settings.js';

/** What a runtime change did; the API and MQTT replies are built from this. */
export interface ChangeResult {
  /** Keys whose effective value changed now. */
  applied: string[];
  /** Keys stored but in force only after a restart. */
  restartRequired: string[];
  /** Keys stored but overridden by the environment or --config, so not in force. */
  pinned: string[];
  /** Field errors; when non-empty nothing was changed (all or nothing). */
  rejected: FieldError[];
}

export type ChangeSource = 'cloud' | 'api' | 'cli' | 'provisioning';

/**
 * The configuration in force, and the one way to change it at run time:
 * validate the patch, build the whole resulting config, persist it
 * atomically, and only then make it current and announce it. Changes are
 * serialised so two writers cannot interleave.
 */
export class LiveConfig {
  #layers: Layer[];
  #config: AgentConfig;
  #queue = new SerialQueue();
  /** Where personal runtime values live (config/personal-settings.ts); null until the store is open. */
  #personal: PersonalSettingsStore | null = null;

  constructor(
    loaded: LoadedConfig,
    private readonly store: RuntimeConfigStore,
    private readonly bus: EventBus,
    private readonly secrets?: SecretRegistry,
  ) {
    this.#layers = loaded.layers;
    this.#config = loaded.config;
  }

  get current(): AgentConfig {
    return this.#config;
  }

  get layers(): readonly Layer[] {
    return this.#layers;
  }

  /**
   * Forget every runtime change (the files are already erased by the
   * personal-data erase): defaults, firmware and factory settings apply
   * again. Restart-only keys keep their running value until the restart.
   */
  resetRuntime(): Promise<void> {
    return this.#queue.run(async () => this.#replaceRuntime({}));
  }

  /**
   * The personal-data store is open: its personal settings join the runtime
   * layer. A value still in the runtime file (written by an older agent, or
   * by `camera-agent config set` while the agent was stopped) is newer than
   * the store's, so it moves into the store and leaves the file.
   */
  attachPersonalStore(store: PersonalSettingsStore): Promise<void> {
    return this.#queue.run(async () => {
      this.#personal = store;
      const runtime = this.#layers.find((l) => l.name === 'runtime');
      if (!runtime) return;
      const { file, personal } = splitPersonal(runtime.values);
      if (personal.size) {
        for (const [path, value] of personal) await storePersonal(store, settingAt(path)!.personal!, value);
        await this.store.save(file);
      }
      this.#replaceRuntime(withPersonal(file, store));
    });
  }

  /** Swap the runtime layer's values; restart-only keys keep their running value until the restart. */
  #replaceRuntime(values: Record<string, unknown>): void {
    const i = this.#layers.findIndex((l) => l.name === 'runtime');
    const next = this.#layers.map((l, j) => (j === i ? { ...l, values } : l));
    const merged = mergeLayers(next);
    const changed = settings()
      .map(([path]) => path)
      .filter((path) => !isDeepStrictEqual(getPath(merged, path), getPath(this.#config, path)));
    const restartRequired = changed.filter((p) => settingAt(p)?.restart);
    for (const path of restartRequired) setPath(merged as unknown as Record<string, unknown>, path, getPath(this.#config, path));
    this.#layers = next;
    this.#config = merged;
    const applied = changed.filter((p) => !settingAt(p)?.restart);
    if (changed.length) this.bus.emit('config.changed', { changed: applied, restartRequired });
  }

  change(patch: unknown, source: ChangeSource): Promise<ChangeResult> {
    return this.#queue.run(() => this.#change(patch, source));
  }

  async #change(patch: unknown, _source: ChangeSource): Promise<ChangeResult> {
    const result: ChangeResult = { applied: [], restartRequired: [], pinned: [], rejected: [] };
    const errors = validateLayer(patch, { runtime: true });
    if (errors.length) return { ...result, rejected: errors };
    // Known before anything can log it, even if the change fails later on.
    for (const secret of secretValues(patch)) this.secrets?.add(secret);

    const runtimeIndex = this.#layers.findIndex((l) => l.name === 'runtime');
    const oldRuntime = this.#layers[runtimeIndex]!;
    const nextValues = structuredClone(oldRuntime.values);
    const patched: string[] = [];
    for (const [path] of settings()) {
      const v = getPath(patch, path);
      if (v === undefined) continue;
      setPath(nextValues, path, v);
      patched.push(path);
    }
    const nextLayers = this.#layers.map((l, i) => (i === runtimeIndex ? { ...l, values: nextValues } : l));
    let next: AgentConfig;
    try {
      next = mergeLayers(nextLayers);
    } catch (err) {
      return { ...result, rejected: [{ path: '(config)', shown: '', rule: (err as Error).message, code: 'invalid_value' }] };
    }

    // Personal values go to the encrypted store (first: a crash in between
    // leaves the name stored and the file unchanged), never into the file.
    const { file, personal } = splitPersonal(nextValues);
    // "" is no name at all (the default), so setting it where none is stored changes nothing.
    const personalChanged = [...personal].filter(([path, v]) => (getPath(oldRuntime.values, path) ?? '') !== v);
    if (personalChanged.length && !this.#personal) {
      const rule = 'is personal data and the encrypted store is not open (no usable factory identity or device key)';
      return { ...result, rejected: personalChanged.map(([path]) => ({ path, shown: '', rule, code: 'not_changeable' as const })) };
    }
    for (const [path, value] of personalChanged) await storePersonal(this.#personal!, settingAt(path)!.personal!, value);
    await this.store.save(file);

    for (const path of patched) {
      const overriddenBy = this.#layers.slice(runtimeIndex + 1).find((l) => getPath(l.values, path) !== undefined);
      if (overriddenBy) {
        result.pinned.push(path);
        continue;
      }
      if (getPath(this.#config, path) === getPath(next, path)) continue;
      if (settingAt(path)?.restart) result.restartRequired.push(path);
      else result.applied.push(path);
    }
    // Keys that need a restart keep their running value until then, so the
    // services that read them at start never see a half-switched config.
    for (const path of result.restartRequired) setPath(next as unknown as Record<string, unknown>, path, getPath(this.#config, path));
    this.#layers = nextLayers;
    this.#config = next;
    if (result.applied.length || result.restartRequired.length) {
      this.bus.emit('config.changed', { changed: result.applied, restartRequired: result.restartRequired });
    }
    return result;
  }
}
