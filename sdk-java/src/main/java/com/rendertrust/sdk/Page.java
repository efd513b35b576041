package com.rendertrust.sdk;

import java.util.List;

/** One page of a listing and the total number of items matching it. */
public record Page<T>(List<T> items, long total) {

  public Page {
    items = List.copyOf(items);
  }
}
