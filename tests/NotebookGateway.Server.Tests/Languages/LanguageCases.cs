namespace NotebookGateway.Server.Tests.Languages;

/// <summary>The code of <see cref="LanguageCase"/> for every kernelspec in kernelspecs/.</summary>
public static class LanguageCases
{
    /// <summary>What the sandbox looks like from inside: uid, network interfaces, seccomp and privilege flags, root fs.
    /// No quotes or backslashes, so every language can embed it in a string literal as it is.</summary>
    public const string Probe = "echo uid=$(id -u); echo net=$(ls /sys/class/net); grep -E ^Seccomp: /proc/self/status; "
        + "grep -E ^NoNewPrivs: /proc/self/status; grep -E ^CapEff: /proc/self/status; "
        + "touch /probe-root 2>/dev/null && echo root=writable || echo root=read-only";

    /// <summary>
    /// Forks 1,000 sleeping children, far beyond any spec's pids limit (they end by themselves after 5 s: long enough to
    /// pile up past a 256-pid limit even on a loaded machine where forks are slow), then prints the container's
    /// pids.events with shell builtins only (no fork needed while the limit is still held).
    /// </summary>
    public const string ForkBomb = "(i=0; while [ $i -lt 1000 ]; do sleep 5 & i=$((i+1)); done) 2>/dev/null; "
        + "read -r e < /sys/fs/cgroup/pids/pids.events || read -r e < /sys/fs/cgroup/pids.events; echo pids-events: $e";

