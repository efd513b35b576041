package com.rendertrust.sdk;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A render of an uploaded scene's frames, built fluently and submitted with {@link Renders#submit}
 * (or turned into a {@link JobRequest} with {@link #toJobRequest}). Unset options keep the scene's
 * own values; the server validates them (see docs/render.md) and answers
 * {@link ValidationException} for frames out of order, too many frames, an unknown engine or format.
 *
 * <pre>{@code
 * RenderRequest.of(upload.id(), 1, 4).framesPerTask(2).resolution(64, 48).samples(1).engine("CYCLES")
 * }</pre>
 */
public final class RenderRequest {

  private final String uploadId;
  private final Map<String, Object> payload = new LinkedHashMap<>();
  private String priority = "normal";
  private String idempotencyKey;

  private RenderRequest(String uploadId, int frameStart, int frameEnd) {
    this.uploadId = Objects.requireNonNull(uploadId, "uploadId");
    payload.put("frame_start", frameStart);
    payload.put("frame_end", frameEnd);
  }

  /** Frames {@code frameStart}..{@code frameEnd} (inclusive) of the upload {@code uploadId}. */
  public static RenderRequest of(String uploadId, int frameStart, int frameEnd) {
    return new RenderRequest(uploadId, frameStart, frameEnd);
  }

  /** Every {@code step}-th frame of the range. */
  public RenderRequest frameStep(int step) {
    return set("frame_step", step);
  }

  /** How many frames one task (one node, one Blender run) renders; 1 by default. */
  public RenderRequest framesPerTask(int frames) {
    return set("frames_per_task", frames);
  }

  public RenderRequest resolution(int width, int height) {
    return set("resolution_x", width).set("resolution_y", height);
  }

  public RenderRequest resolutionPercentage(int percent) {
    return set("resolution_percentage", percent);
  }

  public RenderRequest samples(int samples) {
    return set("samples", samples);
  }

  /** {@code CYCLES}, {@code BLENDER_EEVEE} or {@code BLENDER_WORKBENCH}. */
  public RenderRequest engine(String engine) {
    return set("engine", engine);
  }

  /** {@code PNG} (default), {@code JPEG}, {@code OPEN_EXR}, {@code TIFF} or {@code BMP}. */
  public RenderRequest format(String format) {
    return set("format", format);
  }

  public RenderRequest priority(String newPriority) {
    this.priority = newPriority;
    return this;
  }

  /** Fixes the idempotency key, so resubmitting after a lost answer returns the first job. */
  public RenderRequest idempotencyKey(String key) {
    this.idempotencyKey = key;
    return this;
  }

  /** The {@code render} job request; each call without a fixed idempotency key gets a fresh one. */
  public JobRequest toJobRequest() {
    return new JobRequest("render", null, payload, priority, false, idempotencyKey, uploadId);
  }

  private RenderRequest set(String field, Object value) {
    payload.put(field, Objects.requireNonNull(value, field));
    return this;
  }
}
