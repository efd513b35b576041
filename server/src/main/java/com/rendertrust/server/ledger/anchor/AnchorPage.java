package com.rendertrust.server.ledger.anchor;

import java.util.List;

/** One page of batches, newest first, with the total that match the filter. */
public record AnchorPage(List<AnchorBatch> anchors, int count, int page, int perPage) {

  public AnchorPage {
    anchors = List.copyOf(anchors);
  }
}
