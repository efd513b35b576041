# syntax=docker/dockerfile:1
# The control plane. Build from the repository root:
#   docker build -f deploy/docker/server.Dockerfile -t rendertrust/server .
# Stage 1 builds with the Maven wrapper (as a non-root user: the build's jOOQ step runs an
# embedded PostgreSQL, which refuses root); stage 2 is a slim JRE running as uid 10001.
# The image gets the production build: the server jar and target/production-lib, the runtime
# dependencies without embedded PostgreSQL and Redis (and their binaries), so it needs
# RT_DATABASE_URL and RT_REDIS_URL (docs/operations.md).

FROM eclipse-temurin:25-jdk AS build
RUN useradd --create-home --uid 10001 build
USER build
WORKDIR /home/build/src
COPY --chown=build:build . .
RUN ./mvnw -B -DskipTests -pl server -am package \
 && mkdir -p /home/build/app/lib \
 && cp server/target/rendertrust-server-*.jar /home/build/app/rendertrust-server.jar \
 && cp server/target/production-lib/*.jar /home/build/app/lib/

FROM eclipse-temurin:25-jre
RUN useradd --no-create-home --uid 10001 --home-dir /var/lib/rendertrust rendertrust \
 && mkdir -p /var/lib/rendertrust && chown rendertrust /var/lib/rendertrust
COPY --from=build /home/build/app /app
USER 10001
# the heap follows the container's memory limit and starts at half of it, as in deploy/k8s/server-deployment.yaml
ENV RT_DATA_DIR=/var/lib/rendertrust \
    JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75 -XX:InitialRAMPercentage=50 -XX:+ExitOnOutOfMemoryError"
EXPOSE 8000
ENTRYPOINT ["java", "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "-cp", "/app/rendertrust-server.jar:/app/lib/*", "com.rendertrust.server.ServerMain"]
