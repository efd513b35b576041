package com.rendertrust.e2e;

import java.util.function.Supplier;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.LifecycleMethodExecutionExceptionHandler;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

/**
 * A failure names what happened in the other processes too: the tail of every process's log is
 * attached to the failure (the full logs stay under target/e2e/).
 */
final class ProcessLogsOnFailure implements TestExecutionExceptionHandler, LifecycleMethodExecutionExceptionHandler {

  private static final int LINES = 40;

  private final Supplier<Processes> processes;

  ProcessLogsOnFailure(Supplier<Processes> processes) {
    this.processes = processes;
  }

  /** Carries the logs in its message, so that they appear wherever the failure is reported. */
  static final class ProcessLogs extends RuntimeException {
    ProcessLogs(String tails) {
      super("logs of the processes this test started (last " + LINES + " lines each):" + tails, null, false, false);
    }
  }

  private Throwable withLogs(Throwable failure) {
    Processes started = processes.get();
    if (started != null) {
      failure.addSuppressed(new ProcessLogs(started.tails(LINES)));
    }
    return failure;
  }

  @Override
  public void handleTestExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
    throw withLogs(failure);
  }

  @Override
  public void handleBeforeAllMethodExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
    throw withLogs(failure);
  }
}
