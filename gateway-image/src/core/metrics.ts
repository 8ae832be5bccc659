/**
 * Prometheus metrics for one gateway instance: a registry of its own (no prom-client globals, so two
 * gateways in one process, as in tests, never share counters).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The gateway's metrics and the registry /metrics renders. */
export interface GatewayMetrics {
  readonly registry: Registry;
  readonly toolCalls: Counter<'tool' | 'outcome'>;
  readonly toolDuration: Histogram<'tool'>;
  readonly streamedBytes: Counter<'tool'>;
  readonly activeSessions: Gauge<'transport'>;
  readonly dockerLatency: Histogram<'operation'>;
  readonly dockerDeadlines: Counter<'operation'>;
  readonly dockerCircuitState: Gauge<'state'>;
  readonly dockerCircuitRejections: Counter<'operation'>;
  readonly policyDenials: Counter<'rule'>;
  readonly auditFailures: Counter<string>;
  readonly authFailures: Counter<'reason'>;
}

/** Creates the metrics, registered in a fresh registry. */
export function createMetrics(opts: { defaultMetrics?: boolean } = {}): GatewayMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    toolCalls: new Counter({ name: 'mcp_tool_calls_total', help: 'Tool calls by tool and outcome (ok, error, denied, invalid)', labelNames: ['tool', 'outcome'], registers }),
    toolDuration: new Histogram({
      name: 'mcp_tool_duration_seconds', help: 'Tool call duration', labelNames: ['tool'], registers,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    }),
    streamedBytes: new Counter({ name: 'mcp_streamed_bytes_total', help: 'Bytes of exec/log output read from Docker', labelNames: ['tool'], registers }),
    activeSessions: new Gauge({ name: 'mcp_active_sessions', help: 'Open MCP sessions by transport', labelNames: ['transport'], registers }),
    dockerLatency: new Histogram({
      name: 'docker_api_duration_seconds', help: 'Docker Engine API call latency', labelNames: ['operation'], registers,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    }),
    dockerDeadlines: new Counter({ name: 'docker_api_deadline_exceeded_total', help: 'Engine API requests abandoned at their deadline', labelNames: ['operation'], registers }),
    dockerCircuitState: new Gauge({ name: 'docker_engine_circuit_state', help: 'Engine circuit breaker state (1 for the current one of closed, open, half-open)', labelNames: ['state'], registers }),
    dockerCircuitRejections: new Counter({ name: 'docker_engine_circuit_rejected_total', help: 'Engine API calls failed fast while the circuit was open', labelNames: ['operation'], registers }),
    policyDenials: new Counter({ name: 'mcp_policy_denials_total', help: 'Calls denied by policy or limits, by rule id', labelNames: ['rule'], registers }),
    auditFailures: new Counter({ name: 'mcp_audit_failures_total', help: 'Audit records that could not be written', registers }),
    authFailures: new Counter({ name: 'mcp_auth_failures_total', help: 'Requests refused at the edge, by reason', labelNames: ['reason'], registers }),
  };
}
