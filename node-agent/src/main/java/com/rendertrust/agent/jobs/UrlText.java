package com.rendertrust.agent.jobs;

/** URLs as they may appear in logs and reports: presigned query strings carry credentials. */
final class UrlText {
  private UrlText() {}

  static String withoutQuery(String url) {
    int cut = url.indexOf('?');
    return cut < 0 ? url : url.substring(0, cut);
  }
}
