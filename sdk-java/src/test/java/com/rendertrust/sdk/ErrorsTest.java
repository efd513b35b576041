package com.rendertrust.sdk;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ErrorsTest {

  private static StatusRuntimeException failure(Status.Code code, String reason, Map<String, String> metadata) {
    return StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
        .setCode(code.value())
        .setMessage("detail for " + reason)
        .addDetails(Any.pack(ErrorInfo.newBuilder().setReason(reason).setDomain("rendertrust.com")
            .putAllMetadata(metadata).build()))
        .build());
  }

  @Test
  void insufficientCreditsCarriesAmounts() {
    RenderTrustException e = Errors.translate(failure(Status.Code.FAILED_PRECONDITION, "INSUFFICIENT_CREDITS",
        Map.of("available", "5.0000", "requested", "10.0000")));
    assertThat(e).isInstanceOfSatisfying(InsufficientCreditsException.class, ice -> {
      assertThat(ice.available()).isEqualByComparingTo(new BigDecimal("5"));
      assertThat(ice.requested()).isEqualByComparingTo(new BigDecimal("10"));
      assertThat(ice.reason()).isEqualTo("INSUFFICIENT_CREDITS");
      assertThat(ice.getMessage()).isEqualTo("detail for INSUFFICIENT_CREDITS");
    });
  }

  @Test
  void reasonsPickTheirTypes() {
    assertThat(Errors.translate(failure(Status.Code.RESOURCE_EXHAUSTED, "RATE_LIMITED",
        Map.of("retry_after_seconds", "7"))))
        .isInstanceOfSatisfying(RateLimitedException.class,
            e -> assertThat(e.retryAfter()).isEqualTo(Duration.ofSeconds(7)));
    assertThat(Errors.translate(failure(Status.Code.ALREADY_EXISTS, "EMAIL_TAKEN", Map.of())))
        .isInstanceOf(ConflictException.class);
    assertThat(Errors.translate(failure(Status.Code.FAILED_PRECONDITION, "NO_HEALTHY_NODE", Map.of())))
        .isInstanceOf(NoHealthyNodeException.class);
    assertThat(Errors.translate(failure(Status.Code.NOT_FOUND, "NOT_FOUND", Map.of())))
        .isInstanceOf(NotFoundException.class);
    assertThat(Errors.translate(failure(Status.Code.UNAUTHENTICATED, "TOKEN_REVOKED", Map.of())))
        .isInstanceOfSatisfying(AuthenticationException.class, e -> assertThat(e.reason()).isEqualTo("TOKEN_REVOKED"));
    assertThat(Errors.translate(failure(Status.Code.FAILED_PRECONDITION, "NOT_ANCHORED", Map.of())))
        .isInstanceOf(NotAnchoredException.class);
    assertThat(Errors.translate(failure(Status.Code.FAILED_PRECONDITION, "JOB_NOT_CANCELLABLE", Map.of())))
        .isInstanceOf(JobNotCancellableException.class);
    assertThat(Errors.translate(failure(Status.Code.INVALID_ARGUMENT, "VALIDATION_FAILED", Map.of())))
        .isInstanceOf(ValidationException.class);
  }

  @Test
  void statusWithoutErrorInfoFallsBackToTheCode() {
    RenderTrustException e = Errors.translate(Status.UNAVAILABLE.withDescription("connection refused").asRuntimeException());
    assertThat(e).isInstanceOf(UnavailableException.class);
    assertThat(e.reason()).isEqualTo("UNAVAILABLE");
  }
}
