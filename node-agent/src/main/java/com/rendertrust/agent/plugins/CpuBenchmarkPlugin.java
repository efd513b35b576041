package com.rendertrust.agent.plugins;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.util.BitSet;

/**
 * {@code cpu_benchmark}: counts the primes up to {@code payload.limit} (default 100000, 2..10^7)
 * with a segmented sieve of Eratosthenes, reporting progress per segment, and returns
 * {@code {"job_id","limit","primes_found","duration_ms","duration_seconds","cpu_cores"}} as JSON.
 */
public final class CpuBenchmarkPlugin implements JobPlugin {

  public static final long DEFAULT_LIMIT = 100_000;
  public static final long MAX_LIMIT = 10_000_000;
  private static final int SEGMENT = 32_768;

  private final ObjectMapper json = new ObjectMapper();

  @Override
  public String jobType() {
    return "cpu_benchmark";
  }

  @Override
  public PluginOutput run(JobContext context) throws Exception {
    long limit = limit(context.payload());
    long started = System.nanoTime();
    long primes = countPrimes((int) limit, context);
    long elapsedNanos = System.nanoTime() - started;

    ObjectNode result = json.createObjectNode();
    result.put("job_id", context.job().jobId());
    result.put("limit", limit);
    result.put("primes_found", primes);
    result.put("duration_ms", elapsedNanos / 1_000_000);
    result.put("duration_seconds", elapsedNanos / 1e9);
    result.put("cpu_cores", Runtime.getRuntime().availableProcessors());
    Files.write(context.outputFile(), json.writeValueAsBytes(result));
    return new PluginOutput(context.outputFile());
  }

  private static long limit(JsonNode payload) throws PluginFailure {
    JsonNode value = payload.get("limit");
    if (value == null || value.isNull()) {
      return DEFAULT_LIMIT;
    }
    boolean integral = value.isIntegralNumber() || (value.isNumber() && value.asDouble() == Math.rint(value.asDouble()));
    if (!integral || value.asDouble() < 2 || value.asDouble() > MAX_LIMIT) {
      throw new PluginFailure("cpu_benchmark: limit must be an integer from 2 to " + MAX_LIMIT + ", got " + value);
    }
    return value.asLong();
  }

  /** Primes in [2, limit]: base primes up to sqrt(limit), then fixed-size segments. */
  static long countPrimes(int limit, JobContext context) throws JobStoppedException {
    int root = (int) Math.sqrt(limit);
    BitSet composite = new BitSet(root + 1);
    for (int i = 2; (long) i * i <= root; i++) {
      if (!composite.get(i)) {
        for (int j = i * i; j <= root; j += i) {
          composite.set(j);
        }
      }
    }
    int[] basePrimes = java.util.stream.IntStream.rangeClosed(2, root).filter(i -> !composite.get(i)).toArray();

    long count = 0;
    long segments = (limit - 1L + SEGMENT - 1) / SEGMENT;
    BitSet segment = new BitSet(SEGMENT);
    long done = 0;
    for (long low = 2; low <= limit; low += SEGMENT) {
      context.checkStillWanted();
      long high = Math.min(low + SEGMENT - 1, limit);
      segment.clear();
      for (int p : basePrimes) {
        long p2 = (long) p * p;
        if (p2 > high) {
          break;
        }
        long start = Math.max(p2, ((low + p - 1) / p) * p);
        for (long m = start; m <= high; m += p) {
          segment.set((int) (m - low));
        }
      }
      int width = (int) (high - low + 1);
      count += width - segment.get(0, width).cardinality();
      done++;
      context.progress((int) (done * 100 / segments), "sieved up to " + high);
    }
    return count;
  }
}
