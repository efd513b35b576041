package com.rendertrust.server.platform;

import java.util.ArrayDeque;
import java.util.Deque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Closes what was opened, in reverse order, logging (not throwing) individual failures. */
public final class Closer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Closer.class);

  private final Deque<AutoCloseable> resources = new ArrayDeque<>();

  public synchronized <T extends AutoCloseable> T register(T resource) {
    resources.push(resource);
    return resource;
  }

  @Override
  public synchronized void close() {
    while (!resources.isEmpty()) {
      AutoCloseable resource = resources.pop();
      try {
        resource.close();
      } catch (Exception e) {
        log.warn("failed to close {}", resource.getClass().getSimpleName(), e);
      }
    }
  }
}
