package com.rendertrust.agent.jobs;

import java.util.ArrayList;
import java.util.List;

/** The frames of a render task: {@code start} to {@code end} inclusive, every {@code step}-th. */
public record FrameRange(int start, int end, int step) {

  public FrameRange {
    if (step < 1) {
      throw new IllegalArgumentException("frame step must be at least 1, got " + step);
    }
    if (end < start) {
      throw new IllegalArgumentException("frame_end " + end + " is before frame_start " + start);
    }
  }

  public static FrameRange single(int frame) {
    return new FrameRange(frame, frame, 1);
  }

  /** The frames in order, e.g. 1, 3, 5 for 1..6 step 2 (the end is only included when the step lands on it). */
  public List<Integer> frames() {
    List<Integer> frames = new ArrayList<>(count());
    for (long frame = start; frame <= end; frame += step) {
      frames.add((int) frame);
    }
    return frames;
  }

  public boolean contains(int frame) {
    return frame >= start && frame <= end && (frame - start) % step == 0;
  }

  public int count() {
    return (int) (((long) end - start) / step + 1);
  }
}
