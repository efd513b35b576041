package com.rendertrust.server.platform.db;

import com.rendertrust.server.platform.errors.DomainException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jooq.DSLContext;
import org.jooq.TransactionalCallable;
import org.jooq.exception.DataAccessException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a unit of work in one database transaction. Serialization failures and deadlocks
 * (SQLSTATE 40001 / 40P01) are retried a bounded number of times, since the whole transaction
 * rolled back and may simply run again; a database that cannot be reached becomes 503
 * DEPENDENCY_UNAVAILABLE instead of an internal error. Domain exceptions pass through unchanged
 * (after rolling the transaction back).
 */
public final class Transactions {

  private static final Logger log = LoggerFactory.getLogger(Transactions.class);
  private static final int MAX_ATTEMPTS = 4;

  private final DSLContext dsl;

  public Transactions(DSLContext dsl) {
    this.dsl = dsl;
  }

  public <T> T inTransaction(Function<DSLContext, T> work) {
    return withRetries(() -> dsl.transactionResult(configuration -> work.apply(configuration.dsl())));
  }

  /**
   * Like jOOQ's {@code transactionResult}, with the retries: for callers written against jOOQ's
   * {@code Configuration}. The work must be safe to run again (no side effects outside {@code tx}).
   */
  public <T> T transactionResult(TransactionalCallable<T> work) {
    return withRetries(() -> dsl.transactionResult(work));
  }

  /**
   * Runs work that is a single statement (its own transaction in autocommit mode: one round
   * trip, no BEGIN/COMMIT), with the same retries and error mapping.
   */
  public <T> T singleStatement(Function<DSLContext, T> statement) {
    return withRetries(() -> statement.apply(dsl));
  }

  private <T> T withRetries(Supplier<T> work) {
    for (int attempt = 1; ; attempt++) {
      try {
        return work.get();
      } catch (DomainException e) {
        throw e;
      } catch (DataAccessException e) {
        String state = sqlState(e);
        if (isRetryable(state) && attempt < MAX_ATTEMPTS) {
          log.debug("retrying transaction after SQLSTATE {} (attempt {})", state, attempt);
          continue;
        }
        if (isConnectionFailure(e, state)) {
          throw DomainException.unavailable("database unavailable, retry later");
        }
        throw e;
      }
    }
  }

  /** The SQLSTATE of the innermost SQLException in the cause chain, or null. */
  public static String sqlState(Throwable failure) {
    String state = null;
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof SQLException sql && sql.getSQLState() != null) {
        state = sql.getSQLState();
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return state;
  }

  private static boolean isRetryable(String state) {
    return "40001".equals(state) || "40P01".equals(state);
  }

  private static boolean isConnectionFailure(Throwable failure, String state) {
    // 08: connection exceptions; 57P: the server is shutting down or killed this session.
    if (state != null && (state.startsWith("08") || state.startsWith("57P"))) {
      return true;
    }
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof SQLTransientConnectionException) {
        return true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }
}