    public static readonly IReadOnlyList<LanguageCase> All =
    [
        Python("python3"),
        Python("python3-datascience"),
        new LanguageCase
        {
            Spec = "ir",
            Language = "R",
            Hello = new("""cat("hello from R\n")""", Stdout: "hello from R"),
            Expression = new("6 * 7", Result: "[1] 42"),
            Error = new("""stop("boom in R")""", ErrorText: "boom in R"),
            Stderr = new("""message("to stderr from R")""", Stderr: "to stderr from R"),
            State = ("x <- 42", new("""cat(x, "\n")""", Stdout: "42")),
            Input = new("""n <- readline("name? "); cat("hi", n, "\n")""", Stdout: "hi bob"),
            Incomplete = "f <- function() {",
            Completion = ("prin", "print"),
            EndlessLoop = """cat("looping\n"); while (TRUE) {}""",
            Probe = $"""cat(system("{Probe}", intern = TRUE), sep = "\n")""",
            MemoryHog = "x <- numeric(4e8); x[length(x)] <- 1",
            ForkBomb = $"""cat(system("{ForkBomb}", intern = TRUE), sep = "\n")""",
            Flood = """cat(paste(rep("x", 1e6), collapse = ""))""",
        },
        new LanguageCase
        {
            Spec = "javascript",
            Language = "javascript",
            Hello = new("""console.log("hello from JavaScript")""", Stdout: "hello from JavaScript"),
            Expression = new("6 * 7", Result: "42"),
            Error = new("""throw new Error("boom in JavaScript")""", ErrorName: "Error", ErrorText: "boom in JavaScript"),
            Stderr = new("""console.error("to stderr from JavaScript")""", Stderr: "to stderr from JavaScript"),
            State = ("var x = 42", new("console.log(x)", Stdout: "42")),
            Incomplete = "function f() {",
            Completion = ("conso", "console"),
            EndlessLoop = """console.log("looping"); while (true) {}""",
            Probe = $"""console.log(require("child_process").execSync("{Probe}").toString())""",
            MemoryHog = "var hog = []; while (true) hog.push(Buffer.alloc(64 * 1024 * 1024, 1));",
            ForkBomb = $"""console.log(require("child_process").execSync("{ForkBomb}").toString())""",
            Flood = """console.log("x".repeat(1000000))""",
        },
        new LanguageCase
        {
            Spec = "bash",
            Language = "bash",
            Hello = new("echo hello from bash", Stdout: "hello from bash"),
            Error = new("echo boom in bash >&2; false", ErrorName: "ExitStatus", ErrorText: "exit status 1"),
            Stderr = new("echo to stderr from bash >&2", Stderr: "to stderr from bash"),
            State = ("x=42; cd /tmp", new("echo $x $PWD", Stdout: "42 /tmp")),
            Input = new("""read -p "name? " n; echo "hi $n" """, Stdout: "hi bob"),
            Incomplete = "if true; then",
            Completion = ("ech", "echo"),
            EndlessLoop = "echo looping; while :; do :; done",
            Probe = Probe,
            MemoryHog = "head -c 3000m /dev/zero | tail > /dev/null",
            ForkBomb = ForkBomb,
            Flood = "head -c 1000000 /dev/zero | tr '\\0' x",
        },
        new LanguageCase
        {
            Spec = "octave",
            Language = "octave",
            Hello = new("""disp("hello from Octave")""", Stdout: "hello from Octave"),
            Expression = new("y = 6 * 7", Stdout: "y = 42"),
            Error = new("""error("boom in Octave")""", ErrorText: "boom in Octave"),
            Stderr = new("""fprintf(stderr, "to stderr from Octave\n")""", Stderr: "to stderr from Octave"),
            State = ("x = 42;", new("disp(x)", Stdout: "42")),
            Input = new("""n = input("name? ", "s"); printf("hi %s\n", n)""", Stdout: "hi bob"),
            Incomplete = "if true",
            Completion = ("dis", "disp"),
            EndlessLoop = """disp("looping"); while true, end""",
            Probe = $"""system("{Probe}");""",
            MemoryHog = "x = ones(20000, 20000);",
            ForkBomb = $"""system("{ForkBomb}");""",
            Flood = "disp(repmat('x', 1, 1000000))",
        },
        Compiled(
            "c", "c",
            hello: """
                #include <stdio.h>
                int main(void) { printf("hello from C\n"); return 0; }
                """,
            compileError: "int main(void) { return undeclared_name; }",
            compileErrorText: "undeclared_name",
            stderr: """
                #include <stdio.h>
                int main(void) { fprintf(stderr, "to stderr from C\n"); return 0; }
                """,
            writeState: """
                #include <stdio.h>
                int main(void) { FILE *f = fopen("state.txt", "w"); fprintf(f, "42\n"); return fclose(f); }
                """,
            readState: """
                #include <stdio.h>
                int main(void) { int x = 0; FILE *f = fopen("state.txt", "r"); fscanf(f, "%d", &x); printf("read %d\n", x); return 0; }
                """,
            input: """
                #include <stdio.h>
                int main(void) { char n[64]; printf("name? "); scanf("%63s", n); printf("hi %s\n", n); return 0; }
                """,
            incomplete: "int main(void) {",
            completion: ("prin", "printf"),
            endlessLoop: """
                #include <stdio.h>
                int main(void) { puts("looping"); fflush(stdout); volatile unsigned long spin = 0; for (;;) spin++; }
                """,
            probe: CShell("c", Probe),
            memoryHog: """
                #include <stdio.h>
                #include <stdlib.h>
                int main(void) { size_t n = (size_t)3 << 30; volatile char *p = malloc(n); for (size_t i = 0; p && i < n; i += 4096) p[i] = 1; printf("%d\n", p ? p[n - 4096] : -1); return 0; }
                """,
            forkBomb: CShell("c", ForkBomb),
            flood: """
                #include <stdio.h>
                int main(void) { for (int i = 0; i < 1000000; i++) putchar(120); return 0; }
                """),
        Compiled(
            "cpp", "c++",
            hello: """
                #include <iostream>
                int main() { std::cout << "hello from C++" << std::endl; }
                """,
            compileError: "int main() { return undeclared_name; }",
            compileErrorText: "undeclared_name",
            stderr: """
                #include <iostream>
                int main() { std::cerr << "to stderr from C++" << std::endl; }
                """,
            writeState: """
                #include <fstream>
                int main() { std::ofstream("state.txt") << 42 << "\n"; }
                """,
            readState: """
                #include <fstream>
                #include <iostream>
                int main() { int x = 0; std::ifstream("state.txt") >> x; std::cout << "read " << x << "\n"; }
                """,
            input: """
                #include <iostream>
                #include <string>
                int main() { std::string n; std::cout << "name? "; std::cin >> n; std::cout << "hi " << n << "\n"; }
                """,
            incomplete: "int main() {",
            completion: ("std", "std"),
            endlessLoop: """
                #include <iostream>
                int main() { std::cout << "looping" << std::endl; volatile unsigned long spin = 0; for (;;) spin = spin + 1; }
                """,
            probe: CShell("cpp", Probe),
            memoryHog: """
                #include <cstdio>
                #include <cstdlib>
                int main() { size_t n = (size_t)3 << 30; volatile char *p = (volatile char *)std::malloc(n); for (size_t i = 0; p && i < n; i += 4096) p[i] = 1; std::printf("%d\n", p ? p[n - 4096] : -1); }
                """,
            forkBomb: CShell("cpp", ForkBomb),
            flood: """
                #include <iostream>
                #include <string>
                int main() { std::cout << std::string(1000000, 'x'); }
                """),
        Compiled(
            "rust", "rust",
            hello: """fn main() { println!("hello from Rust"); }""",
            compileError: "fn main() { let x: i32 = \"text\"; }",
            compileErrorText: "mismatched types",
            stderr: """fn main() { eprintln!("to stderr from Rust"); }""",
            writeState: """fn main() { std::fs::write("state.txt", "42").unwrap(); }""",
            readState: """fn main() { let x = std::fs::read_to_string("state.txt").unwrap(); println!("read {}", x.trim()); }""",
            input: """
                use std::io::{self, BufRead, Write};
                fn main() { print!("name? "); io::stdout().flush().unwrap(); let mut n = String::new(); io::stdin().lock().read_line(&mut n).unwrap(); println!("hi {}", n.trim()); }
                """,
            incomplete: "fn main() {",
            completion: ("printl", "println"),
            endlessLoop: """fn main() { println!("looping"); loop {} }""",
            probe: $$"""fn main() { std::process::Command::new("sh").arg("-c").arg("{{Probe}}").status().unwrap(); }""",
            memoryHog: """fn main() { let n: usize = 3 << 30; let mut v = vec![0u8; n]; for i in (0..n).step_by(4096) { unsafe { std::ptr::write_volatile(&mut v[i], 1) } } println!("{}", v[n - 4096]); }""",
            forkBomb: $$"""fn main() { std::process::Command::new("sh").arg("-c").arg("{{ForkBomb}}").status().unwrap(); }""",
            flood: """fn main() { print!("{}", "x".repeat(1000000)); }"""),
        Compiled(
            "go", "go",
            hello: """
                package main
                import "fmt"
                func main() { fmt.Println("hello from Go") }
                """,
            compileError: "package main\nfunc main() { x := 1 }",
            compileErrorText: "declared",
            stderr: """
                package main
                import ("fmt"; "os")
                func main() { fmt.Fprintln(os.Stderr, "to stderr from Go") }
                """,
            writeState: """
                package main
                import "os"
                func main() { os.WriteFile("state.txt", []byte("42"), 0o644) }
                """,
            readState: """
                package main
                import ("fmt"; "os")
                func main() { b, _ := os.ReadFile("state.txt"); fmt.Println("read", string(b)) }
                """,
            input: """
                package main
                import "fmt"
                func main() { var n string; fmt.Print("name? "); fmt.Scan(&n); fmt.Println("hi", n) }
                """,
            incomplete: "func main() {",
            completion: ("Printl", "Println"),
            endlessLoop: "package main\nimport \"fmt\"\nfunc main() { fmt.Println(\"looping\"); for {} }",
            probe: $$"""
                   package main
                   import ("os"; "os/exec")
                   func main() { c := exec.Command("sh", "-c", "{{Probe}}"); c.Stdout = os.Stdout; c.Run() }
                   """,
            memoryHog: """
                package main
                import "fmt"
                func main() { n := 3 << 30; b := make([]byte, n); for i := 0; i < n; i += 4096 { b[i] = 1 }; fmt.Println(b[n-4096]) }
                """,
            forkBomb: $$"""
                      package main
                      import ("os"; "os/exec")
                      func main() { c := exec.Command("sh", "-c", "{{ForkBomb}}"); c.Stdout = os.Stdout; c.Run() }
                      """,
            flood: """
                package main
                import ("fmt"; "strings")
                func main() { fmt.Print(strings.Repeat("x", 1000000)) }
                """),
        Compiled(
            "java", "java",
            hello: """public class Main { public static void main(String[] a) { System.out.println("hello from Java"); } }""",
            compileError: """public class Main { public static void main(String[] a) { int x = "text"; } }""",
            compileErrorText: "incompatible types",
            stderr: """public class Main { public static void main(String[] a) { System.err.println("to stderr from Java"); } }""",
            writeState: """
                import java.nio.file.*;
                public class Main { public static void main(String[] a) throws Exception { Files.writeString(Path.of("state.txt"), "42"); } }
                """,
            readState: """
                import java.nio.file.*;
                public class Reader { public static void main(String[] a) throws Exception { System.out.println("read " + Files.readString(Path.of("state.txt"))); } }
                """,
            input: """
                import java.util.Scanner;
                public class Main { public static void main(String[] a) { System.out.print("name? "); System.out.flush(); System.out.println("hi " + new Scanner(System.in).next()); } }
                """,
            incomplete: "public class Main {",
            completion: ("Syst", "System"),
            endlessLoop: """public class Main { public static void main(String[] a) { System.out.println("looping"); long spin = 0; while (true) { spin++; } } }""",
            probe: $$"""public class Main { public static void main(String[] a) throws Exception { new ProcessBuilder("sh", "-c", "{{Probe}}").inheritIO().start().waitFor(); } }""",
            memoryHog: """public class Main { public static void main(String[] a) { byte[][] hog = new byte[64][]; for (int i = 0; i < hog.length; i++) { hog[i] = new byte[64 << 20]; java.util.Arrays.fill(hog[i], (byte) 1); } System.out.println(hog.length); } }""",
            forkBomb: $$"""public class Main { public static void main(String[] a) throws Exception { new ProcessBuilder("sh", "-c", "{{ForkBomb}}").inheritIO().start().waitFor(); } }""",
            flood: """public class Main { public static void main(String[] a) { System.out.print("x".repeat(1000000)); } }"""),
    ];

