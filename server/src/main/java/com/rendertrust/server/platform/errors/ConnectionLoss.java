package com.rendertrust.server.platform.errors;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.Set;

/**
 * Recognises a failure caused by losing the database: the connection was closed or killed
 * ({@code pg_terminate_backend}, a restart, a network cut) or none could be had from the pool.
 * Such a failure is the client's 503 DEPENDENCY_UNAVAILABLE (retry later), never a 500; the
 * adapters map it through {@link #asUnavailable}. It looks through any wrapping (jOOQ's
 * DataAccessException, Hikari's proxies), so it holds for every path.
 */
public final class ConnectionLoss {

  public static final String DETAIL = "database unavailable, retry later";

  /** 57P01 admin_shutdown (pg_terminate_backend), 57P02 crash_shutdown, 57P03 cannot_connect_now, 57P05 idle_session_timeout. */
  private static final Set<String> SESSION_ENDED = Set.of("57P01", "57P02", "57P03", "57P05");

  /** Cause chains can loop; nothing real is nested deeper than this. */
  private static final int MAX_DEPTH = 32;

  private ConnectionLoss() {
  }

  /**
   * A connection in use broke (SQLSTATE class 08 or a terminated session): the work may be retried
   * on another one. Not when the pool had no connection to give (it already waited its timeout,
   * whatever SQLSTATE it passes on).
   */
  public static boolean isBrokenConnection(Throwable failure) {
    boolean broken = false;
    int depth = 0;
    for (Throwable t = failure; t != null && depth < MAX_DEPTH; t = next(t), depth++) {
      if (t instanceof SQLTransientConnectionException) {
        return false;
      }
      if (t instanceof SQLException sql && isBrokenConnectionState(sql.getSQLState())) {
        broken = true;
      }
    }
    return broken;
  }

  /** A broken connection, or no connection at all (the pool timed out waiting for one). */
  public static boolean isConnectionLoss(Throwable failure) {
    int depth = 0;
    for (Throwable t = failure; t != null && depth < MAX_DEPTH; t = next(t), depth++) {
      if (t instanceof SQLTransientConnectionException
          || t instanceof SQLException sql && isBrokenConnectionState(sql.getSQLState())) {
        return true;
      }
    }
    return false;
  }

  /** The 503 a connection loss answers. */
  public static DomainException asUnavailable() {
    return DomainException.unavailable(DETAIL);
  }

  /**
   * Whether {@code answer} is a 503 (DEPENDENCY_UNAVAILABLE), the answer {@link #asUnavailable} gives
   * a lost connection, rather than another refusal. A batch writer takes every 503 as a connection
   * lost, perhaps after its commit: the safe reading, as it writes none of its items again.
   */
  public static boolean isUnavailable(DomainException answer) {
    return answer.reason() == Reason.DEPENDENCY_UNAVAILABLE;
  }

  static boolean isBrokenConnectionState(String state) {
    return state != null && (state.startsWith("08") || SESSION_ENDED.contains(state));
  }

  private static Throwable next(Throwable t) {
    Throwable cause = t.getCause();
    if (cause == null && t instanceof SQLException sql) {
      cause = sql.getNextException();
    }
    return cause == t ? null : cause;
  }
}
