package com.rendertrust.bench;

import com.rendertrust.server.ControlPlane;
import com.rendertrust.server.platform.config.JobsConfig;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Many node streams on one replica: the real control plane (one Armeria port, embedded PostgreSQL
 * and Redis, production defaults: heartbeats every 30 s, streams re-read their jobs every 5 s) in
 * this JVM, and the nodes in a separate client JVM ({@link StreamsClient}) over a few HTTP/2
 * connections, so this JVM's heap holds the server alone.
 *
 * <p>Figures: the heap used after a full GC with every stream open (next to the same-run baseline
 * before any stream), the server's heartbeat handling time ({@code rt_nodes_heartbeat_duration_seconds}
 * from /metrics, over the measured window: from the frame's arrival at its stream to its
 * recording in PostgreSQL), and the streams the server ended. Last line:
 * {@code streams=N heap_mib=H heartbeat_p99_ms=P dropped=D}.
 * Usage: {@code bench/run-streams.sh [--streams 10000] [--connections 8] [--seconds 90] [--pool 32]}.
 */
public final class StreamsBenchmark {

  private static final String HEARTBEAT_METRIC = "rt_nodes_heartbeat_duration_seconds";

  public static void main(String[] args) throws Exception {
    int streams = 10_000;
    int connections = 8;
    int seconds = 90;
    int pool = 32;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--streams" -> streams = Integer.parseInt(args[++i]);
        case "--connections" -> connections = Integer.parseInt(args[++i]);
        case "--seconds" -> seconds = Integer.parseInt(args[++i]);
        case "--pool" -> pool = Integer.parseInt(args[++i]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]
            + " (bench/run-streams.sh [--streams 10000] [--connections 8] [--seconds 90] [--pool 32])");
      }
    }
    double loadAtStart = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    Path dataDir = Files.createTempDirectory("rendertrust-bench");
    int exit;
    try (EmbeddedPostgres postgres = EmbeddedPostgres.builder().setServerConfig("max_connections", "300")
        .setServerConfig("shared_buffers", "256MB").start();
        ControlPlane controlPlane = ControlPlane.start(BenchSetup.serverConfig(dataDir, postgres, pool,
            JobsConfig.defaults()))) {
      exit = run(controlPlane, new CpuUse(postgres.getPort()), streams, connections, seconds, pool, loadAtStart);
    } finally {
      BenchSetup.deleteQuietly(dataDir);
    }
    System.exit(exit);
  }

  private static int run(ControlPlane controlPlane, CpuUse cpu, int streams, int connections, int seconds, int pool,
      double loadAtStart) throws Exception {
    int port = controlPlane.httpPort();
    double baselineMib = heapAfterGcMib();
    String java = ProcessHandle.current().info().command().orElse("java");
    Process client = new ProcessBuilder(java, "-Xmx2g", "-XX:+UseParallelGC", "--enable-native-access=ALL-UNNAMED",
        "--sun-misc-unsafe-memory-access=allow", "-cp", System.getProperty("java.class.path"),
        StreamsClient.class.getName(), "--port", Integer.toString(port), "--streams", Integer.toString(streams),
        "--connections", Integer.toString(connections), "--seconds", Integer.toString(seconds))
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    try (BufferedReader lines = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8))) {
      String ready = await(lines, "READY");
      System.err.println("client: " + ready);
      int openAtStart = controlPlane.jobNetwork().sessions().openCount();
      double heapAtStartMib = heapAfterGcMib();
      Map<Double, Double> bucketsAtStart = scrape(port);
      CpuUse.Reading cpuAtStart = cpu.read();
      String done = await(lines, "DONE");
      CpuUse.Window cpuUse = CpuUse.between(cpuAtStart, cpu.read());
      Map<Double, Double> bucketsAtEnd = scrape(port);
      int openAtEnd = controlPlane.jobNetwork().sessions().openCount();
      double heapMib = Math.max(heapAtStartMib, heapAfterGcMib());
      client.getOutputStream().close(); // the client closes its streams and exits
      System.err.println("client: " + done);
      client.waitFor(60, TimeUnit.SECONDS);

      Map<Double, Double> window = new TreeMap<>();
      bucketsAtEnd.forEach((le, count) -> window.put(le, count - bucketsAtStart.getOrDefault(le, 0.0)));
      double heartbeats = window.getOrDefault(Double.POSITIVE_INFINITY, 0.0);
      double p50 = quantileMs(window, 0.50);
      double p99 = quantileMs(window, 0.99);
      long dropped = Math.max(0, streams - openAtEnd);
      long clientDropped = field(done, "dropped");
      double loadAtEnd = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
      System.out.printf(Locale.ROOT, "Node Connect streams on one replica (this JVM: the server alone; the nodes in a "
          + "separate JVM over %d HTTP/2 connections), production defaults, DB pool %d, %d s measured%n",
          connections, pool, seconds);
      System.out.printf(Locale.ROOT, "machine: %d cores, Java %s, max heap %d MiB; load average %.2f at start, %.2f "
              + "at end (a shared machine: compare only figures of one run)%n",
          Runtime.getRuntime().availableProcessors(), Runtime.version(),
          Runtime.getRuntime().maxMemory() / (1024 * 1024), loadAtStart, loadAtEnd);
      System.out.printf(Locale.ROOT, "client: %s / %s; server: %d streams open at the start of the window, %d at "
          + "the end%n", ready, done, openAtStart, openAtEnd);
      System.out.printf(Locale.ROOT, "heap after a full GC: %.0f MiB before any stream (baseline), %.0f MiB with the "
              + "streams open (the larger of the window's start and end): %.1f KiB per stream%n", baselineMib, heapMib,
          (heapMib - baselineMib) * 1024 / Math.max(1, openAtStart));
      System.out.printf(Locale.ROOT, "heartbeats handled in the window: %.0f (%.1f/s); handling time p50 <= %.1f ms, "
          + "p99 <= %.1f ms (histogram bucket bounds)%n", heartbeats, heartbeats / seconds, p50, p99);
      System.out.printf(Locale.ROOT, "CPU in the window (cores): this JVM (server) %.2f, PostgreSQL %.2f, other "
              + "processes (client JVM, builds) %.2f, idle %.2f%n", cpuUse.jvmCores(), cpuUse.postgresCores(),
          cpuUse.otherCores(), cpuUse.idleCores());
      System.out.printf(Locale.ROOT, "goals: heap <= 1024 MiB: %s; heartbeat p99 <= 50 ms: %s; nothing dropped: %s%n",
          heapMib <= 1024 ? "PASS" : "MISS", p99 <= 50 ? "PASS" : "MISS",
          dropped == 0 && clientDropped == 0 ? "PASS" : "MISS");
      System.out.printf(Locale.ROOT, "streams=%d heap_mib=%.0f heartbeat_p99_ms=%.1f dropped=%d%n", openAtStart,
          heapMib, p99, Math.max(dropped, clientDropped));
      return dropped == 0 && clientDropped == 0 && openAtStart == streams ? 0 : 1;
    } finally {
      client.destroy();
    }
  }

  private static String await(BufferedReader lines, String prefix) throws IOException {
    for (String line = lines.readLine(); line != null; line = lines.readLine()) {
      if (line.startsWith(prefix)) {
        return line;
      }
    }
    throw new IllegalStateException("the streams client ended before " + prefix);
  }

  private static long field(String line, String name) {
    for (String part : line.split(" ")) {
      if (part.startsWith(name + "=")) {
        return Long.parseLong(part.substring(name.length() + 1));
      }
    }
    return -1;
  }

  private static double heapAfterGcMib() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(200);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / (1024.0 * 1024.0);
  }

  /** The heartbeat histogram's cumulative buckets (upper bound in seconds to count) from /metrics. */
  private static Map<Double, Double> scrape(int port) throws IOException, InterruptedException {
    String text = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
        + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
    Map<Double, Double> buckets = new TreeMap<>();
    for (String line : text.split("\n")) {
      if (line.startsWith(HEARTBEAT_METRIC + "_bucket{")) {
        int le = line.indexOf("le=\"") + 4;
        String bound = line.substring(le, line.indexOf('"', le));
        double value = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        buckets.merge("+Inf".equals(bound) ? Double.POSITIVE_INFINITY : Double.parseDouble(bound), value, Double::sum);
      }
    }
    return buckets;
  }

  /** The upper bound (ms) of the first bucket holding the quantile; NaN without observations. */
  private static double quantileMs(Map<Double, Double> cumulative, double quantile) {
    double total = cumulative.getOrDefault(Double.POSITIVE_INFINITY, 0.0);
    if (total == 0) {
      return Double.NaN;
    }
    List<Map.Entry<Double, Double>> sorted = new ArrayList<>(cumulative.entrySet());
    for (Map.Entry<Double, Double> bucket : sorted) {
      if (bucket.getValue() >= quantile * total) {
        return bucket.getKey() * 1000;
      }
    }
    return Double.POSITIVE_INFINITY;
  }
}
