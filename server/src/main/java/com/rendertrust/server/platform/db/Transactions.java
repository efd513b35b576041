package com.rendertrust.server.platform.db;

import com.rendertrust.server.platform.errors.ConnectionLoss;
import com.rendertrust.server.platform.errors.DomainException;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.jooq.DSLContext;
import org.jooq.TransactionalCallable;
import org.jooq.exception.DataAccessException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a unit of work in one database transaction. Serialization failures and deadlocks
 * (SQLSTATE 40001 / 40P01) are retried a bounded number of times, since the whole transaction
 * rolled back and may simply run again. So is a connection that broke before the work reached its
 * commit ({@code pg_terminate_backend}, a restart): nothing was committed, and the next attempt
 * takes another connection from the pool. A connection lost during the commit leaves the outcome
 * unknown, so that one is never retried. A database that stays unreachable becomes 503
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
    return transactionResult(configuration -> work.apply(configuration.dsl()));
  }

  /**
   * Like jOOQ's {@code transactionResult}, with the retries: for callers written against jOOQ's
   * {@code Configuration}. The work must be safe to run again (no side effects outside {@code tx}).
   */
  public <T> T transactionResult(TransactionalCallable<T> work) {
    return withRetries("transaction", true, reachedCommit -> dsl.transactionResult(configuration -> {
      T result = work.run(configuration);
      reachedCommit.set(true);
      return result;
    }));
  }

  /**
   * Runs work that is a single statement (its own transaction in autocommit mode: one round
   * trip, no BEGIN/COMMIT), with the same retries and error mapping, except after a broken
   * connection: a write may have committed before its answer was lost. Use {@link #repeatable} for
   * reads and for writes a unique key makes idempotent.
   */
  public <T> T singleStatement(Function<DSLContext, T> statement) {
    return withRetries("statement", false, unused -> statement.apply(dsl));
  }

  /**
   * Runs statements (autocommit, no transaction) that are safe to repeat whatever happened:
   * reads, or a write whose unique key turns a repeat into a replay. So a broken connection is
   * retried on another one too.
   */
  public <T> T repeatable(Function<DSLContext, T> statements) {
    return withRetries("repeatable statements", true, unused -> statements.apply(dsl));
  }

  /**
   * Runs {@code attempt} until it succeeds or fails for good. Serialization failures and
   * deadlocks are always retried; a broken connection only with {@code retryBrokenConnection} and
   * while the attempt has not set its flag (which a transaction sets when its work is done and
   * only the commit is left).
   */
  private <T> T withRetries(String what, boolean retryBrokenConnection, Function<AtomicBoolean, T> attempt) {
    for (int attempts = 1; ; attempts++) {
      AtomicBoolean reachedCommit = new AtomicBoolean();
      try {
        return attempt.apply(reachedCommit);
      } catch (DomainException e) {
        throw e;
      } catch (DataAccessException e) {
        boolean retryable = isRetryable(sqlState(e))
            || (retryBrokenConnection && !reachedCommit.get() && ConnectionLoss.isBrokenConnection(e));
        if (!retryable || attempts >= MAX_ATTEMPTS) {
          throw mapped(e);
        }
        log.debug("retrying {} after SQLSTATE {} (attempt {})", what, sqlState(e), attempts);
      }
    }
  }

  private static RuntimeException mapped(DataAccessException failure) {
    return ConnectionLoss.isConnectionLoss(failure) ? ConnectionLoss.asUnavailable() : failure;
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
}
