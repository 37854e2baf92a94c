#!/usr/bin/env node
/*
 * nbgw-ijavascript.js CONNECTION_FILE: ijavascript's kernel with a real interrupt.
 *
 * ijavascript answers SIGINT by restarting its session (every variable lost), and the cell that was running never
 * gets an execute_reply. Here, instead:
 *   - the session server (nel's child process, which runs the user's code) evaluates each cell with
 *     vm.runInThisContext(code, { breakOnSigint: true }), so a SIGINT stops a running synchronous cell with an error
 *     ("Script execution was interrupted by `SIGINT`") that ends the cell, and the session and its variables survive;
 *     between cells the server ignores SIGINT;
 *   - the kernel process ignores SIGINT (the gateway's interrupt signals the kernel's whole process group, which
 *     includes the session server).
 * Asynchronous code (a timer or promise that loops) cannot be stopped this way; the gateway's cell limits and a
 * restart still apply. Nothing of ijavascript is changed on disk: the patch is applied to the server source in memory.
 */
"use strict";

const path = require("path");
const modules = path.join(__dirname, "node_modules");
const Session = require(path.join(modules, "nel")).Session;

const original = "return vm.runInThisContext(code);";
const serverSource = Session._args[1];
if (typeof serverSource !== "string" || !serverSource.includes(original)) {
    console.error("nbgw-ijavascript: nel's session server is not the expected version; cannot install the interrupt");
    process.exit(70);
}
Session._args[1] = serverSource
    .replace(original, "return vm.runInThisContext(code, { breakOnSigint: true });")
    .replace("(function() {", "(function() {\nprocess.on(\"SIGINT\", function() {});");

// ijavascript's kernel (parses argv, reads the connection file, binds the sockets) ...
require(path.join(modules, "ijavascript", "lib", "kernel.js"));
// ... whose SIGINT handler restarts the session: replaced by one that leaves the interrupt to the session server.
process.removeAllListeners("SIGINT");
process.on("SIGINT", function() {});
