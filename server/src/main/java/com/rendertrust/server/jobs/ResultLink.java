package com.rendertrust.server.jobs;

import java.net.URI;
import java.util.UUID;

/** A presigned download URL of a completed job's result. */
public record ResultLink(UUID jobId, URI downloadUrl, long expiresInSeconds) {
}
