package com.rendertrust.server.uploads;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/** An upload as its owner sees it, plus where its bytes are kept. */
public record Upload(
    UUID id,
    UUID userId,
    String filename,
    long sizeBytes,
    String sha256,
    String contentType,
    UploadStatus status,
    String objectKey,
    Instant createdAt,
    Instant expiresAt,
    Optional<Instant> completedAt) {
}
