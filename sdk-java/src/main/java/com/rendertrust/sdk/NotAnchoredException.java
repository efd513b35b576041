package com.rendertrust.sdk;

import java.util.Map;

/**
 * The ledger entry exists but its batch is not sealed or not final on chain yet, so no proof can
 * be given; it will be, so waiting and asking again is the remedy ({@link RenderTrustClient#awaitProof}).
 */
public class NotAnchoredException extends ConflictException {

  public NotAnchoredException(String reason, String grpcCode, String detail, Map<String, String> metadata,
      Throwable cause) {
    super(reason, grpcCode, detail, metadata, cause);
  }
}
