package com.rendertrust.sdk;

import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * What to run. The idempotency key makes a retried submission return the first job instead of
 * creating a second one; {@link #of} generates one, so retries of the same request are safe.
 * {@code inputId} names a READY upload the job reads (the server refuses it together with a
 * {@code payloadRef}); {@link RenderRequest} builds a render of an upload's frames.
 */
public record JobRequest(String jobType, String payloadRef, Map<String, Object> payload, String priority,
    boolean gpuRequired, String idempotencyKey, String inputId) {

  public JobRequest {
    Objects.requireNonNull(jobType, "jobType");
    payload = payload == null ? Map.of() : Map.copyOf(payload);
    priority = priority == null ? "normal" : priority;
    idempotencyKey = idempotencyKey == null ? UUID.randomUUID().toString() : idempotencyKey;
  }

  /** A request without an uploaded input. */
  public JobRequest(String jobType, String payloadRef, Map<String, Object> payload, String priority,
      boolean gpuRequired, String idempotencyKey) {
    this(jobType, payloadRef, payload, priority, gpuRequired, idempotencyKey, null);
  }

  public static JobRequest of(String jobType, Map<String, Object> payload) {
    return new JobRequest(jobType, null, payload, "normal", false, null, null);
  }

  public JobRequest withPriority(String newPriority) {
    return new JobRequest(jobType, payloadRef, payload, newPriority, gpuRequired, idempotencyKey, inputId);
  }

  public JobRequest withIdempotencyKey(String key) {
    return new JobRequest(jobType, payloadRef, payload, priority, gpuRequired, key, inputId);
  }

  /** The same request reading the upload {@code uploadId} (see {@link Upload#id()}). */
  public JobRequest withInputId(String uploadId) {
    return new JobRequest(jobType, payloadRef, payload, priority, gpuRequired, idempotencyKey, uploadId);
  }
}
