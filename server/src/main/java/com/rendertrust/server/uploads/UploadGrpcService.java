package com.rendertrust.server.uploads;

import com.rendertrust.api.v1.CompleteUploadRequest;
import com.rendertrust.api.v1.CompleteUploadResponse;
import com.rendertrust.api.v1.CreateUploadRequest;
import com.rendertrust.api.v1.CreateUploadResponse;
import com.rendertrust.api.v1.DeleteUploadRequest;
import com.rendertrust.api.v1.DeleteUploadResponse;
import com.rendertrust.api.v1.GetUploadRequest;
import com.rendertrust.api.v1.GetUploadResponse;
import com.rendertrust.api.v1.ListUploadsRequest;
import com.rendertrust.api.v1.ListUploadsResponse;
import com.rendertrust.api.v1.UploadServiceGrpc;
import com.rendertrust.server.platform.auth.CallerContext;
import io.grpc.stub.StreamObserver;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/** gRPC adapter of {@link UploadService}: proto in, domain records through, proto out. */
public final class UploadGrpcService extends UploadServiceGrpc.UploadServiceImplBase {

  private final UploadService uploads;

  public UploadGrpcService(UploadService uploads) {
    this.uploads = uploads;
  }

  @Override
  public void createUpload(CreateUploadRequest request, StreamObserver<CreateUploadResponse> responses) {
    CreatedUpload created = uploads.create(CallerContext.requireUser(), new UploadDeclaration(
        request.getFilename(), request.getSizeBytes(), request.getSha256(), request.getContentType()));
    responses.onNext(CreateUploadResponse.newBuilder()
        .setUpload(toProto(created.upload()))
        .setUploadUrl(created.uploadUrl().toString())
        .setUploadMethod("PUT")
        .putAllUploadHeaders(created.uploadHeaders())
        .setExpiresIn((int) Math.min(Integer.MAX_VALUE, created.expiresInSeconds()))
        .build());
    responses.onCompleted();
  }

  @Override
  public void completeUpload(CompleteUploadRequest request, StreamObserver<CompleteUploadResponse> responses) {
    Upload upload = uploads.complete(CallerContext.requireUser(), request.getUploadId());
    responses.onNext(CompleteUploadResponse.newBuilder().setUpload(toProto(upload)).build());
    responses.onCompleted();
  }

  @Override
  public void getUpload(GetUploadRequest request, StreamObserver<GetUploadResponse> responses) {
    Upload upload = uploads.get(CallerContext.requireUser(), request.getUploadId());
    responses.onNext(GetUploadResponse.newBuilder().setUpload(toProto(upload)).build());
    responses.onCompleted();
  }

  @Override
  public void listUploads(ListUploadsRequest request, StreamObserver<ListUploadsResponse> responses) {
    UploadPage page = uploads.list(CallerContext.requireUser(), request.getLimit(), request.getOffset());
    ListUploadsResponse.Builder response = ListUploadsResponse.newBuilder().setCount(page.count());
    page.uploads().forEach(upload -> response.addUploads(toProto(upload)));
    responses.onNext(response.build());
    responses.onCompleted();
  }

  @Override
  public void deleteUpload(DeleteUploadRequest request, StreamObserver<DeleteUploadResponse> responses) {
    Upload upload = uploads.delete(CallerContext.requireUser(), request.getUploadId());
    responses.onNext(DeleteUploadResponse.newBuilder().setUpload(toProto(upload)).build());
    responses.onCompleted();
  }

  static com.rendertrust.api.v1.Upload toProto(Upload upload) {
    com.rendertrust.api.v1.Upload.Builder proto = com.rendertrust.api.v1.Upload.newBuilder()
        .setId(upload.id().toString())
        .setFilename(upload.filename())
        .setSizeBytes(upload.sizeBytes())
        .setSha256(upload.sha256())
        .setContentType(upload.contentType())
        .setStatus(upload.status().name())
        .setCreatedAt(timestamp(upload.createdAt()))
        .setExpiresAt(timestamp(upload.expiresAt()));
    upload.completedAt().ifPresent(at -> proto.setCompletedAt(timestamp(at)));
    return proto.build();
  }

  /** RFC 3339, UTC, microseconds (PostgreSQL's precision). */
  private static String timestamp(Instant instant) {
    return instant.truncatedTo(ChronoUnit.MICROS).toString();
  }
}
