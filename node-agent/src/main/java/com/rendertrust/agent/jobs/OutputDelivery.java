package com.rendertrust.agent.jobs;

import com.rendertrust.agent.plugins.JobContext;
import com.rendertrust.agent.plugins.JobStoppedException;
import com.rendertrust.agent.plugins.PluginFailure;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers the outputs of one task while its plugin keeps working: each output handed over is
 * hashed, uploaded to the target the dispatch named for its frame, then reported ready with its
 * size and SHA-256. Uploads run one after another on their own thread, in the order the plugin
 * wrote the outputs. The first failure stops the rest and fails the job: a refused upload also
 * ends the plugin's program at once (see {@link JobContext#checkDeliveries()}).
 */
final class OutputDelivery implements JobContext.OutputSink, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(OutputDelivery.class);

  private final JobSpec spec;
  private final ResultUploader uploader;
  private final JobReports reports;
  private final ExecutorService uploads;
  private final Set<Integer> handedOver = new LinkedHashSet<>();
  private final Set<Integer> delivered = new LinkedHashSet<>();
  private JobContext context;
  private Exception failure;

  OutputDelivery(JobSpec spec, ResultUploader uploader, JobReports reports) {
    this.spec = spec;
    this.uploader = uploader;
    this.reports = reports;
    this.uploads = Executors.newSingleThreadExecutor(Thread.ofVirtual().name("outputs-" + spec.assignmentId()).factory());
  }

  /** The context the uploads check for a stop; set before the plugin runs. */
  synchronized void bind(JobContext jobContext) {
    this.context = jobContext;
  }

  @Override
  public synchronized void outputWritten(int frame, Path file, String contentType) throws PluginFailure {
    OutputTarget target = spec.outputFor(frame).orElseThrow(() -> new PluginFailure(
        "the plugin wrote frame " + frame + ", for which the dispatch named no output target"));
    if (!handedOver.add(frame)) {
      return;
    }
    uploads.execute(() -> deliver(target, file, contentType));
  }

  private void deliver(OutputTarget target, Path file, String contentType) {
    JobContext jobContext;
    synchronized (this) {
      if (failure != null) {
        return;
      }
      jobContext = context;
    }
    try {
      Digest digest = digest(file);
      uploader.uploadOutput(file, target, contentType, jobContext);
      reports.outputReady(spec, new OutputReport(target.frame(), target.name(), digest.size(), digest.sha256(), contentType));
      synchronized (this) {
        delivered.add(target.frame());
      }
      log.debug("{}: frame {} delivered ({} bytes)", spec.label(), target.frame(), digest.size());
    } catch (PluginFailure | JobStoppedException | InterruptedException | RuntimeException e) {
      synchronized (this) {
        if (failure == null) {
          failure = e;
        }
      }
    }
  }

  @Override
  public synchronized Optional<PluginFailure> deliveryFailure() {
    return failure instanceof PluginFailure refused ? Optional.of(refused) : Optional.empty();
  }

  /** Waits until every output handed over is delivered; throws what stopped a delivery. */
  void awaitAll() throws PluginFailure, JobStoppedException, InterruptedException {
    uploads.shutdown();
    while (!uploads.awaitTermination(50, TimeUnit.MILLISECONDS)) {
      context.checkStillWanted();
    }
    Exception first;
    synchronized (this) {
      first = failure;
    }
    switch (first) {
      case null -> { }
      case PluginFailure e -> throw e;
      case JobStoppedException e -> throw e;
      case InterruptedException e -> throw e;
      default -> throw new PluginFailure("delivering an output failed: " + first, first);
    }
  }

  /** Frames whose output is delivered, in delivery order. */
  synchronized Set<Integer> delivered() {
    return Set.copyOf(delivered);
  }

  @Override
  public void close() {
    uploads.shutdownNow();
  }

  private record Digest(long size, String sha256) {}

  private static Digest digest(Path file) throws PluginFailure {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
      byte[] buffer = new byte[64 * 1024];
      long size = 0;
      for (int read; (read = in.read(buffer)) > 0; ) {
        sha256.update(buffer, 0, read);
        size += read;
      }
      return new Digest(size, HexFormat.of().formatHex(sha256.digest()));
    } catch (IOException e) {
      throw new PluginFailure("cannot read the output " + file.getFileName() + ": " + e.getMessage());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