    public static LanguageCase Get(string spec) => All.Single(c => c.Spec == spec);

    /// <summary>Every spec, as xunit theory data.</summary>
    public static TheoryData<string> Specs()
    {
        var data = new TheoryData<string>();
        foreach (LanguageCase language in All)
        {
            data.Add(language.Spec);
        }
        return data;
    }

    private static LanguageCase Python(string spec) => new()
    {
        Spec = spec,
        Language = "python",
        Hello = new("""print("hello from Python")""", Stdout: "hello from Python"),
        Expression = new("6 * 7", Result: "42"),
        Error = new("""raise ValueError("boom in Python")""", ErrorName: "ValueError", ErrorText: "boom in Python"),
        Stderr = new("""import sys; print("to stderr from Python", file=sys.stderr)""", Stderr: "to stderr from Python"),
        State = ("x = 42", new("print(x)", Stdout: "42")),
        Input = new("""n = input("name? "); print("hi", n)""", Stdout: "hi bob"),
        Incomplete = "def f():",
        Completion = ("pri", "print"),
        EndlessLoop = "print(\"looping\", flush=True)\nwhile True: pass",
        Probe = $"""import subprocess; print(subprocess.run(["sh", "-c", "{Probe}"], capture_output=True, text=True).stdout)""",
        MemoryHog = "hog = bytearray(3 * 1024 ** 3)",
        ForkBomb = $"""import subprocess; print(subprocess.run(["sh", "-c", "{ForkBomb}"], capture_output=True, text=True).stdout)""",
        Flood = """print("x" * 1000000)""",
    };

