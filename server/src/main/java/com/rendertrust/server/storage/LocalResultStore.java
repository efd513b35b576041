package com.rendertrust.server.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Supplier;

/**
 * The embedded default result store: a local directory that the server itself serves under
 * {@value #ROUTE_PREFIX} (see {@link LocalBlobService}), with URLs signed like S3 presigned URLs:
 * {@code <base>/blobs/<key>?expires=<unix seconds>&signature=<hex HMAC>}. An upload URL of a
 * declared size also carries {@code size=<bytes>} (signed too): the store takes no byte beyond it.
 * Every stored body is hashed while it streams in; the digest is kept next to the object (in a
 * dot-file, which no key can name), so {@link #stat} never re-reads the bytes.
 */
public final class LocalResultStore implements ResultStore, InputStore {

  public static final String ROUTE_PREFIX = "/blobs/";
  private static final String KEY_FILE = ".signing-key";

  private final Path root;
  private final BlobUrlSigner signer;
  private final Supplier<URI> baseUrl;
  private final Clock clock;
  private final long maxObjectBytes;

  private LocalResultStore(Path root, BlobUrlSigner signer, Supplier<URI> baseUrl, Clock clock, long maxObjectBytes) {
    this.root = root;
    this.signer = signer;
    this.baseUrl = baseUrl;
    this.clock = clock;
    this.maxObjectBytes = maxObjectBytes;
  }

  /**
   * Opens (creating if needed) the store at {@code root}. Without a configured key, a random key
   * is kept in the directory itself, so replicas that share the directory share the key.
   * {@code baseUrl} is asked at URL time because the port may only be known after binding.
   */
  public static LocalResultStore open(Path root, Optional<String> signingKey, Supplier<URI> baseUrl, Clock clock,
      long maxObjectBytes) {
    try {
      Path directory = root.toAbsolutePath().normalize();
      Files.createDirectories(directory);
      byte[] secret = signingKey.map(key -> key.getBytes(StandardCharsets.UTF_8))
          .orElseGet(() -> storedKey(directory));
      return new LocalResultStore(directory, new BlobUrlSigner(secret), baseUrl, clock, maxObjectBytes);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the result store at " + root, e);
    }
  }

  @Override
  public URI uploadUrl(String key, Instant expiresAt) {
    return url("PUT", key, expiresAt);
  }

  @Override
  public URI downloadUrl(String key, Duration ttl) {
    return url("GET", key, clock.instant().plus(ttl));
  }

  @Override
  public PresignedPut presignPut(String key, long sizeBytes, String sha256Hex, String contentType, Instant expiresAt) {
    if (sizeBytes < 1) {
      throw new IllegalArgumentException("an upload needs a size of at least one byte");
    }
    long expires = expiresAt.getEpochSecond();
    URI url = URI.create(base(key) + "?expires=" + expires + "&size=" + sizeBytes
        + "&signature=" + signer.sign("PUT", key, expires, sizeBytes));
    return new PresignedPut(url, Map.of("content-type", contentType));
  }

  @Override
  public URI presignGet(String key, Duration ttl) {
    return downloadUrl(key, ttl);
  }

  @Override
  public Optional<StoredObject> stat(String key) {
    Path file = ObjectKeys.resolve(root, key).orElseThrow(() -> new IllegalArgumentException("not a valid object key"));
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    try {
      return Optional.of(new StoredObject(Files.size(file), BlobDigests.read(file)));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the stored object " + key, e);
    }
  }

  @Override
  public void delete(String key) {
    Path file = ObjectKeys.resolve(root, key).orElseThrow(() -> new IllegalArgumentException("not a valid object key"));
    try {
      Files.deleteIfExists(file);
      BlobDigests.delete(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete the stored object " + key, e);
    }
  }

  @Override
  public Optional<String> bucket() {
    return Optional.empty();
  }

  @Override
  public InputStream open(String key) throws IOException {
    Path file = ObjectKeys.resolve(root, key).orElseThrow(() -> new IOException("not a valid object key: " + key));
    return Files.newInputStream(file);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Signed URLs of other routes of this server (e.g. a job's ZIP), with the store's key and base URL. */
  public SignedRoutes signedRoutes() {
    return new SignedRoutes(signer, baseUrl, clock);
  }

  Path root() {
    return root;
  }

  long maxObjectBytes() {
    return maxObjectBytes;
  }

  /**
   * The file a request may act on: present only when {@code key} is acceptable and the
   * signature covers this method, key and expiry, and the expiry has not passed.
   */
  Optional<Path> authorize(String method, String key, String expires, String signature) {
    return authorize(method, key, expires, null, signature).map(Authorized::file);
  }

  /** A request the URL's signature allows: the file, and the most bytes a PUT may send (empty: the store's limit). */
  record Authorized(Path file, OptionalLong sizeLimit) {
  }

  /** As above, for URLs that may carry a signed {@code size} (upload URLs of a declared size). */
  Optional<Authorized> authorize(String method, String key, String expires, String size, String signature) {
    if (expires == null || signature == null || !ObjectKeys.isValid(key)) {
      return Optional.empty();
    }
    long expiresAt;
    OptionalLong sizeLimit;
    try {
      expiresAt = Long.parseLong(expires);
      sizeLimit = size == null ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(size));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
    if (clock.instant().getEpochSecond() > expiresAt) {
      return Optional.empty();
    }
    boolean valid = sizeLimit.isPresent()
        ? sizeLimit.getAsLong() >= 1 && signer.verify(method, key, expiresAt, sizeLimit.getAsLong(), signature)
        : signer.verify(method, key, expiresAt, signature);
    if (!valid) {
      return Optional.empty();
    }
    return ObjectKeys.resolve(root, key).map(file -> new Authorized(file, sizeLimit));
  }

  private URI url(String method, String key, Instant expiresAt) {
    long expires = expiresAt.getEpochSecond();
    return URI.create(base(key) + "?expires=" + expires + "&signature=" + signer.sign(method, key, expires));
  }

  private String base(String key) {
    if (!ObjectKeys.isValid(key)) {
      throw new IllegalArgumentException("not a valid object key: " + key);
    }
    String base = baseUrl.get().toString();
    if (base.endsWith("/")) {
      base = base.substring(0, base.length() - 1);
    }
    return base + ROUTE_PREFIX + key;
  }

  private static byte[] storedKey(Path directory) {
    Path keyFile = directory.resolve(KEY_FILE);
    try {
      if (!Files.exists(keyFile)) {
        byte[] fresh = new byte[32];
        new SecureRandom().nextBytes(fresh);
        Path temp = Files.createTempFile(directory, ".key-", ".tmp",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(temp, HexFormat.of().formatHex(fresh));
        try {
          Files.move(temp, keyFile);
        } catch (FileAlreadyExistsException raced) {
          Files.deleteIfExists(temp); // another replica wrote it first; use theirs
        }
      }
      return HexFormat.of().parseHex(Files.readString(keyFile).strip());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or create the URL signing key in " + directory, e);
    }
  }
}
