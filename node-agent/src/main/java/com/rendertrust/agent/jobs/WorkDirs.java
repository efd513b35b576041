package com.rendertrust.agent.jobs;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;

/** One private working directory per job attempt under the agent's work dir. */
public final class WorkDirs {

  /** Only directories with this prefix are ever removed: the work dir may be shared with other things. */
  private static final String PREFIX = "rt-job-";

  private final Path root;
  private final boolean keep;

  public WorkDirs(Path root, boolean keep) {
    this.root = root;
    this.keep = keep;
  }

  public Path root() {
    return root;
  }

  /**
   * A fresh, empty directory for this attempt (a leftover from an earlier run of the same attempt
   * is removed). Named by the whole assignment id: two tasks of one job may run here side by side.
   */
  public Path create(JobSpec job) throws IOException {
    Path dir = root.resolve(PREFIX + safe(job.jobId()) + "-" + safe(job.assignmentId()));
    if (Files.exists(dir)) {
      deleteTree(dir);
    }
    return Files.createDirectories(dir);
  }

  /**
   * Creates the work dir and removes job directories a previous agent left behind (killed with
   * SIGKILL, power loss): their jobs cannot be resumed by a new process. Kept when the operator
   * keeps work dirs. Called once at start, under the config dir lock.
   */
  public int removeLeftovers() throws IOException {
    Files.createDirectories(root);
    if (keep) {
      return 0;
    }
    int removed = 0;
    try (java.util.stream.Stream<Path> entries = Files.list(root)) {
      for (Path entry : entries.filter(p -> p.getFileName().toString().startsWith(PREFIX) && Files.isDirectory(p)).toList()) {
        deleteTree(entry);
        removed++;
      }
    }
    return removed;
  }

  /** Removes the directory unless the operator keeps work dirs for debugging. */
  public void release(Path dir) {
    if (keep || dir == null) {
      return;
    }
    try {
      deleteTree(dir);
    } catch (IOException e) {
      // a leftover directory is harmless; the next attempt of the same job clears it
    }
  }

  /** File-name safe, and short enough that the directory name stays within file system limits. */
  private static String safe(String text) {
    String cleaned = text.replaceAll("[^A-Za-z0-9_-]", "_");
    cleaned = cleaned.length() > 100 ? cleaned.substring(0, 100) : cleaned;
    return cleaned.isEmpty() ? "job" : cleaned;
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    Files.walkFileTree(dir, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.deleteIfExists(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
        Files.deleteIfExists(d);
        return FileVisitResult.CONTINUE;
      }
    });
  }
}
