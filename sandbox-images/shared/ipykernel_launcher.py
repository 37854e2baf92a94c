"""IPython kernel entry point for NotebookGateway sandboxes.

Installed into /usr/local/lib/python3.X/dist-packages, which comes before Debian's /usr/lib/python3/dist-packages on
sys.path, so the standard kernelspec argv `python3 -m ipykernel_launcher -f {connection_file}` runs this module: the
IPython kernel with an app that accepts the gateway's read-only connection file (see nbgw_kernels.launch).
"""

from nbgw_kernels.launch import launch

if __name__ == "__main__":
    launch()
