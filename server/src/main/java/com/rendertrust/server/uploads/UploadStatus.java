package com.rendertrust.server.uploads;

/**
 * The life of an upload: PENDING (declared; its bytes may be PUT) becomes READY when
 * {@code complete} finds the declared bytes, or FAILED when it finds others (they are deleted).
 * PENDING uploads that expire are swept away entirely; DELETED is the end of a READY one.
 */
public enum UploadStatus {
  PENDING,
  READY,
  FAILED,
  DELETED;

  /** Whether an upload in this status counts against its owner's quota. */
  boolean isLive() {
    return this == PENDING || this == READY;
  }
}
