package com.rendertrust.sdk;

import java.util.Map;

/** The job already runs or has ended: only QUEUED and DISPATCHED jobs can be cancelled. */
public class JobNotCancellableException extends ConflictException {

  public JobNotCancellableException(String reason, String grpcCode, String detail, Map<String, String> metadata,
      Throwable cause) {
    super(reason, grpcCode, detail, metadata, cause);
  }
}
