package com.rendertrust.server.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The test-side SigV4 check reproduces AWS's published presigned-URL example. */
class SigV4Test {

  /** "Authenticating Requests: Using Query Parameters (AWS Signature Version 4)", the GET example. */
  private static final URI AWS_EXAMPLE = URI.create("https://examplebucket.s3.amazonaws.com/test.txt"
      + "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
      + "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
      + "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
      + "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
  private static final String AWS_EXAMPLE_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

  @Test
  void reproducesTheAwsPresignedUrlExample() {
    assertThat(SigV4.expectedSignature("GET", AWS_EXAMPLE, name -> "host".equals(name)
        ? "examplebucket.s3.amazonaws.com" : null, AWS_EXAMPLE_SECRET))
        .isEqualTo("aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
    assertThat(SigV4.verify("GET", AWS_EXAMPLE, name -> "examplebucket.s3.amazonaws.com", AWS_EXAMPLE_SECRET,
        Instant.parse("2013-05-24T12:00:00Z"))).isTrue();
  }

  @Test
  void anyChangeBreaksTheSignature() {
    assertThat(SigV4.verify("PUT", AWS_EXAMPLE, name -> "examplebucket.s3.amazonaws.com", AWS_EXAMPLE_SECRET,
        Instant.parse("2013-05-24T12:00:00Z"))).isFalse();
    assertThat(SigV4.verify("GET", AWS_EXAMPLE, name -> "otherbucket.s3.amazonaws.com", AWS_EXAMPLE_SECRET,
        Instant.parse("2013-05-24T12:00:00Z"))).isFalse();
    assertThat(SigV4.verify("GET", AWS_EXAMPLE, name -> "examplebucket.s3.amazonaws.com", AWS_EXAMPLE_SECRET + "x",
        Instant.parse("2013-05-24T12:00:00Z"))).isFalse();
    // expired a day after it was signed
    assertThat(SigV4.verify("GET", AWS_EXAMPLE, name -> "examplebucket.s3.amazonaws.com", AWS_EXAMPLE_SECRET,
        Instant.parse("2013-05-25T00:00:01Z"))).isFalse();
  }
}
