package com.rendertrust.sdk;

/**
 * One delivered output (a rendered frame) of a job. {@code downloadUrl} is presigned and expires
 * (the server's listing says when); {@code sizeBytes} and {@code sha256} are what the server
 * checked the stored object against, and what {@link Renders#downloadFrames} verifies.
 */
public record JobOutput(int frame, String name, long sizeBytes, String sha256, String contentType,
    String downloadUrl) {
}
