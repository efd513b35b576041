package com.rendertrust.server.jobs;

import java.net.URI;
import java.util.Optional;
import java.util.UUID;
import org.jooq.DSLContext;

/**
 * A job's input as the jobs feature needs it; the uploads feature provides it (the composition
 * root wires it), so jobs never read the uploads table.
 */
public interface JobInputs {

  /** What a node gets to fetch a job's input: a presigned GET and, when known, the SHA-256 (hex) to check. */
  record DispatchInput(URI url, Optional<String> sha256) {
  }

  /**
   * Within the submission's transaction: {@code inputId} must name one of {@code userId}'s READY
   * uploads (404 NOT_FOUND otherwise), which stays locked against deletion until the job is written.
   */
  void requireReady(DSLContext tx, UUID userId, UUID inputId);

  /**
   * The input to hand a node in a dispatch: the upload {@code inputId}, or an {@code s3://}
   * {@code payloadRef} inside the configured bucket under the user's prefix; empty otherwise
   * (any other reference is passed on as it is).
   */
  Optional<DispatchInput> forDispatch(UUID userId, Optional<UUID> inputId, Optional<String> payloadRef);

  /** No uploads: every input_id is unknown, and no payload_ref becomes a URL. */
  JobInputs NONE = new JobInputs() {
    @Override
    public void requireReady(DSLContext tx, UUID userId, UUID inputId) {
      throw com.rendertrust.server.platform.errors.DomainException.notFound("input");
    }

    @Override
    public Optional<DispatchInput> forDispatch(UUID userId, Optional<UUID> inputId, Optional<String> payloadRef) {
      return Optional.empty();
    }
  };
}
