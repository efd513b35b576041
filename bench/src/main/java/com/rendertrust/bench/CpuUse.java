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
   * its JIT compiler threads spent (their CPU time from /proc): on 2 cores a build that is still
   * compiling its hot paths is slower per lifecycle for that reason alone.
   */
  record Window(double seconds, double jvmCores, double postgresCores, double otherCores, double idleCores,
      double jitCores) {
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
    return new Reading(System.nanoTime(), jvm, postgres, machine[0] * NANOS_PER_TICK, machine[1] * NANOS_PER_TICK,
        compilerThreadsTicks() * NANOS_PER_TICK);
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

  /**
   * The postmaster: the {@code postgres} process started with {@code -p <port>}. The command is
   * checked too, since pgbench is started with the same {@code -p <port>}, and taking it for the
   * postmaster once counted the ceiling's PostgreSQL under "other processes".
   */
  private Optional<ProcessHandle> postmaster() {
    String port = Integer.toString(postgresPort);
    return ProcessHandle.allProcesses()
        .filter(process -> process.info().command().map(command -> command.endsWith("/postgres")).orElse(false))
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

  /**
   * CPU ticks (user and system) of this JVM's C1/C2 compiler threads, from /proc/self/task. The
   * compilation time HotSpot reports is elapsed time summed over compiles, not CPU, and can exceed
   * the process's CPU while compiles queue.
   */
  private static long compilerThreadsTicks() {
    long ticks = 0;
    try (var tasks = Files.list(Path.of("/proc/self/task"))) {
      for (Path task : (Iterable<Path>) tasks::iterator) {
        try {
          String name = Files.readString(task.resolve("comm"));
          if (!name.startsWith("C1 CompilerThre") && !name.startsWith("C2 CompilerThre")) {
            continue;
          }
          String stat = Files.readString(task.resolve("stat"));
          // fields after the command's closing parenthesis: state is field 3, utime 14, stime 15
          String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
          ticks += Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        } catch (IOException | RuntimeException threadEnded) {
          // a compiler thread that ended between the listing and the read: its time is gone with it
        }
      }
    } catch (IOException | RuntimeException e) {
      return 0;
    }
    return ticks;
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
