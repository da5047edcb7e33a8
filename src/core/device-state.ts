/**
 * The device's life cycle, as a pure state machine other services observe.
 *
 *   factory-new ─▶ provisioning ─▶ joining ─▶ online ─▶ bound
 *                        ▲  │         │          ▲ │         │
 *                        │  └─────────┼──────────┘ └▶ degraded ◀┘
 *                        └── failed ──┘   (link up without Wi-Fi: Ethernet)
 *
 * `privacy` overlays any state while the shutter is closed or privacy mode
 * is on: the camera keeps its network state underneath and returns to it.
 */
export type DeviceState = 'factory-new' | 'provisioning' | 'joining' | 'online' | 'bound' | 'degraded' | 'privacy';

export type DeviceEvent =
  | { type: 'provisioning-started'; reason: 'first-boot' | 'button' | 'cloud' | 'api' }
  | { type: 'credentials-received' }
  | { type: 'join-failed'; reason: string }
  | { type: 'link-up'; bound: boolean }
  | { type: 'link-lost'; reason: string }
  | { type: 'bound' }
  | { type: 'unbound' }
  | { type: 'factory-reset' }
  | { type: 'privacy-on' }
  | { type: 'privacy-off' };

export interface DeviceSnapshot {
  state: DeviceState;
  /** The state under a privacy overlay (equal to state otherwise). */
  underlying: Exclude<DeviceState, 'privacy'>;
  bound: boolean;
  /** Why the last failure happened, kept for the app and the technician. */
  lastFailure: string | null;
}

export type Transition =
  | { ok: true; next: DeviceSnapshot; reason: string }
  | { ok: false; code: 'transition_not_allowed'; message: string };

export function initialSnapshot(facts: { provisioned: boolean; bound: boolean }): DeviceSnapshot {
  const underlying = facts.provisioned ? 'joining' : 'factory-new';
  return { state: underlying, underlying, bound: facts.provisioned && facts.bound, lastFailure: null };
}

function to(s: DeviceSnapshot, underlying: DeviceSnapshot['underlying'], patch: Partial<DeviceSnapshot> = {}): DeviceSnapshot {
  const privacy = s.state === 'privacy';
  return { ...s, ...patch, underlying, state: privacy ? 'privacy' : underlying };
}

function refuse(s: DeviceSnapshot, e: DeviceEvent): Transition {
  return { ok: false, code: 'transition_not_allowed', message: `${e.type} is not allowed in state ${s.underlying}` };
}

export function transition(s: DeviceSnapshot, e: DeviceEvent): Transition {
  const u = s.underlying;
  switch (e.type) {
    case 'provisioning-started':
      return { ok: true, next: to(s, 'provisioning'), reason: `provisioning (${e.reason})` };
    case 'credentials-received':
      if (u !== 'provisioning') return refuse(s, e);
      return { ok: true, next: to(s, 'joining', { lastFailure: null }), reason: 'credentials received' };
    case 'join-failed':
      if (u !== 'joining') return refuse(s, e);
      return { ok: true, next: to(s, 'provisioning', { lastFailure: e.reason }), reason: `join failed: ${e.reason}` };
    case 'link-up':
      // From provisioning too: a camera on Ethernet (or whose network came
      // up some other way) reaches the cloud without Wi-Fi provisioning.
      if (u === 'factory-new') return refuse(s, e);
      return { ok: true, next: to(s, e.bound ? 'bound' : 'online', { bound: e.bound }), reason: 'cloud link up' };
    case 'link-lost':
      if (u !== 'online' && u !== 'bound') return refuse(s, e);
      return { ok: true, next: to(s, 'degraded', { lastFailure: e.reason }), reason: `link lost: ${e.reason}` };
    case 'bound':
      if (u !== 'online') return refuse(s, e);
      return { ok: true, next: to(s, 'bound', { bound: true }), reason: 'bound to account' };
    case 'unbound':
      return { ok: true, next: to(s, 'provisioning', { bound: false }), reason: 'unbound from account' };
    case 'factory-reset':
      return { ok: true, next: { state: 'factory-new', underlying: 'factory-new', bound: false, lastFailure: null }, reason: 'factory reset' };
    case 'privacy-on':
      if (s.state === 'privacy') return refuse(s, e);
      return { ok: true, next: { ...s, state: 'privacy' }, reason: 'privacy on' };
    case 'privacy-off':
      if (s.state !== 'privacy') return refuse(s, e);
      return { ok: true, next: { ...s, state: s.underlying }, reason: 'privacy off' };
  }
}
