package com.rendertrust.server.platform.errors;

import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.server.platform.grpc.GrpcErrors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.concurrent.CompletionException;
import org.jooq.exception.DataAccessException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Issue 21, finding 5: a lost database is 503 DEPENDENCY_UNAVAILABLE wherever it surfaces, never 500. */
class ConnectionLossTest {

  @ParameterizedTest
  @ValueSource(strings = {"08000", "08003", "08006", "08001", "57P01", "57P02", "57P03", "57P05"})
  void brokenConnectionsAreDependencyUnavailable(String sqlState) {
    SQLException driver = new SQLException("terminating connection due to administrator command", sqlState);
    Throwable wrapped = new CompletionException(new DataAccessException("SQL [select secret_column from t]", driver));

    assertThat(ConnectionLoss.isBrokenConnection(wrapped)).isTrue();
    assertThat(ConnectionLoss.isConnectionLoss(wrapped)).isTrue();
    StatusRuntimeException status = GrpcErrors.toStatusException(wrapped);
    assertThat(status.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(status.getTrailers().get(GrpcErrors.HTTP_STATUS_KEY)).isEqualTo("503");
    assertThat(status.getStatus().getDescription()).isEqualTo(ConnectionLoss.DETAIL).doesNotContain("secret_column");
  }

  @Test
  void anExhaustedPoolIs503ButNotRetriedOnAnotherConnection() {
    // Hikari passes on the SQLSTATE of its last failure; it already waited its timeout.
    Throwable timeout = new DataAccessException("pool", new SQLTransientConnectionException(
        "rendertrust-db - Connection is not available, request timed out after 5000ms", "08001"));

    assertThat(ConnectionLoss.isConnectionLoss(timeout)).isTrue();
    assertThat(ConnectionLoss.isBrokenConnection(timeout)).isFalse();
    assertThat(GrpcErrors.toStatusException(timeout).getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
  }

  @Test
  void otherDatabaseErrorsStayInternalErrors() {
    Throwable uniqueViolation = new DataAccessException("dup", new SQLException("duplicate key", "23505"));
    Throwable queryCanceled = new DataAccessException("cancel", new SQLException("canceling statement", "57014"));

    for (Throwable failure : new Throwable[] {uniqueViolation, queryCanceled, new IllegalStateException("bug")}) {
      assertThat(ConnectionLoss.isConnectionLoss(failure)).isFalse();
      assertThat(GrpcErrors.toStatusException(failure).getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
    }
  }

  @Test
  void aCauseChainThatLoopsEnds() {
    RuntimeException first = new RuntimeException("a");
    RuntimeException second = new RuntimeException("b", first);
    first.initCause(second);

    assertThat(ConnectionLoss.isConnectionLoss(first)).isFalse();
  }
}
