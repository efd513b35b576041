package com.rendertrust.server.nodes;

import java.util.List;

/**
 * What a node can take from the queue right now: its job types, GPU, and free slots (0 unless it
 * is {@link NodeStates#ready() ready}). Read by {@link NodeStates}.
 */
public record NodeCapacity(List<String> capabilities, boolean hasGpu, int freeSlots) {

  public static final NodeCapacity NONE = new NodeCapacity(List.of(), false, 0);
}
