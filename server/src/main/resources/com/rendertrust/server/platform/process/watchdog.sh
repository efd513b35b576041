# The watchdog of one server's embedded processes (PostgreSQL, Redis, anvil): they are processes
# of their own and would outlive a server killed with SIGKILL. It polls the server's pid (the
# server is not its parent's child, so it cannot be waited for) and, once the server is gone,
# stops what the server's pid files and PostgreSQL's postmaster.pid name. A server that stops
# normally stops its processes itself and then this watchdog (SIGTERM).
#   $1 the server's pid   $2 RT_DATA_DIR/run (NAME.pid: pid, start time, executable name)
#   $3 the PostgreSQL data directory
owner=$1
run=$2
pgdata=$3
# Ctrl-C or a closed terminal reaches the whole process group: the server handles those itself.
trap '' INT HUP

# Sends $3 to pid $1 if it still runs the executable named $2 (so never to a recycled pid).
signal_if() {
  case "$(readlink "/proc/$1/exe" 2>/dev/null)" in
    *"$2"*) kill "-$3" "$1" 2>/dev/null ;;
    *) return 1 ;;
  esac
}

while kill -0 "$owner" 2>/dev/null; do
  sleep 1
done
echo "$(date -u +%FT%TZ) server $owner is gone: stopping its embedded processes"
# Read once: a new server on this data directory (which first stops this watchdog) writes new files.
targets=""
for file in "$run"/*.pid; do
  [ -f "$file" ] || continue
  { read -r pid; read -r started; read -r name; } < "$file" || continue
  [ "$pid" = "$$" ] || targets="$targets $pid:$name"
done
if [ -f "$pgdata/postmaster.pid" ] && read -r pid < "$pgdata/postmaster.pid"; then
  targets="$targets $pid:postgres"
fi

# Sends $1 to every target but PostgreSQL, $2 to PostgreSQL; succeeds if any of them still ran.
signal_all() {
  found=1
  for target in $targets; do
    pid=${target%%:*}
    name=${target#*:}
    if [ "$name" = postgres ]; then signal=$2; else signal=$1; fi
    signal_if "$pid" "$name" "$signal" && found=0
  done
  return $found
}

# TERM: Redis exits, anvil writes its state; INT: PostgreSQL's fast shutdown (with a checkpoint).
signal_all TERM INT || exit 0
waited=0
while [ "$waited" -lt 15 ] && signal_all 0 0; do
  sleep 1
  waited=$((waited + 1))
done
# QUIT: PostgreSQL's immediate shutdown, which takes its backends with it.
signal_all KILL QUIT && echo "$(date -u +%FT%TZ) killed what did not stop within 15 s"
exit 0
