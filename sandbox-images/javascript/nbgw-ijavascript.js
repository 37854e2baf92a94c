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
 * restart still apply. Replies get the fields protocol 5 requires that jp-kernel leaves out. And when the session server dies by itself (the memory limit), the running cell ends with an
 * error saying so and a new session starts. Nothing of ijavascript is changed on disk: the patches are applied in
 * memory.
 */
"use strict";

const child_process = require("child_process");
const fs = require("fs");
const path = require("path");
const modules = path.join(__dirname, "node_modules");

// nel keeps child_process.spawn at load time: wrap it first, to learn of every session server that is spawned.
const servers = new Set();
const spawn = child_process.spawn;
child_process.spawn = function(command, args) {
    const child = spawn.apply(this, arguments);
    if (Array.isArray(args) && args[0] === "--eval") {
        servers.add(child);
        // After nel's own exit listener (added later, by the session), which marks the session dead.
        child.on("exit", (code, signal) => setImmediate(() => onServerDied(child, code, signal)));
    }
    return child;
};

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

// Which session a server belongs to (nel gives no back reference): recorded when a session runs a task.
const sessionOf = new Map();
const runNow = Session.prototype._runNow;
Session.prototype._runNow = function(task) {
    sessionOf.set(this._server, this);
    this._nbgwOomKills = outOfMemoryKills();
    return runNow.apply(this, arguments);
};

/*
 * The session server died by itself (nel's own kill() removes this listener first): killed by the sandbox's memory
 * limit, say. nel would leave the running cell without a reply and the kernel without a session; instead the cell
 * ends with an error that says why, and a new session starts (variables are gone), keeping the queued cells.
 */
function onServerDied(child, code, signal) {
    servers.delete(child);
    const session = sessionOf.get(child);
    sessionOf.delete(child);
    if (!session || session._server !== child) {
        return;
    }
    const task = session._currentTask;
    const queued = session._tasks;
    let reason = signal ? "killed by " + signal : "exit code " + code;
    if (outOfMemoryKills() > (session._nbgwOomKills || 0)) {
        reason += "; out of memory: the sandbox's memory limit was reached";
    }
    const message = "the JavaScript session ended (" + reason + "); a new session was started (variables are gone, files remain)";
    Session.call(session, session._nelConfig);
    session._tasks = session._tasks.concat(queued);
    if (task) {
        if (task.onError) {
            task.onError({ error: { ename: "SessionDied", evalue: message, traceback: ["SessionDied: " + message] } });
        }
        if (task.afterRun) {
            task.afterRun();
        }
    }
}

// The container's OOM-kill counter (cgroup v1 or v2), only to word the message above.
function outOfMemoryKills() {
    for (const file of ["/sys/fs/cgroup/memory.events", "/sys/fs/cgroup/memory/memory.oom_control"]) {
        try {
            const match = /^oom_kill (\d+)$/m.exec(fs.readFileSync(file, "ascii"));
            if (match) {
                return Number(match[1]);
            }
        } catch (e) {
            // not this cgroup version
        }
    }
    return 0;
}

// jp-kernel leaves out reply fields protocol 5 requires (jupyter_kernel_test rejects such replies): "status" of
// kernel_info_reply, "metadata" of complete_reply. Every handler's replies are completed on the way out.
const handlers = require(path.join(modules, "jp-kernel", "lib", "handlers_v5.js"));
for (const [name, handler] of Object.entries(handlers)) {
    if (typeof handler !== "function") {
        continue;
    }
    handlers[name] = function(request) {
        const respond = request.respond;
        request.respond = function(socket, msgType, content) {
            if (content && typeof content === "object" && msgType.endsWith("_reply")) {
                if (content.status === undefined) {
                    content.status = "ok";
                }
                if (msgType === "complete_reply" && content.metadata === undefined) {
                    content.metadata = {};
                }
            }
            return respond.apply(this, arguments);
        };
        return handler.call(this, request);
    };
}

// ijavascript's kernel (parses argv, reads the connection file, binds the sockets) ...
require(path.join(modules, "ijavascript", "lib", "kernel.js"));
// ... whose SIGINT handler restarts the session: replaced by one that leaves the interrupt to the session server.
process.removeAllListeners("SIGINT");
process.on("SIGINT", function() {});
