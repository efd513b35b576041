package com.rendertrust.sdk;

import java.math.BigDecimal;
import java.time.Instant;

/** Contract messages to the SDK's records: the one place that reads generated protos' fields. */
final class Mapping {

  private Mapping() {
  }

  static Job job(com.rendertrust.api.v1.Job job) {
    return new Job(job.getId(), job.getJobType(), job.getStatus(), job.getPriority(),
        job.hasNodeId() ? job.getNodeId() : null,
        job.hasPayloadRef() ? job.getPayloadRef() : null,
        job.hasResultRef() ? job.getResultRef() : null,
        job.hasErrorMessage() ? job.getErrorMessage() : null,
        job.getRetryCount(),
        job.hasQueuedAt() ? instant(job.getQueuedAt()) : null,
        job.hasDispatchedAt() ? instant(job.getDispatchedAt()) : null,
        job.hasCompletedAt() ? instant(job.getCompletedAt()) : null,
        instant(job.getCreatedAt()),
        instant(job.getUpdatedAt()));
  }

  static LedgerEntry entry(com.rendertrust.api.v1.LedgerEntry entry) {
    return new LedgerEntry(entry.getId(), new BigDecimal(entry.getAmount()), entry.getDirection(), entry.getSource(),
        entry.hasReferenceId() ? entry.getReferenceId() : null,
        new BigDecimal(entry.getBalanceAfter()),
        entry.hasDescription() ? entry.getDescription() : null,
        instant(entry.getCreatedAt()));
  }

  private static Instant instant(String rfc3339) {
    return rfc3339 == null || rfc3339.isEmpty() ? null : Instant.parse(rfc3339);
  }
}
