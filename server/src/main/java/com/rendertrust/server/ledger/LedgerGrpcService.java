package com.rendertrust.server.ledger;

import com.rendertrust.server.platform.input.InputRules;
import com.rendertrust.api.v1.Anchor;
import com.rendertrust.api.v1.GetProofRequest;
import com.rendertrust.api.v1.GetProofResponse;
import com.rendertrust.api.v1.VerifyEntryRequest;
import com.rendertrust.api.v1.VerifyEntryResponse;
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

/** gRPC adapter of the ledger: proofs and verification of the caller's entries, and the anchor list. */
public final class LedgerGrpcService extends LedgerServiceGrpc.LedgerServiceImplBase {

  private static final HexFormat HEX = HexFormat.of();

  private final AnchorQueryService anchors;
  private final LedgerProofService proofs;

  public LedgerGrpcService(AnchorQueryService anchors, LedgerProofService proofs) {
    this.anchors = anchors;
    this.proofs = proofs;
  }

  @Override
  public void getProof(GetProofRequest request, StreamObserver<GetProofResponse> responses) {
    LedgerProofService.EntryProof proof = proofs.proof(CallerContext.requireUser(), request.getEntryId());
    GetProofResponse.Builder response = GetProofResponse.newBuilder()
        .setEntryId(proof.entryId().toString())
        .setLeaf(HEX.formatHex(proof.leaf()))
        .setMerkleRoot(HEX.formatHex(proof.merkleRoot()));
    proof.proof().siblings().forEach(sibling -> response.addProofHashes(HEX.formatHex(sibling)));
    proof.proof().directions().forEach(side -> response.addDirections(side.wireName()));
    proof.anchorTxHash().ifPresent(response::setAnchorTxHash);
    proof.blockNumber().ifPresent(response::setBlockNumber);
    responses.onNext(response.build());
    responses.onCompleted();
  }

  @Override
  public void verifyEntry(VerifyEntryRequest request, StreamObserver<VerifyEntryResponse> responses) {
    LedgerProofService.EntryVerification result = proofs.verify(CallerContext.requireUser(), request.getEntryId());
    VerifyEntryResponse.Builder response = VerifyEntryResponse.newBuilder()
        .setVerified(result.verified())
        .setEntryId(result.entryId().toString())
        .setMerkleRoot(HEX.formatHex(result.recomputedRoot()));
    result.onChainRoot().map(HEX::formatHex).ifPresent(response::setOnChainRoot);
    result.blockNumber().ifPresent(response::setBlockNumber);
    result.txHash().ifPresent(response::setTxHash);
    responses.onNext(response.build());
    responses.onCompleted();
  }

  @Override
  public void listAnchors(ListAnchorsRequest request, StreamObserver<ListAnchorsResponse> responses) {
    CallerContext.requireUser();
    AnchorPage page = anchors.list(InputRules.pagingParameter("page", request.hasPage(), request.getPage()),
        InputRules.pagingParameter("per_page", request.hasPerPage(), request.getPerPage()),
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
