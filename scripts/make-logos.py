"""Draws the kernelspec logos (logo-32x32.png, logo-64x64.png) of the languages that have none of their own.

Run inside the python sandbox image (it has matplotlib), from the repository root:
    docker run --rm --network none --user "$(id -u)" -v "$PWD/kernelspecs:/specs" -v "$PWD/scripts:/scripts:ro" \
        notebookgateway/sandbox-python:latest python3 /scripts/make-logos.py /specs
A rounded square in a colour of the language with a short label: nothing copied from anyone's trademark.
"""

import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyBboxPatch  # noqa: E402

LOGOS = {
    "python3-datascience": ("Py", "#2b5b84", "#ffd43b"),
    "ir": ("R", "#1f65b7", "#ffffff"),
    "javascript": ("JS", "#f0db4f", "#323330"),
    "bash": ("$_", "#2e3436", "#8ae234"),
    "octave": ("Oct", "#0790c0", "#ffffff"),
    "c": ("C", "#5c6bc0", "#ffffff"),
    "cpp": ("C++", "#00599c", "#ffffff"),
    "rust": ("Rs", "#b7410e", "#ffffff"),
    "go": ("Go", "#00add8", "#ffffff"),
    "java": ("Jv", "#e76f00", "#ffffff"),
}


def draw(label, background, foreground, size, path):
    figure = plt.figure(figsize=(1, 1), dpi=size)
    axes = figure.add_axes([0, 0, 1, 1])
    axes.set_axis_off()
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1)
    axes.add_patch(FancyBboxPatch((0.06, 0.06), 0.88, 0.88, boxstyle="round,pad=0,rounding_size=0.18",
                                  facecolor=background, edgecolor="none"))
    font = {1: 0.62, 2: 0.46, 3: 0.34}[len(label)] * size
    axes.text(0.5, 0.47, label, ha="center", va="center", color=foreground, fontsize=font * 72 / size,
              fontweight="bold", family="DejaVu Sans")
    figure.savefig(path, dpi=size, transparent=True)
    plt.close(figure)


def main(root):
    for name, (label, background, foreground) in LOGOS.items():
        directory = os.path.join(root, name)
        if not os.path.isdir(directory):
            continue
        for size in (32, 64):
            draw(label, background, foreground, size, os.path.join(directory, f"logo-{size}x{size}.png"))
        print("drew", name)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "kernelspecs")
