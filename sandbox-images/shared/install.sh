#!/bin/sh
# Installs this repository's Python kernel code into an image (run by the last RUN of every ipykernel-based image;
# scripts/build-images.sh copies sandbox-images/shared/ into the image's build context as .shared/ first, so a change
# here rebuilds only that last layer of each image).
#   nbgw_kernels          launcher for the gateway's read-only connection file, Bash kernel, compiled-language kernel
#   ipykernel_launcher    shadows Debian's, so `python3 -m ipykernel_launcher -f ...` uses that launcher
# /usr/local/lib/python3.X/dist-packages comes before Debian's dist-packages on sys.path.
set -eu
src="$(dirname "$0")"
site="$(python3 -c 'import sys; print("/usr/local/lib/python%d.%d/dist-packages" % sys.version_info[:2])')"
install -d "$site"
rm -rf "$site/nbgw_kernels"
cp -r "$src/nbgw_kernels" "$src/ipykernel_launcher.py" "$site/"
chmod -R a+rX,go-w "$site/nbgw_kernels" "$site/ipykernel_launcher.py"
python3 -m compileall -q "$site/nbgw_kernels" "$site/ipykernel_launcher.py"
cd / && test "$(python3 -c 'import ipykernel_launcher; print(ipykernel_launcher.__file__)')" = "$site/ipykernel_launcher.py"
rm -rf "$src"
