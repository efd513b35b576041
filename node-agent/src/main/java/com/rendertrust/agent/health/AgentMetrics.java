package com.rendertrust.agent.health;

import com.rendertrust.agent.jobs.JobExecutor;
import com.rendertrust.agent.jobs.JobReports;
import com.rendertrust.agent.jobs.JobSpec;
import com.rendertrust.agent.jobs.OutputReport;
import com.rendertrust.agent.link.ConnectionState;
import com.rendertrust.agent.plugins.ErrorCode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.function.LongConsumer;

/**
 * The agent's meters, served as Prometheus text on its health port ({@code GET /metrics}):
 * {@code rt_agent_running_jobs}, {@code rt_agent_slots}, {@code rt_agent_connected},
 * {@code rt_agent_job_duration_seconds{job_type,outcome}}, {@code rt_agent_upload_bytes_total},
 * {@code rt_agent_reconnects_total} (streams established after the first), plus the JVM's.
 */
public final class AgentMetrics {

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Counter uploadBytes;

  public AgentMetrics() {
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    uploadBytes = Counter.builder("rt.agent.upload").baseUnit("bytes")
        .description("Bytes of results and outputs uploaded").register(registry);
  }

  /** Gauges of the running agent: its jobs and slots, and its link's state. */
  public void watch(JobExecutor executor, ConnectionState connection) {
    Gauge.builder("rt.agent.running.jobs", executor, JobExecutor::runningCount)
        .description("Jobs running on this node now").register(registry);
    Gauge.builder("rt.agent.slots", executor, JobExecutor::slots)
        .description("Jobs this node runs at once at most").register(registry);
    Gauge.builder("rt.agent.connected", connection, state -> state.snapshot().connected() ? 1 : 0)
        .description("1 while the Connect stream to the server is up").register(registry);
    FunctionCounter.builder("rt.agent.reconnects", connection,
            state -> Math.max(0, state.snapshot().streamsEstablished() - 1))
        .description("Connect streams established after the first").register(registry);
  }

  /** Counts the bytes of each successful upload. */
  public LongConsumer uploadedBytes() {
    return uploadBytes::increment;
  }

  /** {@code reports}, recording each finished job's run time by type and outcome. */
  public JobReports timing(JobReports reports) {
    return new JobReports() {
      @Override
      public void accepted(JobSpec job) {
        reports.accepted(job);
      }

      @Override
      public void progress(JobSpec job, int percent, String message, int framesDone) {
        reports.progress(job, percent, message, framesDone);
      }

      @Override
      public void outputReady(JobSpec job, OutputReport output) {
        reports.outputReady(job, output);
      }

      @Override
      public void completed(JobSpec job, String resultRef, Duration runtime) {
        duration(job, "completed").record(runtime);
        reports.completed(job, resultRef, runtime);
      }

      @Override
      public void failed(JobSpec job, ErrorCode code, String errorMessage, Duration runtime) {
        duration(job, "failed").record(runtime);
        reports.failed(job, code, errorMessage, runtime);
      }

      @Override
      public void forget(JobSpec job) {
        reports.forget(job);
      }
    };
  }

  private Timer duration(JobSpec job, String outcome) {
    return Timer.builder("rt.agent.job.duration").description("Run time of finished jobs")
        .tag("job_type", job.jobType()).tag("outcome", outcome)
        .publishPercentileHistogram()
        .register(registry);
  }

  public String scrape() {
    return registry.scrape();
  }
}
