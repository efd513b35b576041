package com.rendertrust.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;

/**
 * Where the machine's CPU went over a window: this JVM (server, nodes and creators alike), the
 * embedded PostgreSQL (postmaster and its backends) and everything else (other builds on a
 * shared machine), from /proc. Linux only; elsewhere the figures are absent.
 */
final class CpuUse {

  /** A reading at one instant, in nanoseconds of CPU. */
  record Reading(long wallNanos, long jvmNanos, long postgresNanos, long busyNanos, long totalNanos, long jitNanos) {
  }

  /**
   * Cores used on average over a window, by whom; {@code jitCores} is the part of the JVM's that
   * its JIT compilers spent (HotSpot's accumulated compilation time): on 2 cores a build that is
   * still compiling its hot paths is slower per lifecycle for that reason alone.
   */
  record Window(double seconds, double jvmCores, double postgresCores, double otherCores, double idleCores,
      double jitCores) {
    Window(double seconds, double jvmCores, double postgresCores, double otherCores, double idleCores) {
      this(seconds, jvmCores, postgresCores, otherCores, idleCores, 0);
    }
  }

  private static final long NANOS_PER_TICK = 10_000_000L; // USER_HZ = 100 on Linux

  private final int postgresPort;

  CpuUse(int postgresPort) {
    this.postgresPort = postgresPort;
  }

  Reading read() {
    long jvm = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
    long postgres = postmaster().map(CpuUse::cpuWithDescendants).orElse(0L);
    long[] machine = machineTicks();
    var compilation = ManagementFactory.getCompilationMXBean();
    long jit = compilation != null && compilation.isCompilationTimeMonitoringSupported()
        ? compilation.getTotalCompilationTime() * 1_000_000L : 0;
    return new Reading(System.nanoTime(), jvm, postgres, machine[0] * NANOS_PER_TICK, machine[1] * NANOS_PER_TICK,
        jit);
  }

  static Window between(Reading start, Reading end) {
    double wall = end.wallNanos() - start.wallNanos();
    double jvm = (end.jvmNanos() - start.jvmNanos()) / wall;
    double postgres = (end.postgresNanos() - start.postgresNanos()) / wall;
    double busy = (end.busyNanos() - start.busyNanos()) / wall;
    double total = (end.totalNanos() - start.totalNanos()) / wall;
    return new Window(wall / 1e9, jvm, postgres, Math.max(0, busy - jvm - postgres), Math.max(0, total - busy),
        (end.jitNanos() - start.jitNanos()) / wall);
  }

  private Optional<ProcessHandle> postmaster() {
    String port = Integer.toString(postgresPort);
    return ProcessHandle.allProcesses()
        .filter(process -> process.info().arguments()
            .map(args -> Arrays.asList(args).contains(port) && Arrays.asList(args).contains("-p"))
            .orElse(false))
        .findFirst();
  }

  private static long cpuWithDescendants(ProcessHandle process) {
    long own = process.info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
    return own + process.descendants()
        .mapToLong(child -> child.info().totalCpuDuration().map(Duration::toNanos).orElse(0L))
        .sum();
  }

  /** {busy, total} ticks of all CPUs from /proc/stat (idle and iowait are not busy). */
  private static long[] machineTicks() {
    try {
      String[] fields = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
      long total = 0;
      long idle = 0;
      for (int i = 1; i < fields.length && i <= 8; i++) {
        long value = Long.parseLong(fields[i]);
        total += value;
        if (i == 4 || i == 5) {
          idle += value;
        }
      }
      return new long[] {total - idle, total};
    } catch (IOException | RuntimeException e) {
      return new long[] {0, 0};
    }
  }
}
