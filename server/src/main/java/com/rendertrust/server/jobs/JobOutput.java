package com.rendertrust.server.jobs;

/** A delivered output of a job: checked against its stored object, kept under {@code objectKey}. */
public record JobOutput(int frame, String name, long sizeBytes, String sha256, String contentType, String objectKey) {
}
