package com.rendertrust.sdk;

import com.rendertrust.api.v1.JobServiceGrpc;
import com.rendertrust.api.v1.ListJobOutputsRequest;
import com.rendertrust.api.v1.ListJobTasksRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Render jobs and what they deliver: submit a render of an upload, follow its tasks, list its
 * outputs and download every frame, verified. Get it from {@link RenderTrustClient#renders()}.
 * Another user's job id answers {@link NotFoundException} everywhere, like a missing one.
 */
public final class Renders {

  private final StubCaller<JobServiceGrpc.JobServiceBlockingStub> caller;
  private final Function<JobRequest, Job> submitter;
  private final Downloads downloads;

  Renders(StubCaller<JobServiceGrpc.JobServiceBlockingStub> caller, Function<JobRequest, Job> submitter,
      Downloads downloads) {
    this.caller = caller;
    this.submitter = submitter;
    this.downloads = downloads;
  }

  /** Submits the render; see {@link RenderTrustClient#submitJob} for the failures. */
  public Job submit(RenderRequest request) {
    return submitter.apply(request.toJobRequest());
  }

  /** The job's tasks in index order (a job of any type but {@code render} has exactly one). */
  public List<JobTask> tasks(String jobId) {
    return caller.call(stub -> stub.listJobTasks(ListJobTasksRequest.newBuilder().setJobId(jobId).build()))
        .getTasksList().stream().map(Mapping::task).toList();
  }

  /**
   * The job's delivered outputs in frame order, each with a presigned download URL that expires
   * (an hour by default): list again rather than keep them.
   */
  public List<JobOutput> outputs(String jobId) {
    return caller.call(stub -> stub.listJobOutputs(ListJobOutputsRequest.newBuilder().setJobId(jobId).build()))
        .getOutputsList().stream().map(Mapping::output).toList();
  }

  /**
   * Downloads every delivered output of the job into {@code directory} (created if missing) under
   * its listed name, streaming each to disk, and returns the files in frame order. Each file is
   * checked against the listed size and SHA-256 before it is moved into place: a mismatch throws
   * {@link OutputMismatchException} and leaves no file under that name. To download the job as
   * one ZIP instead, use {@link RenderTrustClient#downloadResult}.
   */
  public List<Path> downloadFrames(String jobId, Path directory) {
    List<JobOutput> outputs = outputs(jobId);
    try {
      Files.createDirectories(directory);
    } catch (IOException e) {
      throw new UncheckedIOException("could not create " + directory, e);
    }
    List<Path> files = new ArrayList<>(outputs.size());
    for (JobOutput output : outputs) {
      Path target = directory.resolve(safeName(output.name()));
      files.add(downloads.download(output.downloadUrl(), target, "frame " + output.frame() + " (" + output.name()
          + ") of job " + jobId, output.sizeBytes(), output.sha256()));
    }
    return List.copyOf(files);
  }

  /** An output's name as a plain file name: the server's names never hold a path, and this makes sure. */
  private static String safeName(String name) {
    Path file = Path.of(name).getFileName();
    if (file == null || name.contains("/") || name.contains("\\") || name.equals("..") || name.equals(".")) {
      throw new IllegalStateException("the server listed an output name that is not a file name: " + name);
    }
    return file.toString();
  }
}
