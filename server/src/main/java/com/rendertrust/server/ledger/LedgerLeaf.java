package com.rendertrust.server.ledger;

import com.rendertrust.server.ledger.merkle.MerkleHashing;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.UUID;

/**
 * The fields of one ledger entry that its Merkle leaf commits to, and their canonical bytes
 * (version 1). Everything here is what the owner sees in a credit history row, plus the owner's
 * own id, so anyone holding the row can recompute the leaf; docs/ledger.md, "Tamper-evident ledger"
 * specifies the layout byte by byte.
 *
 * <p>The description is included: entries are append-only, so it never legitimately changes, and
 * committing to it makes every field the owner is shown tamper-evident. The random entry id acts
 * as a salt, so the sibling leaf hashes handed out in other users' proofs reveal nothing.
 *
 * @param amount       positive, in ten-thousandths of a credit ("10.0000" is 100000)
 * @param balanceAfter the account balance after this entry, in ten-thousandths
 * @param createdAt    at most microsecond precision, as PostgreSQL stores it
 */
public record LedgerLeaf(
    UUID entryId,
    UUID ownerId,
    long amount,
    Direction direction,
    String source,
    String referenceId,
    long balanceAfter,
    String description,
    Instant createdAt) {

  public static final byte ENCODING_VERSION = 1;

  /** A credit history row's direction, with its one-byte code in the encoding. */
  public enum Direction {
    CREDIT(1),
    DEBIT(2);

    private final byte code;

    Direction(int code) {
      this.code = (byte) code;
    }

    public byte code() {
      return code;
    }
  }

  public LedgerLeaf {
    Objects.requireNonNull(entryId, "entryId");
    Objects.requireNonNull(ownerId, "ownerId");
    Objects.requireNonNull(direction, "direction");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(createdAt, "createdAt");
    if (amount <= 0) {
      throw new IllegalArgumentException("amount must be positive; the direction carries the sign");
    }
    if (!createdAt.truncatedTo(ChronoUnit.MICROS).equals(createdAt)) {
      throw new IllegalArgumentException("createdAt must have at most microsecond precision");
    }
  }

  /** The canonical bytes: see docs/ledger.md, "Canonical leaf encoding". */
  public byte[] encode() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(128);
    out.write(ENCODING_VERSION);
    writeUuid(out, entryId);
    writeUuid(out, ownerId);
    writeLong(out, amount);
    out.write(direction.code());
    writeLong(out, balanceAfter);
    writeLong(out, Math.addExact(Math.multiplyExact(createdAt.getEpochSecond(), 1_000_000L),
        createdAt.getNano() / 1_000));
    writeString(out, source);
    writeOptionalString(out, referenceId);
    writeOptionalString(out, description);
    return out.toByteArray();
  }

  /** SHA-256(0x00 || encode()). */
  public byte[] leafHash() {
    return MerkleHashing.leafHash(encode());
  }

  private static void writeUuid(ByteArrayOutputStream out, UUID uuid) {
    writeLong(out, uuid.getMostSignificantBits());
    writeLong(out, uuid.getLeastSignificantBits());
  }

  private static void writeLong(ByteArrayOutputStream out, long value) {
    out.writeBytes(ByteBuffer.allocate(Long.BYTES).putLong(value).array());
  }

  private static void writeString(ByteArrayOutputStream out, String value) {
    byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
    out.writeBytes(ByteBuffer.allocate(Integer.BYTES).putInt(utf8.length).array());
    out.writeBytes(utf8);
  }

  private static void writeOptionalString(ByteArrayOutputStream out, String value) {
    if (value == null) {
      out.write(0);
    } else {
      out.write(1);
      writeString(out, value);
    }
  }
}
