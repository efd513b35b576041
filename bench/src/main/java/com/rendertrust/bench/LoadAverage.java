package com.rendertrust.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The machine's load average (Linux /proc/loadavg), printed next to figures taken on a shared machine. */
final class LoadAverage {

  private LoadAverage() {
  }

  /** "1-min 5-min 15-min", or "unknown" off Linux. */
  static String now() {
    try {
      String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return fields[0] + " " + fields[1] + " " + fields[2];
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }
}