    /// <summary>A compiled language: each cell is a program; state lives in a workspace file; the error is a compile error.</summary>
    private static LanguageCase Compiled(
        string spec, string language, string hello, string compileError, string compileErrorText, string stderr, string writeState,
        string readState, string input, string incomplete, (string, string) completion, string endlessLoop, string probe,
        string memoryHog, string forkBomb, string flood) => new()
        {
            Spec = spec,
            Language = language,
            Hello = new(hello, Stdout: "hello from"),
            Error = new(compileError, ErrorName: "CompileError", ErrorText: compileErrorText),
            Stderr = new(stderr, Stderr: "to stderr from"),
            State = (writeState, new(readState, Stdout: "read 42")),
            Input = new(input, Stdout: "hi bob"),
            Incomplete = incomplete,
            Completion = completion,
            EndlessLoop = endlessLoop,
            Probe = probe,
            MemoryHog = memoryHog,
            ForkBomb = forkBomb,
            Flood = flood,
        };

    /// <summary>A C or C++ program that runs a shell command.</summary>
    private static string CShell(string spec, string command) => spec == "c"
        ? $$"""
            #include <stdlib.h>
            int main(void) { return system("{{command}}") == 0 ? 0 : 1; }
            """
        : $$"""
            #include <cstdlib>
            int main() { return std::system("{{command}}") == 0 ? 0 : 1; }
            """;
}
