// Hybrid logical clock, the same algorithm and text form as the server's sync/hlc.py.
// Text form "{wall_ms:013d}:{counter:05d}:{node}"; plain string order = time order.

export const MAX_COUNTER = 99999;
export const MAX_WALL_MS = 9999999999999;
export const NODE_RE = /^[A-Za-z0-9._-]{1,64}$/;
const TEXT_RE = /^(\d{13}):(\d{5}):([A-Za-z0-9._-]{1,64})$/;

/** @typedef {{wall: number, counter: number, node: string}} Stamp */

/** @param {Stamp} stamp */
export function format({ wall, counter, node }) {
  return `${String(wall).padStart(13, '0')}:${String(counter).padStart(5, '0')}:${node}`;
}

/** Canonical text → stamp; anything else throws. @param {string} text @returns {Stamp} */
export function parse(text) {
  const match = typeof text === 'string' ? TEXT_RE.exec(text) : null;
  if (!match) throw new Error(`hlc.invalid: ${text}`);
  return { wall: Number(match[1]), counter: Number(match[2]), node: match[3] };
}

/** @param {string} text */
export const isCanonical = (text) => typeof text === 'string' && TEXT_RE.test(text);

/** Wall time of a canonical stamp, without parsing it all. @param {string} text */
export const wallOf = (text) => Number(text.slice(0, 13));

/** A device id for the HLC node: [A-Za-z0-9._-], short, random. */
export function newDeviceId() {
  const bytes = crypto.getRandomValues(new Uint8Array(9));
  return 'web-' + [...bytes].map((b) => b.toString(36).padStart(2, '0')).join('').slice(0, 14);
}

/** One node's clock: `now()` for local events, `receive()` for stamps from elsewhere. */
export class HybridClock {
  /**
   * @param {string} node device id
   * @param {() => number} physicalMs time source (ms since epoch)
   * @param {string|null} last persisted latest stamp, if any
   */
  constructor(node, physicalMs = () => Date.now(), last = null) {
    if (!NODE_RE.test(node)) throw new Error(`hlc.invalid node: ${node}`);
    this.node = node;
    this.physicalMs = physicalMs;
    const previous = last ? parse(last) : null;
    /** @type {Stamp} */
    this.last = previous ? { ...previous, node } : { wall: 0, counter: 0, node };
  }

  /** A stamp for a local event, greater than every stamp seen so far. */
  now() {
    const wall = Math.max(this.last.wall, Math.floor(this.physicalMs()));
    const counter = wall === this.last.wall ? this.last.counter + 1 : 0;
    return this.advance(wall, counter);
  }

  /** Merge a remote stamp (text); the result is greater than it and our last stamp. */
  receive(remoteText) {
    const remote = parse(remoteText);
    const last = this.last;
    const wall = Math.max(last.wall, remote.wall, Math.floor(this.physicalMs()));
    let counter;
    if (wall === last.wall && wall === remote.wall) counter = Math.max(last.counter, remote.counter) + 1;
    else if (wall === last.wall) counter = last.counter + 1;
    else if (wall === remote.wall) counter = remote.counter + 1;
    else counter = 0;
    return this.advance(wall, counter);
  }

  /** Forget the clock state and restart from the given time (after "hlc.future"). */
  reset(wallMs) {
    this.last = { wall: Math.floor(wallMs), counter: 0, node: this.node };
  }

  /** @private */
  advance(wall, counter) {
    if (counter > MAX_COUNTER) { wall += 1; counter = 0; }
    if (wall > MAX_WALL_MS) throw new Error('hlc.invalid: wall time out of range');
    this.last = { wall, counter, node: this.node };
    return format(this.last);
  }

  get lastText() { return format(this.last); }
}
