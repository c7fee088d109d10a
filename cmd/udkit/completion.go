package main

import (
	"fmt"
	"io"
	"strings"
)

func init() {
	register("completion", command{
		summary: "print a shell completion script (bash, zsh or fish)",
		run:     runCompletion,
	})
}

var completionShells = []string{"bash", "zsh", "fish"}

func runCompletion(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: udkit completion bash|zsh|fish")
		return exitUsage
	}
	var script string
	switch args[0] {
	case "bash":
		script = bashCompletion()
	case "zsh":
		script = zshCompletion()
	case "fish":
		script = fishCompletion()
	default:
		fmt.Fprintf(stderr, "udkit completion: unknown shell %q: use bash, zsh or fish\n", args[0])
		return exitUsage
	}
	io.WriteString(stdout, script)
	return exitOK
}

// flagWord is how a flag is typed: -o for one letter, --name otherwise.
func flagWord(f flagDoc) string {
	if len(f.name) == 1 {
		return "-" + f.name
	}
	return "--" + f.name
}

// positional returns what the positional arguments of a command complete
// to: "file" (also for a command without a helpDoc), "shell", "command"
// or "" for nothing.
func positional(name string) string {
	h, ok := helpDocs[name]
	if !ok {
		return "file"
	}
	return h.args
}

// argWords are the fixed words a positional argument takes.
func argWords(kind string) []string {
	switch kind {
	case "shell":
		return completionShells
	case "command":
		return append(commandNames(), "exit-codes")
	}
	return nil
}

// shQuote quotes s for a POSIX shell (and zsh, and fish, whose single
// quotes differ only in that \' and \\ are escapes: see fishQuote).
func shQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func fishQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// oneLine cuts a flag's doc to its first clause for a completion menu.
func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if i := strings.Index(s, "; "); i > 0 {
		s = s[:i]
	}
	return s
}

func bashCompletion() string {
	var b strings.Builder
	b.WriteString(`# bash completion for udkit, printed by "udkit completion bash".
# Load it with: source <(udkit completion bash)
_udkit() {
    local cur prev cmd i
    COMPREPLY=()
    cur="${COMP_WORDS[COMP_CWORD]}"
    prev="${COMP_WORDS[COMP_CWORD-1]}"
    cmd=""
    for ((i = 1; i < COMP_CWORD; i++)); do
        case "${COMP_WORDS[i]}" in
        -*) ;;
        *) cmd="${COMP_WORDS[i]}"; break ;;
        esac
    done
    if [[ -z "$cmd" ]]; then
        COMPREPLY=($(compgen -W ` + shQuote(strings.Join(commandNames(), " ")+" --help --version") + ` -- "$cur"))
        return 0
    fi
    case "$cmd" in
`)
	for _, name := range commandNames() {
		h := helpDocs[name]
		fmt.Fprintf(&b, "    %s)\n", name)
		// The value of the flag just typed.
		var valueCases strings.Builder
		var words []string
		for _, f := range h.flags {
			w := flagWord(f)
			words = append(words, w)
			if f.arg == "" {
				continue
			}
			// The flag package takes -name and --name alike.
			alt := "-" + f.name + "|--" + f.name
			switch {
			case len(f.values) > 0:
				fmt.Fprintf(&valueCases, "        %s) COMPREPLY=($(compgen -W %s -- \"$cur\")); return 0 ;;\n", alt, shQuote(strings.Join(f.values, " ")))
			case f.dir:
				fmt.Fprintf(&valueCases, "        %s) compopt -o filenames; COMPREPLY=($(compgen -d -- \"$cur\")); return 0 ;;\n", alt)
			case f.file:
				fmt.Fprintf(&valueCases, "        %s) compopt -o filenames; COMPREPLY=($(compgen -f -- \"$cur\")); return 0 ;;\n", alt)
			default:
				fmt.Fprintf(&valueCases, "        %s) return 0 ;;\n", alt)
			}
		}
		words = append(words, "--help")
		if valueCases.Len() > 0 {
			b.WriteString("        case \"$prev\" in\n")
			for _, l := range strings.SplitAfter(valueCases.String(), "\n") {
				if l != "" {
					b.WriteString("    " + l)
				}
			}
			b.WriteString("        esac\n")
		}
		fmt.Fprintf(&b, "        if [[ \"$cur\" == -* ]]; then\n            COMPREPLY=($(compgen -W %s -- \"$cur\"))\n            return 0\n        fi\n", shQuote(strings.Join(words, " ")))
		switch kind := positional(name); kind {
		case "file":
			b.WriteString("        compopt -o filenames; COMPREPLY=($(compgen -f -- \"$cur\"))\n")
		case "":
		default:
			fmt.Fprintf(&b, "        COMPREPLY=($(compgen -W %s -- \"$cur\"))\n", shQuote(strings.Join(argWords(kind), " ")))
		}
		b.WriteString("        ;;\n")
	}
	b.WriteString(`    esac
    return 0
}
complete -F _udkit udkit
`)
	return b.String()
}

