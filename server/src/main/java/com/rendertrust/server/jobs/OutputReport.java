package com.rendertrust.server.jobs;

/** A node's report that it uploaded one output (a frame) of a task to its OutputTarget. */
public record OutputReport(int frame, String name, long sizeBytes, String sha256, String contentType) {
}
