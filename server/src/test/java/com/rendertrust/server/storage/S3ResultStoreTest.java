package com.rendertrust.server.storage;

import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.server.platform.config.StorageConfig;
import com.rendertrust.server.testing.MutableClock;
import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The S3 presigner, offline (presigning is local computation; the local S3 fakes do not
 * check signatures, so only the URLs' shape and expiry can be tested here).
 */
class S3ResultStoreTest {

  private final MutableClock clock = new MutableClock();

  private S3ResultStore store(Optional<URI> endpoint, boolean pathStyle) {
    return S3ResultStore.create(new StorageConfig.S3("rt-results", endpoint, "eu-west-1",
        Optional.of("AKIDEXAMPLE"), Optional.of("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"), pathStyle), clock);
  }

  @Test
  void downloadUrlsArePathStyleSigV4GetsWithTheRequestedExpiry() {
    try (S3ResultStore s3 = store(Optional.of(URI.create("http://127.0.0.1:9000")), true)) {
      URI url = s3.downloadUrl("results/job/attempt", Duration.ofHours(1));
      assertThat(url.getScheme()).isEqualTo("http");
      assertThat(url.getHost()).isEqualTo("127.0.0.1");
      assertThat(url.getPort()).isEqualTo(9000);
      assertThat(url.getPath()).isEqualTo("/rt-results/results/job/attempt");
      Map<String, String> query = query(url);
      assertThat(query).containsEntry("X-Amz-Algorithm", "AWS4-HMAC-SHA256").containsEntry("X-Amz-Expires", "3600");
      assertThat(query.get("X-Amz-Credential")).startsWith("AKIDEXAMPLE%2F").contains("eu-west-1%2Fs3%2Faws4_request");
      assertThat(query.get("X-Amz-Signature")).matches("[0-9a-f]{64}");
      assertThat(url.toString()).doesNotContain("wJalrXUtnFEMI");
    }
  }

  @Test
  void uploadUrlsLastUntilTheDeadlineAndSignADifferentRequest() {
    try (S3ResultStore s3 = store(Optional.of(URI.create("http://127.0.0.1:9000")), true)) {
      URI put = s3.uploadUrl("results/job/attempt", clock.instant().plusSeconds(900));
      URI get = s3.downloadUrl("results/job/attempt", Duration.ofSeconds(900));
      assertThat(query(put)).containsEntry("X-Amz-Expires", "900");
      assertThat(query(put).get("X-Amz-Signature")).isNotEqualTo(query(get).get("X-Amz-Signature"));
      // lifetimes are clamped to what SigV4 allows
      assertThat(query(s3.uploadUrl("k", clock.instant().plus(Duration.ofDays(30))))).containsEntry("X-Amz-Expires",
          String.valueOf(Duration.ofDays(7).toSeconds()));
      assertThat(query(s3.uploadUrl("k", clock.instant().minusSeconds(5)))).containsEntry("X-Amz-Expires", "1");
    }
  }

  @Test
  void withoutAnEndpointUrlsNameTheAwsVirtualHostedBucket() {
    try (S3ResultStore s3 = store(Optional.empty(), false)) {
      URI url = s3.downloadUrl("results/j/a", Duration.ofMinutes(5));
      assertThat(url.getScheme()).isEqualTo("https");
      assertThat(url.getHost()).isEqualTo("rt-results.s3.eu-west-1.amazonaws.com");
      assertThat(url.getPath()).isEqualTo("/results/j/a");
    }
  }

  private static Map<String, String> query(URI url) {
    return Arrays.stream(url.getRawQuery().split("&"))
        .map(pair -> pair.split("=", 2))
        .collect(Collectors.toMap(pair -> pair[0], pair -> pair.length > 1 ? pair[1] : ""));
  }
}