// zshDesc escapes a description for inside [...] of an _arguments spec,
// itself inside single quotes.
func zshDesc(s string) string {
	return strings.NewReplacer(`'`, `'\''`, `[`, `\[`, `]`, `\]`, `:`, `\:`).Replace(oneLine(s))
}

func zshCompletion() string {
	var b strings.Builder
	b.WriteString(`#compdef udkit
# zsh completion for udkit, printed by "udkit completion zsh".
# Put it in a directory of $fpath as _udkit, or: source <(udkit completion zsh)
_udkit() {
    local -a commands
    commands=(
`)
	for _, name := range commandNames() {
		fmt.Fprintf(&b, "        %s\n", shQuote(name+":"+commands[name].summary))
	}
	b.WriteString(`    )
    if (( CURRENT == 2 )); then
        _describe -t commands 'udkit command' commands
        _arguments '--help[help for udkit]' '--version[print the version]'
        return
    fi
    local cmd=${words[2]}
    shift words
    (( CURRENT-- ))
    case $cmd in
`)
	for _, name := range commandNames() {
		h := helpDocs[name]
		fmt.Fprintf(&b, "    %s)\n        _arguments -s \\\n", name)
		for _, f := range h.flags {
			spec := flagWord(f)
			if f.name == "ignore" {
				spec = "*" + spec
			}
			spec += "[" + zshDesc(f.doc) + "]"
			if f.arg != "" {
				action := " "
				switch {
				case len(f.values) > 0:
					action = "(" + strings.Join(f.values, " ") + ")"
				case f.dir:
					action = "_files -/"
				case f.file:
					action = "_files"
				}
				spec += ":" + f.arg + ":" + action
			}
			fmt.Fprintf(&b, "            '%s' \\\n", spec)
		}
		b.WriteString("            '(- *)--help[help for this command]' \\\n")
		switch kind := positional(name); kind {
		case "file":
			b.WriteString("            '*:file:_files'\n")
		case "":
			b.WriteString("            \n")
		default:
			fmt.Fprintf(&b, "            '1:%s:(%s)'\n", kind, strings.Join(argWords(kind), " "))
		}
		b.WriteString("        ;;\n")
	}
	b.WriteString(`    esac
}
if [[ "${funcstack[1]}" == "_udkit" ]]; then
    _udkit "$@"
else
    compdef _udkit udkit
fi
`)
	return b.String()
}

func fishCompletion() string {
	var b strings.Builder
	b.WriteString(`# fish completion for udkit, printed by "udkit completion fish".
# Install: udkit completion fish > ~/.config/fish/completions/udkit.fish
complete -c udkit -f
complete -c udkit -n __fish_use_subcommand -l help -d 'help for udkit'
complete -c udkit -n __fish_use_subcommand -l version -d 'print the version'
`)
	for _, name := range commandNames() {
		fmt.Fprintf(&b, "complete -c udkit -n __fish_use_subcommand -a %s -d %s\n", name, fishQuote(commands[name].summary))
	}
	for _, name := range commandNames() {
		h := helpDocs[name]
		cond := fishQuote("__fish_seen_subcommand_from " + name)
		for _, f := range h.flags {
			opt := "-l " + f.name
			if len(f.name) == 1 {
				opt = "-s " + f.name
			}
			switch {
			case f.arg == "":
			case len(f.values) > 0:
				opt += " -x -a " + fishQuote(strings.Join(f.values, " "))
			case f.dir:
				opt += " -x -a '(__fish_complete_directories)'"
			case f.file:
				opt += " -r -F"
			default:
				opt += " -x"
			}
			fmt.Fprintf(&b, "complete -c udkit -n %s %s -d %s\n", cond, opt, fishQuote(oneLine(f.doc)))
		}
		fmt.Fprintf(&b, "complete -c udkit -n %s -l help -d 'help for this command'\n", cond)
		switch kind := positional(name); kind {
		case "file":
			fmt.Fprintf(&b, "complete -c udkit -n %s -F\n", cond)
		case "":
		default:
			fmt.Fprintf(&b, "complete -c udkit -n %s -x -a %s\n", cond, fishQuote(strings.Join(argWords(kind), " ")))
		}
	}
	return b.String()
}
