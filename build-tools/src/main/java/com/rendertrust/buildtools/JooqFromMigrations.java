package com.rendertrust.buildtools;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.jooq.codegen.GenerationTool;
import org.jooq.meta.jaxb.Configuration;
import org.jooq.meta.jaxb.Database;
import org.jooq.meta.jaxb.ForcedType;
import org.jooq.meta.jaxb.Generate;
import org.jooq.meta.jaxb.Generator;
import org.jooq.meta.jaxb.Logging;
import org.jooq.meta.jaxb.Target;

/**
 * Generates the jOOQ classes from the schema as PostgreSQL itself sees it: starts an embedded
 * PostgreSQL (zonky's binaries, the ones the tests and the dev server run), applies every Flyway
 * migration of the given directory, then runs jOOQ's code generator over JDBC. Tables, keys,
 * sequences and the PL/pgSQL functions (as typed routines and table-valued functions) all come
 * from the migrated database, so whatever migrations exist are what is generated.
 *
 * <p>Usage: {@code JooqFromMigrations <migrations dir> <target dir> <package>}. The target
 * directory is replaced. A fingerprint of the migrations and the arguments is kept next to the
 * generated code; an unchanged fingerprint skips the (seconds-long) generation.
 */
public final class JooqFromMigrations {

  /** Flyway's own table is not part of the application's schema. */
  private static final String EXCLUDED = "flyway_schema_history";
  private static final String FINGERPRINT_FILE = ".migrations-fingerprint";

  private JooqFromMigrations() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      throw new IllegalArgumentException("usage: JooqFromMigrations <migrations dir> <target dir> <package>");
    }
    Path migrations = Path.of(args[0]).toAbsolutePath().normalize();
    Path target = Path.of(args[1]).toAbsolutePath().normalize();
    String packageName = args[2];

    String fingerprint = fingerprint(migrations, target, packageName);
    Path fingerprintFile = target.resolve(FINGERPRINT_FILE);
    if (Files.isRegularFile(fingerprintFile)
        && Files.readString(fingerprintFile, StandardCharsets.UTF_8).equals(fingerprint)) {
      return;
    }
    generate(migrations, target, packageName);
    Files.writeString(fingerprintFile, fingerprint, StandardCharsets.UTF_8);
  }

  private static void generate(Path migrations, Path target, String packageName) throws Exception {
    try (EmbeddedPostgres postgres = EmbeddedPostgres.builder().setRegisterShutdownHook(false).start()) {
      DataSource dataSource = postgres.getPostgresDatabase();
      Flyway.configure()
          .dataSource(dataSource)
          .loggers("slf4j")
          .locations("filesystem:" + migrations)
          .failOnMissingLocations(true)
          .load()
          .migrate();
      try (Connection connection = dataSource.getConnection()) {
        GenerationTool generator = new GenerationTool();
        generator.setConnection(connection);
        generator.run(configuration(target, packageName));
      }
    }
  }

  private static Configuration configuration(Path target, String packageName) {
    return new Configuration()
        .withLogging(Logging.WARN)
        .withGenerator(new Generator()
            .withDatabase(new Database()
                .withName("org.jooq.meta.postgres.PostgresDatabase")
                .withInputSchema("public")
                .withOutputSchemaToDefault(true)
                .withExcludes(EXCLUDED)
                // JSON columns are read and written as JSONB, like every other jsonb value
                .withForcedTypes(new ForcedType().withName("JSONB").withIncludeTypes("(?i:JSON)")))
            .withGenerate(new Generate()
                .withJavaTimeTypes(true)
                .withRecords(true)
                .withPojos(false))
            .withTarget(new Target()
                .withPackageName(packageName)
                .withDirectory(target.toString())
                .withClean(true)));
  }

  /**
   * The migrations' names and contents, the generator's configuration and the jars it runs with
   * (their paths carry the versions of jOOQ and of the PostgreSQL binaries): what the generated
   * code depends on.
   */
  private static String fingerprint(Path migrations, Path target, String packageName)
      throws IOException, NoSuchAlgorithmException {
    MessageDigest digest = MessageDigest.getInstance("SHA-256");
    digest.update((configuration(target, packageName) + "\n" + org.jooq.Constants.FULL_VERSION + "\n")
        .getBytes(StandardCharsets.UTF_8));
    if (JooqFromMigrations.class.getClassLoader() instanceof URLClassLoader loader) {
      digest.update(Arrays.toString(loader.getURLs()).getBytes(StandardCharsets.UTF_8));
    }
    List<Path> files;
    try (Stream<Path> listing = Files.list(migrations)) {
      files = listing.filter(Files::isRegularFile).sorted().toList();
    }
    if (files.isEmpty()) {
      throw new IllegalArgumentException("no migrations in " + migrations);
    }
    for (Path file : files) {
      digest.update((file.getFileName() + "\n").getBytes(StandardCharsets.UTF_8));
      digest.update(Files.readAllBytes(file));
    }
    return HexFormat.of().formatHex(digest.digest());
  }
}
