package com.rendertrust.agent.jobs;

/** One output of a task that reached its target: what {@code OutputReady} tells the server. */
public record OutputReport(int frame, String name, long sizeBytes, String sha256, String contentType) {}
