using NotebookGateway.ImageCheck;

// NotebookGateway.ImageCheck --image TAG --kernelspecs DIR [--kernelspecs DIR …] [--seccomp FILE] [--owner NAME] [--uid-first N]
// Starts every kernelspec of DIR whose image is TAG in a sandbox, as the gateway does, and prints the value of the
// image's verified-kernels label (a JSON array) on stdout. Exit 1 when a kernel fails to start or speaks another
// language than its spec says; 2 on bad arguments. Run as root (the sandbox manager mounts and chowns).
return await ImageChecker.RunAsync(args);
