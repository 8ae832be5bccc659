/**
 * Book-keeping of open MCP sessions across transports: the principal each belongs to, the session cap,
 * idle expiry, and the active-sessions gauge. Transports own their SDK objects; this owns the policy.
 */
import type { Principal } from '../core/contracts.js';
import type { GatewayMetrics } from '../core/metrics.js';

interface Entry {
  readonly transport: string;
  readonly principalId: string;
  lastSeen: number;
  readonly close: () => Promise<void> | void;
}

/** Open sessions by id. */
export interface SessionRegistry {
  hasRoom(): boolean;
  open(id: string, transport: string, principal: Principal, close: () => Promise<void> | void): void;
  /** Marks activity; false when the id is unknown or belongs to another principal. */
  touch(id: string, principal: Principal): boolean;
  closed(id: string): void;
  count(): number;
  /** Closes sessions idle longer than the limit; returns how many. */
  sweep(now?: number): Promise<number>;
  closeAll(): Promise<void>;
  /** Called when a session ends (upstream per-session instances are released here). */
  onClosed(cb: (id: string) => void): void;
}

/** Creates the registry. */
export function createSessionRegistry(opts: { maxSessions: number; idleMs: number; metrics: GatewayMetrics; clock?: () => number }): SessionRegistry {
  const clock = opts.clock ?? Date.now;
  const sessions = new Map<string, Entry>();
  const listeners: Array<(id: string) => void> = [];
  return {
    hasRoom: () => sessions.size < opts.maxSessions,
    open(id, transport, principal, close) {
      sessions.set(id, { transport, principalId: principal.id, lastSeen: clock(), close });
      opts.metrics.activeSessions.inc({ transport });
    },
    touch(id, principal) {
      const e = sessions.get(id);
      if (!e || e.principalId !== principal.id) return false;
      e.lastSeen = clock();
      return true;
    },
    closed(id) {
      const e = sessions.get(id);
      if (!e) return;
      sessions.delete(id);
      opts.metrics.activeSessions.dec({ transport: e.transport });
      for (const cb of listeners) cb(id);
    },
    count: () => sessions.size,
    async sweep(now = clock()) {
      const idle = [...sessions.entries()].filter(([, e]) => now - e.lastSeen > opts.idleMs);
      await Promise.allSettled(idle.map(async ([id, e]) => { await e.close(); this.closed(id); }));
      return idle.length;
    },
    async closeAll() {
      await Promise.allSettled([...sessions.entries()].map(async ([id, e]) => { await e.close(); this.closed(id); }));
    },
    onClosed(cb) {
      listeners.push(cb);
    },
  };
}
