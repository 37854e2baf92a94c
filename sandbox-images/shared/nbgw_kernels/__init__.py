"""Kernels of the NotebookGateway sandbox images: the launcher that accepts the gateway's read-only connection file,
a stateful Bash kernel, and a compile-and-run kernel for C, C++, Rust, Go and Java."""
