#!/bin/sh
# embed.sh NAME FILE: prints C source defining `const char NAME[]` holding
# FILE's bytes followed by a NUL.
set -eu
name=$1 file=$2
printf '/* generated from %s by toolchain/embed.sh */\n' "$file"
printf 'const char %s[] = {\n' "$name"
od -An -v -tx1 "$file" | sed -e 's/ *$//' -e 's/ \([0-9a-f][0-9a-f]\)/0x\1,/g'
printf '0x00};\n'
