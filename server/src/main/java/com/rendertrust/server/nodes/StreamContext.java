package com.rendertrust.server.nodes;

import io.micrometer.core.instrument.Timer;
import io.opentelemetry.api.trace.Tracer;
import com.rendertrust.server.jobs.JobInputs;
import com.rendertrust.server.jobs.JobLifecycle;
import com.rendertrust.server.jobs.TaskOutputs;
import com.rendertrust.server.jobs.JobScheduler;
import com.rendertrust.server.platform.config.JobsConfig;
import com.rendertrust.server.storage.ResultStore;
import java.time.Clock;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;

/** What every Connect stream of a replica shares. */
public record StreamContext(
    NodeService nodes,
    JobLifecycle lifecycle,
    TaskOutputs outputs,
    JobScheduler scheduler,
    ResultStore results,
    NodeSessions sessions,
    JobsConfig config,
    Clock clock,
    ScheduledExecutorService timers,
    Executor workers,
    JobInputs inputs,
    Tracer tracer,
    /** Heartbeat frames, from their arrival at the stream until they are recorded in PostgreSQL. */
    Timer heartbeats) {
}
