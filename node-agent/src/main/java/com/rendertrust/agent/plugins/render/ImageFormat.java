package com.rendertrust.agent.plugins.render;

/** The image formats a render payload may ask for: Blender's {@code -F} name, file extension and MIME type. */
enum ImageFormat {
  PNG("image/png"),
  JPEG("image/jpeg"),
  OPEN_EXR("image/x-exr"),
  TIFF("image/tiff"),
  BMP("image/bmp");

  private final String contentType;

  ImageFormat(String contentType) {
    this.contentType = contentType;
  }

  String contentType() {
    return contentType;
  }
}
