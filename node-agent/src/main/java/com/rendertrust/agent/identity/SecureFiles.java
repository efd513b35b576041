package com.rendertrust.agent.identity;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.Set;

/**
 * Writes files that hold secrets (the private key, the node token) so that they are never
 * readable by others, not even for an instant: the temporary file is created with mode 0600 and
 * then atomically renamed over the target. On file systems without POSIX permissions (Windows)
 * the files are written normally.
 */
public final class SecureFiles {

  public static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
  private static final Set<PosixFilePermission> OWNER_DIR = PosixFilePermissions.fromString("rwx------");
  private static final Set<PosixFilePermission> PUBLIC_FILE = PosixFilePermissions.fromString("rw-r--r--");

  private SecureFiles() {}

  /** Creates the directory (mode 0700 when new) and its parents. */
  public static void ensurePrivateDirectory(Path dir) throws IOException {
    if (Files.isDirectory(dir)) {
      return;
    }
    if (supportsPosix(dir)) {
      Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(OWNER_DIR));
    } else {
      Files.createDirectories(dir);
    }
  }

  public static void writeOwnerOnly(Path file, byte[] content) throws IOException {
    write(file, content, OWNER_ONLY);
  }

  public static void writePublic(Path file, byte[] content) throws IOException {
    write(file, content, PUBLIC_FILE);
  }

  /** The file's POSIX permissions, if the file system has them. */
  public static Optional<Set<PosixFilePermission>> permissions(Path file) throws IOException {
    if (!supportsPosix(file)) {
      return Optional.empty();
    }
    return Optional.of(Files.getPosixFilePermissions(file));
  }

  private static void write(Path file, byte[] content, Set<PosixFilePermission> mode) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    ensurePrivateDirectory(dir);
    boolean posix = supportsPosix(dir);
    FileAttribute<?>[] attributes = posix
        ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(mode)}
        : new FileAttribute<?>[0];
    Path temp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp", attributes);
    try {
      Files.write(temp, content, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.SYNC);
      if (posix) {
        // createTempFile honours the mode, but a umask cannot widen it; set it explicitly all the same.
        Files.setPosixFilePermissions(temp, mode);
      }
      try {
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(temp);
      throw e;
    }
  }

  /** Creates an empty file with the given mode; fails if it exists. */
  public static void createOwnerOnly(Path file) throws IOException {
    try {
      if (supportsPosix(file.toAbsolutePath().getParent())) {
        Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
      } else {
        Files.createFile(file);
      }
    } catch (FileAlreadyExistsException ignored) {
      // already there: callers only need it to exist
    }
  }

  private static boolean supportsPosix(Path path) {
    Path existing = path.toAbsolutePath();
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    return existing != null
        && existing.getFileSystem().supportedFileAttributeViews().contains("posix");
  }
}
