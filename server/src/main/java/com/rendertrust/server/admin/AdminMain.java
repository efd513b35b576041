package com.rendertrust.server.admin;

import com.rendertrust.server.auth.RoleGrants;
import com.rendertrust.server.platform.config.ConfigLoader;
import com.rendertrust.server.platform.config.ServerConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;

/**
 * {@code ./rendertrust admin grant --email ADDRESS}: makes an existing account an administrator,
 * with database access and no API. It connects to the database the server uses, while the
 * server runs, and never starts, stops or migrates it: {@code RT_DATABASE_URL} (with
 * {@code RT_DATABASE_USER}, {@code RT_DATABASE_PASSWORD}) when set, otherwise the embedded
 * default's PostgreSQL under {@code RT_DATA_DIR} (default {@code ~/.rendertrust/dev}), found by
 * the port in its {@code postgres/postmaster.pid}. Exit codes: 0 granted, 1 no such account or
 * no reachable database, 2 usage.
 */
public final class AdminMain {

  private AdminMain() {
  }

  public static void main(String[] args) {
    System.exit(run(args, System.getenv(), System.out, System.err));
  }

  static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
    List<String> list = List.of(args);
    if (list.size() != 3 || !list.get(0).equals("grant") || !list.get(1).equals("--email") || list.get(2).isBlank()) {
      err.println("usage: rendertrust admin grant --email ADDRESS");
      return 2;
    }
    String email = list.get(2);
    ServerConfig config = new ConfigLoader(env).load(true);
    Optional<String> url = jdbcUrl(config, err);
    if (url.isEmpty()) {
      return 1;
    }
    try (Connection connection = DriverManager.getConnection(url.get(),
        config.databaseUrl().isPresent() ? config.databaseUser().orElse(null) : "postgres",
        config.databaseUrl().isPresent() ? config.databasePassword().orElse(null) : null)) {
      if (!RoleGrants.grantAdmin(DSL.using(connection, SQLDialect.POSTGRES), email)) {
        err.println("rendertrust admin: no account with e-mail " + email);
        return 1;
      }
      out.println("granted ADMIN to " + email + "; the role applies from the user's next login");
      return 0;
    } catch (SQLException e) {
      err.println("rendertrust admin: cannot reach the database (" + e.getMessage() + ")");
      return 1;
    }
  }

  /** RT_DATABASE_URL, or the running embedded PostgreSQL of RT_DATA_DIR. */
  private static Optional<String> jdbcUrl(ServerConfig config, PrintStream err) {
    if (config.databaseUrl().isPresent()) {
      return config.databaseUrl();
    }
    Path pidFile = config.dataDir().resolve("postgres").resolve("postmaster.pid");
    try {
      // postmaster.pid: pid, data directory, start time, port, socket directory, listen address, ...
      List<String> lines = Files.readAllLines(pidFile);
      long pid = Long.parseLong(lines.get(0).strip());
      if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
        return Optional.of("jdbc:postgresql://localhost:" + Integer.parseInt(lines.get(3).strip()) + "/postgres");
      }
    } catch (IOException | RuntimeException e) {
      // no readable pid file: not running
    }
    err.println("rendertrust admin: the embedded PostgreSQL of " + config.dataDir()
        + " is not running; start the server (./rendertrust dev) or set RT_DATABASE_URL");
    return Optional.empty();
  }
}
