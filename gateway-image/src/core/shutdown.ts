/**
 * The reason a call's signal carries when the gateway stops under it. Tools read it to tell the client why their
 * output ended ("the gateway is shutting down") instead of reporting a plain cancellation.
 */

/** The abort reason of every call the gateway's close() stops. */
export class GatewayShuttingDownError extends Error {
  constructor() {
    super('the gateway is shutting down');
    this.name = 'GatewayShuttingDownError';
  }
}

/** True when `signal` was aborted because the gateway is shutting down (not by its client). */
export function abortedByShutdown(signal: AbortSignal): boolean {
  return signal.aborted && signal.reason instanceof GatewayShuttingDownError;
}
