package com.rendertrust.sdk;

import java.time.Instant;

/**
 * One task of a job: a render job has one per {@code frames_per_task} frames, any other job
 * exactly one. {@code frameStart}/{@code frameEnd} are null for tasks that are not frame ranges;
 * {@code status} is QUEUED, DISPATCHED, RUNNING, COMPLETED, FAILED or CANCELLED; absent values are null.
 */
public record JobTask(String id, int index, Integer frameStart, Integer frameEnd, String status, String nodeId,
    int attempts, Instant startedAt, Instant completedAt, String errorCode, String errorMessage) {
}
