package com.rendertrust.server.nodes;

/**
 * REGISTERED (not yet proven and heard from), HEALTHY (proven, heartbeating: may receive jobs),
 * UNHEALTHY (too many consecutive failed jobs; back after a cool-down and a heartbeat),
 * OFFLINE (no heartbeat for the offline period; back with the next heartbeat).
 */
public enum NodeStatus {
  REGISTERED,
  HEALTHY,
  UNHEALTHY,
  OFFLINE
}
