package com.rendertrust.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs PostgreSQL's own pgbench (built-in tpcb-like or simple-update script, or a custom script
 * file) against the benchmark's database.
 */
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
    return tps(run(List.of("-b", script, "-n", "-c", Integer.toString(clients), "-j", Integer.toString(threads(clients)),
        "-T", Integer.toString(seconds), "-h", "127.0.0.1", "-p", Integer.toString(port), "-U", "postgres", "postgres"),
        seconds + 120L));
  }

  /**
   * Starts a custom script file ({@code -f}) on {@code database} with prepared statements ({@code -M prepared}, as the
   * server's driver does for repeated statements) and {@code -D name=value} for each define; the
   * caller reads CPU while it runs and then asks {@link ScriptRun#tps()}.
   */
  ScriptRun startScript(Path script, String database, int clients, int seconds, Map<String, String> defines) {
    List<String> args = new ArrayList<>(List.of("-f", script.toString(), "-M", "prepared", "-n",
        "-c", Integer.toString(clients), "-j", Integer.toString(threads(clients)), "-T", Integer.toString(seconds)));
    defines.forEach((name, value) -> args.addAll(List.of("-D", name + "=" + value)));
    args.addAll(List.of("-h", "127.0.0.1", "-p", Integer.toString(port), "-U", "postgres", database));
    return new ScriptRun(start(args), seconds + 120L);
  }

  /** A running pgbench, its output read to the end on another thread. */
  static final class ScriptRun {

    private final Started started;
    private final long timeoutSeconds;

    private ScriptRun(Started started, long timeoutSeconds) {
      this.started = started;
      this.timeoutSeconds = timeoutSeconds;
    }

    /** pgbench's own process (its client threads), e.g. for the CPU it used. */
    ProcessHandle process() {
      return started.process().toHandle();
    }

    /** Waits for the end; transactions (script runs) per second without connection time. */
    double tps() {
      return Pgbench.tps(await(started, timeoutSeconds));
    }
  }

  private static int threads(int clients) {
    return Math.min(clients, Runtime.getRuntime().availableProcessors());
  }

  private static double tps(String output) {
    Matcher tps = TPS.matcher(output);
    if (!tps.find()) {
      throw new IllegalStateException("no tps in pgbench output:\n" + output);
    }
    return Double.parseDouble(tps.group(1));
  }

  private String run(List<String> args, long timeoutSeconds) {
    return await(start(args), timeoutSeconds);
  }

  private record Started(List<String> command, Process process, CompletableFuture<String> output) {
  }

  private Started start(List<String> args) {
    List<String> command = new ArrayList<>();
    command.add(binary.toString());
    command.addAll(args);
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> {
        try {
          return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
          throw new IllegalStateException("reading pgbench's output failed", e);
        }
      });
      return new Started(command, process, output);
    } catch (IOException e) {
      throw new IllegalStateException("could not run " + binary, e);
    }
  }

  private static String await(Started started, long timeoutSeconds) {
    try {
      String text = started.output().get(timeoutSeconds, TimeUnit.SECONDS);
      started.process().waitFor();
      if (started.process().exitValue() != 0) {
        throw new IllegalStateException("pgbench failed (" + started.process().exitValue() + "): "
            + started.command() + "\n" + text);
      }
      return text;
    } catch (TimeoutException e) {
      started.process().destroyForcibly();
      throw new IllegalStateException("pgbench timed out: " + started.command());
    } catch (ExecutionException e) {
      throw new IllegalStateException("pgbench failed: " + started.command(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
