package com.rendertrust.server.storage;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Presigned GET URLs of plain HTTP routes this server serves itself (a job's ZIP of outputs):
 * {@code <base><path>?expires=<unix seconds>&signature=<hex HMAC>}, signed like the embedded
 * store's URLs, so a link works without credentials until it expires and cannot be moved to
 * another path.
 */
public final class SignedRoutes {

  private static final Logger log = LoggerFactory.getLogger(SignedRoutes.class);

  private final BlobUrlSigner signer;
  private final Supplier<URI> baseUrl;
  private final Clock clock;

  SignedRoutes(BlobUrlSigner signer, Supplier<URI> baseUrl, Clock clock) {
    this.signer = signer;
    this.baseUrl = baseUrl;
    this.clock = clock;
  }

  /**
   * With an S3 store, whose URLs S3 signs: the configured key, or a random one, which only this
   * replica knows (replicas behind one address then need {@code RT_STORAGE_SIGNING_KEY}).
   */
  public static SignedRoutes withKey(Optional<String> key, Supplier<URI> baseUrl, Clock clock) {
    byte[] secret = key.map(text -> text.getBytes(StandardCharsets.UTF_8)).orElseGet(() -> {
      log.info("no RT_STORAGE_SIGNING_KEY: ZIP links are signed with a key of this replica only");
      byte[] random = new byte[32];
      new SecureRandom().nextBytes(random);
      return random;
    });
    return new SignedRoutes(new BlobUrlSigner(secret), baseUrl, clock);
  }

  /** A GET URL of {@code path} (starting with '/', no query) valid for {@code ttl}. */
  public URI url(String path, Duration ttl) {
    long expires = clock.instant().plus(ttl).getEpochSecond();
    String base = baseUrl.get().toString();
    if (base.endsWith("/")) {
      base = base.substring(0, base.length() - 1);
    }
    return URI.create(base + path + "?expires=" + expires + "&signature=" + signer.sign("GET", path, expires));
  }

  /** Whether the signature covers GET of {@code path} with this expiry, and the expiry has not passed. */
  public boolean verify(String path, String expires, String signature) {
    if (expires == null || signature == null) {
      return false;
    }
    try {
      long expiresAt = Long.parseLong(expires);
      return clock.instant().getEpochSecond() <= expiresAt && signer.verify("GET", path, expiresAt, signature);
    } catch (NumberFormatException e) {
      return false;
    }
  }
}
