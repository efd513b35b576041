package com.rendertrust.server.ledger;

import com.rendertrust.api.v1.Anchor;
import com.rendertrust.api.v1.LedgerServiceGrpc;
import com.rendertrust.api.v1.ListAnchorsRequest;
import com.rendertrust.api.v1.ListAnchorsResponse;
import com.rendertrust.server.ledger.anchor.AnchorBatch;
import com.rendertrust.server.ledger.anchor.AnchorPage;
import com.rendertrust.server.ledger.anchor.AnchorQueryService;
import com.rendertrust.server.platform.auth.CallerContext;
import io.grpc.stub.StreamObserver;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.Optional;

/**
 * gRPC adapter of the ledger: {@code ListAnchors} for now. {@code GetProof} and {@code VerifyEntry}
 * need the credit ledger's entries and stay UNIMPLEMENTED until they land.
 */
public final class LedgerGrpcService extends LedgerServiceGrpc.LedgerServiceImplBase {

  private static final HexFormat HEX = HexFormat.of();

  private final AnchorQueryService anchors;

  public LedgerGrpcService(AnchorQueryService anchors) {
    this.anchors = anchors;
  }

  @Override
  public void listAnchors(ListAnchorsRequest request, StreamObserver<ListAnchorsResponse> responses) {
    CallerContext.requireUser();
    AnchorPage page = anchors.list(request.getPage(), request.getPerPage(),
        request.hasSince() ? Optional.of(request.getSince()) : Optional.empty());
    ListAnchorsResponse.Builder response = ListAnchorsResponse.newBuilder()
        .setCount(page.count())
        .setPage(page.page())
        .setPerPage(page.perPage());
    page.anchors().forEach(batch -> response.addAnchors(toProto(batch)));
    responses.onNext(response.build());
    responses.onCompleted();
  }

  static Anchor toProto(AnchorBatch batch) {
    Anchor.Builder anchor = Anchor.newBuilder()
        .setBatchId(Long.toString(batch.id()))
        .setMerkleRoot(HEX.formatHex(batch.merkleRoot()))
        .setEntryCount(batch.entryCount())
        .setFirstSequence(batch.firstSequence())
        .setLastSequence(batch.lastSequence())
        .setStatus(batch.status().name())
        .setCreatedAt(DateTimeFormatter.ISO_INSTANT.format(batch.createdAt()));
    batch.txHash().ifPresent(anchor::setTxHash);
    batch.blockNumber().ifPresent(anchor::setBlockNumber);
    batch.anchoredAt().map(DateTimeFormatter.ISO_INSTANT::format).ifPresent(anchor::setAnchoredAt);
    return anchor.build();
  }
}
