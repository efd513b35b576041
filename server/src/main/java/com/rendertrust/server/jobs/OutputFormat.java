package com.rendertrust.server.jobs;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** The image formats a render job may ask for, with the file extension and MIME type of a frame. */
public enum OutputFormat {
  PNG("png", "image/png"),
  JPEG("jpg", "image/jpeg"),
  OPEN_EXR("exr", "image/x-exr"),
  TIFF("tif", "image/tiff"),
  BMP("bmp", "image/bmp");

  private final String extension;
  private final String contentType;

  OutputFormat(String extension, String contentType) {
    this.extension = extension;
    this.contentType = contentType;
  }

  public String contentType() {
    return contentType;
  }

  /** {@code frame_0001.png}: the name of a frame's output, as Blender's {@code frame_####} pattern writes it. */
  public String fileName(int frame) {
    return String.format(Locale.ROOT, "frame_%04d.%s", frame, extension);
  }

  static Optional<OutputFormat> named(String name) {
    return Arrays.stream(values()).filter(format -> format.name().equals(name)).findFirst();
  }
}
