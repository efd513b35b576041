# Sourced by ./mvnw and ./rendertrust: points JAVA_HOME at a JDK >= 21.
# The machines this project runs on ship an older default `java` next to a newer JDK,
# so the newest suitable JDK under the usual install roots wins when JAVA_HOME is unsuitable.
rt_java_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 |
    sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1
}

rt_find_jdk() {
  local min=21 candidate major best="" best_major=0
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/javac" ]; then
    major=$(rt_java_major "$JAVA_HOME")
    if [ "${major:-0}" -ge "$min" ]; then return 0; fi
  fi
  for candidate in /usr/lib/jvm/* /opt/java/* /opt/jdk* "$HOME"/.sdkman/candidates/java/* "$HOME"/.jdks/* \
                   /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    [ -x "$candidate/bin/javac" ] || continue
    major=$(rt_java_major "$candidate")
    if [ "${major:-0}" -ge "$min" ] && [ "$major" -gt "$best_major" ]; then
      best="$candidate"; best_major="$major"
    fi
  done
  if [ -z "$best" ] && command -v javac >/dev/null 2>&1; then
    candidate=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
    major=$(rt_java_major "$candidate")
    if [ "${major:-0}" -ge "$min" ]; then best="$candidate"; fi
  fi
  if [ -z "$best" ]; then
    echo "rendertrust: no JDK >= $min found (set JAVA_HOME to one)" >&2
    return 1
  fi
  export JAVA_HOME="$best"
}
