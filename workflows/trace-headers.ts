import type { Headers } from '@temporalio/common';
import type { WorkflowInterceptors } from '@temporalio/workflow';

/** The header OpenTelemetry's Temporal interceptors carry a trace context in. */
const TRACE_HEADER = '_tracer-data';

/**
 * Workflow interceptors (bundled with `workflowInterceptorModules`): every activity a run schedules carries
 * the trace context its start carried, so the activities' spans join the trace of the request that started
 * the link. Synchronous on purpose: it only adds a header, so commands keep their order and every recorded
 * history still replays (the OpenTelemetry package's own workflow interceptors did not: see tracing/).
 */
export const interceptors = (): WorkflowInterceptors => {
  let started: Headers | undefined;
  return {
    inbound: [
      {
        execute: (input, next) => {
          const trace = input.headers[TRACE_HEADER];
          started = trace ? { [TRACE_HEADER]: trace } : undefined;
          return next(input);
        },
      },
    ],
    outbound: [
      {
        scheduleActivity: (input, next) =>
          next(
            started && !input.headers[TRACE_HEADER]
              ? { ...input, headers: { ...input.headers, ...started } }
              : input,
          ),
      },
    ],
  };
};
