package com.rendertrust.server.platform.db;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.jooq.ConnectionProvider;
import org.jooq.exception.DataAccessException;

/**
 * jOOQ's connections, each answering {@link Connection#getTransactionIsolation} from what it
 * knows instead of asking the server. jOOQ 3.21 reads the isolation level at the start of every
 * transaction (jOOQ issue #20135), and pgjdbc answers that with a {@code SHOW TRANSACTION
 * ISOLATION LEVEL} round trip: one extra round trip per transaction, on every hot path. The pool
 * sets every connection to {@code initialIsolation} when it opens it and resets it on return, and
 * a change through the connection is tracked, so the answer is always the connection's level.
 */
final class KnownIsolationConnections implements ConnectionProvider {

  private final DataSource dataSource;
  private final int initialIsolation;

  KnownIsolationConnections(DataSource dataSource, int initialIsolation) {
    this.dataSource = dataSource;
    this.initialIsolation = initialIsolation;
  }

  @Override
  public Connection acquire() {
    try {
      Connection pooled = dataSource.getConnection();
      return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
          new KnownIsolation(pooled, initialIsolation));
    } catch (SQLException e) {
      throw new DataAccessException("Error getting connection from data source " + dataSource, e);
    }
  }

  @Override
  public void release(Connection connection) {
    try {
      connection.close();
    } catch (SQLException e) {
      throw new DataAccessException("Error closing connection " + connection, e);
    }
  }

  private static final class KnownIsolation implements InvocationHandler {
    private final Connection pooled;
    private int isolation;

    KnownIsolation(Connection pooled, int isolation) {
      this.pooled = pooled;
      this.isolation = isolation;
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
      String name = method.getName();
      if (name.equals("getTransactionIsolation") && method.getParameterCount() == 0) {
        return isolation;
      }
      try {
        Object result = method.invoke(pooled, args);
        if (name.equals("setTransactionIsolation") && method.getParameterCount() == 1) {
          isolation = (Integer) args[0];
        }
        return result;
      } catch (InvocationTargetException e) {
        throw e.getCause();
      }
    }
  }
}
