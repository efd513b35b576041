package com.rendertrust.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Runs PostgreSQL's own pgbench (built-in tpcb-like or simple-update script) against the benchmark's database. */
final class Pgbench {

  private static final Pattern TPS = Pattern.compile("tps = ([0-9.]+) \\(without initial connection time\\)");

  private final Path binary;
  private final int port;

  private Pgbench(Path binary, int port) {
    this.binary = binary;
    this.port = port;
  }

  /** pgbench from RT_BENCH_PGBENCH, else the PATH (Debian: postgresql-client). */
  static Optional<Pgbench> find(int port) {
    String configured = System.getenv("RT_BENCH_PGBENCH");
    if (configured != null && !configured.isBlank()) {
      return Optional.of(new Pgbench(Path.of(configured), port));
    }
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      Path candidate = Path.of(dir, "pgbench");
      if (Files.isExecutable(candidate)) {
        return Optional.of(new Pgbench(candidate, port));
      }
    }
    return Optional.empty();
  }

  String version() {
    return run(List.of("--version"), 30).strip();
  }

  void initialize(int scale) {
    run(List.of("-i", "-q", "-s", Integer.toString(scale), "-h", "127.0.0.1", "-p", Integer.toString(port),
        "-U", "postgres", "postgres"), 600);
  }

  /** Transactions per second of the built-in tpcb-like script (5 statements per transaction). */
  double tpcbLike(int clients, int seconds) {
    return builtin("tpcb-like", clients, seconds);
  }

  /**
   * Transactions per second of the built-in simple-update script ({@code -N}: tpcb-like without
   * the teller and branch updates, so no hot row; 3 statements per transaction).
   */
  double simpleUpdate(int clients, int seconds) {
    return builtin("simple-update", clients, seconds);
  }

  private double builtin(String script, int clients, int seconds) {
    int threads = Math.min(clients, Runtime.getRuntime().availableProcessors());
    String output = run(List.of("-b", script, "-n", "-c", Integer.toString(clients), "-j", Integer.toString(threads),
        "-T", Integer.toString(seconds), "-h", "127.0.0.1", "-p", Integer.toString(port), "-U", "postgres", "postgres"),
        seconds + 120L);
    Matcher tps = TPS.matcher(output);
    if (!tps.find()) {
      throw new IllegalStateException("no tps in pgbench output:\n" + output);
    }
    return Double.parseDouble(tps.group(1));
  }

  private String run(List<String> args, long timeoutSeconds) {
    List<String> command = new ArrayList<>();
    command.add(binary.toString());
    command.addAll(args);
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      byte[] out = process.getInputStream().readAllBytes();
      if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException("pgbench timed out: " + command);
      }
      String text = new String(out, StandardCharsets.UTF_8);
      if (process.exitValue() != 0) {
        throw new IllegalStateException("pgbench failed (" + process.exitValue() + "): " + command + "\n" + text);
      }
      return text;
    } catch (IOException e) {
      throw new IllegalStateException("could not run " + binary, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
