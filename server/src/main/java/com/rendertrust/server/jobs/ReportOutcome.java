package com.rendertrust.server.jobs;

/** What became of a node's report about a job. */
public enum ReportOutcome {
  /** The report came from the current assignment holder and changed the job. */
  APPLIED,
  /** A repeat of a report already applied (e.g. resent after a reconnect): nothing changed. */
  DUPLICATE,
  /** Not from the current assignment holder (reassigned, cancelled, unknown): discarded. */
  STALE,
  /** From the holder, but not what it owes (an output with a wrong frame, name, size or hash): nothing recorded. */
  REJECTED
}
