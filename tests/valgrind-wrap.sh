#!/bin/sh
# SPDX-License-Identifier: MIT
# The valgrind setup's wrapper: memcheck for the project's programs; scripts
# and interpreters run as they are (their own programs are wrapped through
# DP_CLI_WRAPPER), since valgrind has nothing to say about dash or python.
prog=$1
case ${prog##*/} in
sh | bash | dash | python3 | python3.*) exec "$@" ;;
esac
if [ -f "$prog" ] && [ "$(head -c 2 "$prog")" = "#!" ]; then
	exec "$@"
fi
exec valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect \
	--errors-for-leak-kinds=definite,indirect --track-fds=yes --error-exitcode=3 \
	--suppressions="$(dirname "$0")/valgrind.supp" "$@"
