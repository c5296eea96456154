#!/usr/bin/env bash
# Writes a Lambda function's code directory from an annotate binary:
#   scripts/lambda-bundle.sh BINARY OUTDIR
# OUTDIR gets `bootstrap` (what provided.al2023 runs), the binary (stripped of its debug
# information), and under lib/ every shared library it loads (found with ldd) except glibc's
# own, which the runtime has: libvips and its codecs, libmariadb, the Swift runtime when it is not
# linked in statically. libvips' loadable modules for the formats annotate reads (HEIF/AVIF,
# JPEG XL) go to lib/vips-modules-X.Y with their own libraries, and bootstrap points VIPSHOME
# there; the ImageMagick, PDF and OpenSlide modules are left out, since annotate blocks those
# loaders for untrusted input anyway. The directory runs with LD_LIBRARY_PATH unset and zips as the
# function's code (`cd OUTDIR && zip -qry ../annotate-lambda.zip .`).
set -euo pipefail
binary="${1:?usage: lambda-bundle.sh BINARY OUTDIR}"
out="${2:?usage: lambda-bundle.sh BINARY OUTDIR}"
rm -rf "$out"
mkdir -p "$out/lib"
cp "$binary" "$out/annotate"
if command -v strip >/dev/null; then strip "$out/annotate"; fi

# glibc and the dynamic loader come from the runtime (and must match it: build on a host whose
# glibc is not newer than the target's; deploy/lambda/Dockerfile builds on Amazon Linux 2023).
is_runtime_library() {
  case "$(basename "$1")" in
    ld-linux*|libc.so.*|libm.so.*|libpthread.so.*|libdl.so.*|librt.so.*|libresolv.so.*|libutil.so.*|libanl.so.*|libnsl.so.*) return 0 ;;
    *) return 1 ;;
  esac
}
copy_libraries_of() {
  ldd "$1" | awk '/=> \// {print $3}' | while read -r library; do
    is_runtime_library "$library" && continue
    [ -e "$out/lib/$(basename "$library")" ] || cp -L "$library" "$out/lib/"
  done
}
copy_libraries_of "$binary"

modules="$(pkg-config --variable=libdir vips 2>/dev/null || echo /usr/lib/x86_64-linux-gnu)"
version="$(pkg-config --modversion vips 2>/dev/null | cut -d. -f1,2)"
if [ -n "$version" ] && [ -d "$modules/vips-modules-$version" ]; then
  mkdir -p "$out/lib/vips-modules-$version"
  for module in "$modules/vips-modules-$version"/vips-heif.so "$modules/vips-modules-$version"/vips-jxl.so; do
    [ -e "$module" ] || continue
    cp -L "$module" "$out/lib/vips-modules-$version/"
    copy_libraries_of "$module"
  done
fi

cat >"$out/bootstrap" <<'SH'
#!/bin/sh
# The function's entry point: annotate's Lambda runtime with the libraries beside it.
# ANNOTATE_ONLY=annotation|thumbnail makes one function one task.
here="$(cd "$(dirname "$0")" && pwd)"
export LD_LIBRARY_PATH="$here/lib"
export VIPSHOME="$here"
exec "$here/annotate" lambda "$@"
SH
chmod 755 "$out/bootstrap" "$out/annotate"
echo "$out: $(du -sh "$out" | cut -f1), $(ls "$out/lib" | grep -c '\.so') libraries" >&2
