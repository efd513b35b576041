package com.rendertrust.bench;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.ToLongFunction;

/**
 * Where the open loop's submit-to-node time goes, so that a tail can be told apart: the sender
 * late for a submission's due time, the DispatchJob call itself, and the node's receipt after the
 * call was sent. The slowest submissions are listed with their time into the run (a periodic
 * cause shows as a regular spacing).
 */
final class LatencyBreakdown {

  /** One submission that reached a node, all times System.nanoTime. */
  record Timing(long dueNanos, long sentNanos, long answeredNanos, long nodeNanos) {
    long toNode() {
      return nodeNanos - dueNanos;
    }
  }

  private final List<Timing> timings = new ArrayList<>();

  void add(JobClients.Sent sent, long nodeNanos) {
    timings.add(new Timing(sent.dueNanos(), sent.sentNanos(), sent.answeredNanos(), nodeNanos));
  }

  /** Prints p50 / p99 / max of each part, then the slowest 1 % (at least 5) of submissions. */
  void print() {
    if (timings.isEmpty()) {
      return;
    }
    long start = timings.stream().mapToLong(Timing::dueNanos).min().orElseThrow();
    System.out.println();
    System.out.println("submit-to-node, by part (ms): p50 / p99 / max");
    part("sender late for the due time", t -> t.sentNanos() - t.dueNanos());
    part("DispatchJob call (sent to answered)", t -> t.answeredNanos() - t.sentNanos());
    part("sent to node received", t -> t.nodeNanos() - t.sentNanos());
    part("node received after the answer (negative: before)", t -> t.nodeNanos() - t.answeredNanos());
    List<Timing> slowest = timings.stream().sorted(Comparator.comparingLong(Timing::toNode).reversed())
        .limit(Math.max(5, timings.size() / 100)).sorted(Comparator.comparingLong(Timing::dueNanos)).toList();
    System.out.println("slowest submissions: due at (ms into the loop) | to node | late | call | node after send");
    for (Timing t : slowest) {
      System.out.printf(Locale.ROOT, "  %8.1f | %6.1f | %6.1f | %6.1f | %6.1f%n", ms(t.dueNanos() - start),
          ms(t.toNode()), ms(t.sentNanos() - t.dueNanos()), ms(t.answeredNanos() - t.sentNanos()),
          ms(t.nodeNanos() - t.sentNanos()));
    }
  }

  private void part(String name, ToLongFunction<Timing> nanos) {
    long[] sorted = timings.stream().mapToLong(nanos).sorted().toArray();
    System.out.printf(Locale.ROOT, "  %s: %.1f / %.1f / %.1f%n", name, ms(at(sorted, 0.50)), ms(at(sorted, 0.99)),
        ms(sorted[sorted.length - 1]));
  }

  private static long at(long[] sorted, double quantile) {
    return sorted[Math.max(0, (int) Math.ceil(quantile * sorted.length) - 1)];
  }

  private static double ms(long nanos) {
    return nanos / 1e6;
  }
}
