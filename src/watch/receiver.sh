# berth-sync: the receiver of `berth watch`, run as root in a container (the
# name comes first so that `ps` shows it). It reads frames on its standard
# input and extracts or removes what they carry.
#
#   $1  the container's user (`user:` or the image's USER), empty for none
#
# It first says `ready OWNER` (OWNER is `uid:gid`, the container's user
# resolved in the container's /etc/passwd and /etc/group, empty when no user
# is set), or exits when the image lacks what it needs. Each frame is a line
# `OP LENGTH` followed by LENGTH bytes: `x` a tar archive extracted at `/`,
# `r` NUL-separated paths removed with `rm -rf`. Each gets one answer line,
# `done STATUS MESSAGE`. The frame is read whole, whatever the command does
# with it, so that the next one starts in step.
set -f

for tool in tar dd xargs rm cat; do
    command -v "$tool" >/dev/null 2>&1 || exit 97
done
dd if=/dev/null of=/dev/null count=0 iflag=fullblock 2>/dev/null || exit 97
xargs -0 true </dev/null >/dev/null 2>&1 || exit 97

# The "id gid" of the entry of FILE named or numbered KEY.
entry() {
    [ -r "$1" ] || return 1
    while IFS=: read -r name _ id gid _; do
        if [ "$name" = "$2" ] || [ "$id" = "$2" ]; then
            echo "$id $gid"
            return 0
        fi
    done <"$1"
    return 1
}

owner=
if [ -n "$1" ]; then
    u=${1%%:*}
    g=
    case $1 in *:*) g=${1#*:} ;; esac
    if e=$(entry /etc/passwd "$u"); then
        uid=${e%% *}
        gid=${e#* }
    else
        # As the runtime does: a number not in passwd is taken as is, in group 0.
        case $u in '' | *[!0-9]*) exit 95 ;; esac
        uid=$u
        gid=0
    fi
    case $g in
        '') ;;
        *[!0-9]*) e=$(entry /etc/group "$g") || exit 95; gid=${e%% *} ;;
        *) gid=$g ;;
    esac
    owner=$uid:$gid
fi
echo "ready $owner"

# Copies exactly N bytes of standard input to standard output.
take() {
    q=$(($1 / 65536))
    r=$(($1 % 65536))
    if [ "$q" -gt 0 ]; then dd bs=65536 count="$q" iflag=fullblock || return; fi
    if [ "$r" -gt 0 ]; then dd bs="$r" count=1 iflag=fullblock; fi
} 2>/dev/null

while read -r op n; do
    case $n in '' | *[!0-9]*) exit 96 ;; esac
    case $op in
        x) msg=$(take "$n" | { tar -xf - -C / 2>&1; s=$?; cat >/dev/null; exit "$s"; }) ;;
        r) msg=$(take "$n" | { xargs -0 rm -rf -- 2>&1; s=$?; cat >/dev/null; exit "$s"; }) ;;
        *) exit 96 ;;
    esac
    s=$?
    # Unquoted: the message's lines joined into one.
    echo "done $s" $msg
done
