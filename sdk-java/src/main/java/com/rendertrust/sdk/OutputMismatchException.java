package com.rendertrust.sdk;

import java.util.Map;

/**
 * A downloaded file is not what the server listed: its size or SHA-256 differs (the stored object
 * changed or the transfer was corrupted). Nothing is left at the target path; downloading again
 * may succeed. {@link #reason()} is {@code OUTPUT_MISMATCH}.
 */
public class OutputMismatchException extends RenderTrustException {

  public OutputMismatchException(String detail, Map<String, String> metadata) {
    super("OUTPUT_MISMATCH", "DATA_LOSS", detail, metadata, null);
  }
}
