package com.rendertrust.agent.plugins;

/**
 * Runs one job type. A plugin works in {@link JobContext#workDir()}, reads its input from the
 * context, writes its result to a file and returns it; the agent uploads that file. It reports
 * progress through the context and stops promptly when {@link JobContext#checkStillWanted()}
 * throws (cancelled, time limit, shutdown). Throwing {@link PluginFailure} reports the job FAILED
 * with that message; any other exception is reported as a plugin crash. Neither stops the agent.
 */
public interface JobPlugin {

  /** The job type this plugin runs, e.g. {@code echo}: also the capability the node advertises. */
  String jobType();

  PluginOutput run(JobContext context) throws Exception;
}
