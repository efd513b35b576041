package com.rendertrust.server.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.gen.OctetKeyPairGenerator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.text.ParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The Ed25519 keys tokens are signed and verified with. One private key signs (its {@code kid}
 * goes into every header); every key verifies and is published in the JWKS, so a deployment
 * rotates by putting the new private key first and keeping the old public key until the last
 * token signed with it has expired.
 */
public final class SigningKeys {

  static final String DEV_KEY_FILE = "jwt-signing-key.json";

  private final OctetKeyPair signingKey;
  private final Map<String, OctetKeyPair> verificationKeys;

  private SigningKeys(OctetKeyPair signingKey, List<OctetKeyPair> verificationKeys) {
    this.signingKey = signingKey;
    Map<String, OctetKeyPair> byKid = new LinkedHashMap<>();
    for (OctetKeyPair key : verificationKeys) {
      byKid.put(key.getKeyID(), key.toPublicJWK());
    }
    this.verificationKeys = Map.copyOf(byKid);
  }

  /** Parses a private Ed25519 JWK, or a JWK set whose first private key signs. */
  public static SigningKeys parse(String json) {
    List<JWK> keys;
    try {
      keys = json.contains("\"keys\"") ? JWKSet.parse(json).getKeys() : List.of(JWK.parse(json));
    } catch (ParseException e) {
      // Never echo the input: it is a private key.
      throw new IllegalArgumentException("the JWT signing key is not a valid JWK or JWK set");
    }
    List<OctetKeyPair> ed25519 = keys.stream()
        .filter(key -> key instanceof OctetKeyPair okp && Curve.Ed25519.equals(okp.getCurve()))
        .map(key -> (OctetKeyPair) key)
        .toList();
    if (ed25519.size() != keys.size() || keys.isEmpty()) {
      throw new IllegalArgumentException("the JWT signing keys must all be Ed25519 OKP keys");
    }
    for (OctetKeyPair key : ed25519) {
      if (key.getKeyID() == null || key.getKeyID().isBlank()) {
        throw new IllegalArgumentException("every JWT signing key needs a kid");
      }
    }
    OctetKeyPair signing = ed25519.stream().filter(OctetKeyPair::isPrivate).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("the JWT signing keys contain no private key"));
    return new SigningKeys(signing, ed25519);
  }

  /** A new random key (kid = its RFC 7638 thumbprint), e.g. one per test server. */
  public static SigningKeys generate() {
    return new SigningKeys(generateKey(), List.of());
  }

  /** A new random private key as JWK JSON, for configuration and tests. */
  public static String generatePrivateJwk() {
    return generateKey().toJSONString();
  }

  /**
   * The development key: read from {@code dataDir/jwt-signing-key.json}, or generated once and
   * written there readable by the owner only, so tokens survive a dev restart.
   */
  public static SigningKeys loadOrCreateDevKey(Path dataDir) {
    Path file = dataDir.resolve(DEV_KEY_FILE);
    try {
      Files.createDirectories(dataDir);
      if (!Files.exists(file)) {
        String json = generatePrivateJwk();
        try {
          Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
          Files.writeString(file, json, StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
        } catch (FileAlreadyExistsException raced) {
          // another process created it first: use theirs
        } catch (UnsupportedOperationException noPosix) {
          Files.writeString(file, json, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW);
        }
      }
      return parse(Files.readString(file, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("could not read or create the dev JWT signing key in " + dataDir, e);
    }
  }

  public static SigningKeys readFile(Path file) {
    try {
      return parse(Files.readString(file, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("could not read the JWT signing key file " + file, e);
    }
  }

  private static OctetKeyPair generateKey() {
    try {
      return new OctetKeyPairGenerator(Curve.Ed25519).keyIDFromThumbprint(true).generate();
    } catch (JOSEException e) {
      throw new IllegalStateException("Ed25519 key generation failed", e);
    }
  }

  OctetKeyPair signingKey() {
    return signingKey;
  }

  Optional<OctetKeyPair> verificationKey(String kid) {
    if (kid == null) {
      return Optional.empty();
    }
    OctetKeyPair key = verificationKeys.get(kid);
    if (key == null && kid.equals(signingKey.getKeyID())) {
      key = signingKey.toPublicJWK();
    }
    return Optional.ofNullable(key);
  }

  /** The public JWK set ({@code /.well-known/jwks.json}): never contains private material. */
  public String publicJwks() {
    Map<String, OctetKeyPair> published = new LinkedHashMap<>();
    published.put(signingKey.getKeyID(), signingKey.toPublicJWK());
    verificationKeys.forEach(published::putIfAbsent);
    return new JWKSet(List.copyOf(published.values())).toString(true);
  }
}
