"""The compiled languages: fixed compile flags and run commands per language (a spec names one).

Flags are fixed so that a cell gives the same result on every run; kernel_info prints them. `{src}`, `{exe}` and
`{dir}` are filled in per cell; `{main}` is Java's main class.
"""

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Language:
    name: str
    display_name: str
    source_name: str
    compile: tuple
    run: tuple
    version_command: tuple
    mimetype: str
    file_extension: str
    codemirror_mode: str
    pygments_lexer: str
    keywords: tuple
    env: dict = field(default_factory=dict)

    def source_file(self, code):
        return self.source_name


_C_KEYWORDS = ("auto break case char const continue default do double else enum extern float for goto if inline int "
               "long register restrict return short signed sizeof static struct switch typedef union unsigned void "
               "volatile while printf scanf malloc free include define").split()
_CPP_KEYWORDS = _C_KEYWORDS + ("bool catch class constexpr delete explicit false friend mutable namespace new "
                               "nullptr operator private protected public template this throw true try typename "
                               "using virtual std cout cin endl string vector map").split()
_RUST_KEYWORDS = ("as break const continue crate else enum extern false fn for if impl in let loop match mod move mut "
                  "pub ref return self Self static struct super trait true type unsafe use where while println "
                  "String Vec Option Some None Result Ok Err Box").split()
_GO_KEYWORDS = ("break case chan const continue default defer else fallthrough for func go goto if import interface "
                "map package range return select struct switch type var fmt Println Printf make len append").split()
_JAVA_KEYWORDS = ("abstract boolean break byte case catch char class const continue default do double else enum "
                  "extends final finally float for if implements import instanceof int interface long native new "
                  "package private protected public return short static super switch synchronized this throw throws "
                  "try void volatile while String System println Integer List ArrayList").split()


class JavaLanguage(Language):
    """Java: the file must be named after its public class; the program runs the class that declares main."""

    def source_file(self, code):
        public = re.search(r"\bpublic\s+(?:(?:final|abstract|strictfp)\s+)*(?:class|record|enum|interface)\s+(\w+)", code)
        return (public.group(1) if public else "Main") + ".java"

    @staticmethod
    def main_class(code):
        for match in re.finditer(r"\b(?:class|record|enum|interface)\s+(\w+)", code):
            rest = code[match.end():]
            next_type = re.search(r"\b(?:class|record|enum|interface)\s+\w+", rest)
            body = rest[: next_type.start()] if next_type else rest
            if re.search(r"\bstatic\s+(?:public\s+)?void\s+main\s*\(|\bpublic\s+static\s+void\s+main\s*\(", body):
                return match.group(1)
        return "Main"


LANGUAGES = {
    "c": Language(
        name="c", display_name="C", source_name="cell.c",
        compile=("gcc", "-std=c17", "-O2", "-Wall", "-pipe", "-o", "{exe}", "{src}", "-lm"),
        run=("{exe}",), version_command=("gcc", "-dumpfullversion"),
        mimetype="text/x-csrc", file_extension=".c", codemirror_mode="text/x-csrc", pygments_lexer="c",
        keywords=tuple(_C_KEYWORDS)),
    "cpp": Language(
        name="c++", display_name="C++", source_name="cell.cpp",
        compile=("g++", "-std=c++17", "-O2", "-Wall", "-pipe", "-o", "{exe}", "{src}"),
        run=("{exe}",), version_command=("g++", "-dumpfullversion"),
        mimetype="text/x-c++src", file_extension=".cpp", codemirror_mode="text/x-c++src", pygments_lexer="cpp",
        keywords=tuple(_CPP_KEYWORDS)),
    "rust": Language(
        name="rust", display_name="Rust", source_name="cell.rs",
        compile=("rustc", "--edition=2021", "-O", "-C", "debuginfo=0", "-o", "{exe}", "{src}"),
        run=("{exe}",), version_command=("rustc", "--version"),
        mimetype="text/rust", file_extension=".rs", codemirror_mode="rust", pygments_lexer="rust",
        keywords=tuple(_RUST_KEYWORDS)),
    "go": Language(
        name="go", display_name="Go", source_name="cell.go",
        compile=("go", "build", "-o", "{exe}", "{src}"),
        run=("{exe}",), version_command=("go", "env", "GOVERSION"),
        mimetype="text/x-go", file_extension=".go", codemirror_mode="go", pygments_lexer="go",
        keywords=tuple(_GO_KEYWORDS),
        env={"CGO_ENABLED": "0", "GOFLAGS": "-buildvcs=false"}),
    "java": JavaLanguage(
        name="java", display_name="Java", source_name="Main.java",
        compile=("javac", "-encoding", "UTF-8", "-d", "{dir}", "{src}"),
        run=("java", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-cp", "{dir}", "{main}"),
        version_command=("javac", "-version"),
        mimetype="text/x-java", file_extension=".java", codemirror_mode="text/x-java", pygments_lexer="java",
        keywords=tuple(_JAVA_KEYWORDS)),
}
