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
        instant(job.getUpdatedAt()),
        job.getFramesTotal(), job.getFramesDone(), job.getTasksTotal(), job.getTasksDone(), job.getProgress(),
        job.hasErrorCode() ? job.getErrorCode() : null);
  }

  static JobTask task(com.rendertrust.api.v1.JobTask task) {
    return new JobTask(task.getId(), task.getIndex(),
        task.hasFrameStart() ? task.getFrameStart() : null,
        task.hasFrameEnd() ? task.getFrameEnd() : null,
        task.getStatus(),
        task.hasNodeId() ? task.getNodeId() : null,
        task.getAttempts(),
        task.hasStartedAt() ? instant(task.getStartedAt()) : null,
        task.hasCompletedAt() ? instant(task.getCompletedAt()) : null,
        task.hasErrorCode() ? task.getErrorCode() : null,
        task.hasErrorMessage() ? task.getErrorMessage() : null);
  }

  static JobOutput output(com.rendertrust.api.v1.JobOutput output) {
    return new JobOutput(output.getFrame(), output.getName(), output.getSizeBytes(), output.getSha256(),
        output.getContentType(), output.getDownloadUrl());
  }

  static LedgerEntry entry(com.rendertrust.api.v1.LedgerEntry entry) {
    return new LedgerEntry(entry.getId(), new BigDecimal(entry.getAmount()), entry.getDirection(), entry.getSource(),
        entry.hasReferenceId() ? entry.getReferenceId() : null,
        new BigDecimal(entry.getBalanceAfter()),
        entry.hasDescription() ? entry.getDescription() : null,
        instant(entry.getCreatedAt()));
  }

  static ApiKeyInfo apiKey(com.rendertrust.api.v1.ApiKey key) {
    return new ApiKeyInfo(key.getId(), key.getName(), key.getPrefix(), instant(key.getCreatedAt()),
        key.hasLastUsedAt() ? instant(key.getLastUsedAt()) : null,
        key.hasRevokedAt() ? instant(key.getRevokedAt()) : null);
  }

  static AnchorInfo anchor(com.rendertrust.api.v1.Anchor anchor) {
    return new AnchorInfo(anchor.getBatchId(), anchor.getMerkleRoot(), anchor.getEntryCount(),
        anchor.getFirstSequence(), anchor.getLastSequence(), anchor.getStatus(),
        anchor.hasTxHash() ? anchor.getTxHash() : null,
        anchor.hasBlockNumber() ? anchor.getBlockNumber() : null,
        instant(anchor.getCreatedAt()),
        anchor.hasAnchoredAt() ? instant(anchor.getAnchoredAt()) : null);
  }

  static Instant instant(String rfc3339) {
    return rfc3339 == null || rfc3339.isEmpty() ? null : Instant.parse(rfc3339);
  }
}
