# SPDX-License-Identifier: MIT
# bash completion for leakscope(1). Installed as
# share/bash-completion/completions/leakscope, which bash-completion loads
# the first time `leakscope` is completed. The option lists come from the
# command's own --help, so they follow the command.

_leakscope_options() {
  # "--name" words of `leakscope CMD --help`, once per command and shell.
  local var="_leakscope_opts_$1"
  if [[ -z ${!var} ]]; then
    printf -v "$var" '%s' "$("$2" "$1" --help 2>/dev/null |
      grep -oE '(^|[ [])--[a-z][a-z-]*' | tr -d ' [' | sort -u | tr '\n' ' ')"
  fi
  printf '%s' "${!var}"
}

_leakscope() {
  local cur prev words cword
  _init_completion 2>/dev/null || {
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD - 1]}
    words=("${COMP_WORDS[@]}")
    cword=$COMP_CWORD
  }
  local cmd=${words[1]} tool=${words[0]}

  if ((cword == 1)); then
    COMPREPLY=($(compgen -W "run dump sarif junit diff suppress --help --version" -- "$cur"))
    return
  fi
  case $cmd in
  run)
    # After the program name everything belongs to the program.
    local i
    for ((i = 2; i < cword; i++)); do
      case ${words[i]} in
      --) ((i == cword - 1)) && COMPREPLY=($(compgen -c -- "$cur")) && return
          compopt -o default 2>/dev/null; COMPREPLY=(); return ;;
      --output|--format|--depth|--signal|--interval|--min-age|--error-exitcode|\
      --suppressions|--unwind|--baseline|--sort|--top) ((i++)) ;;
      -*) ;;
      *) compopt -o default 2>/dev/null; COMPREPLY=(); return ;;
      esac
    done
    case $prev in
    --format) COMPREPLY=($(compgen -W "text json folded pprof" -- "$cur")); return ;;
    --unwind) COMPREPLY=($(compgen -W "cfi fp" -- "$cur")); return ;;
    --signal) COMPREPLY=($(compgen -W "SIGUSR1 SIGUSR2 SIGRTMIN+1 none" -- "$cur")); return ;;
    --sort) COMPREPLY=($(compgen -W "size growth" -- "$cur")); return ;;
    --output|--suppressions|--baseline) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --depth|--interval|--min-age|--error-exitcode|--top) return ;;
    esac
    if [[ $cur == -* ]]; then
      COMPREPLY=($(compgen -W "$(_leakscope_options run "$tool") --help --" -- "$cur"))
    else
      COMPREPLY=($(compgen -c -- "$cur"))
    fi
    ;;
  dump)
    case $prev in
    --wait) return ;;
    esac
    if [[ $cur == -* ]]; then
      COMPREPLY=($(compgen -W "--wait --diff --help" -- "$cur"))
    else
      COMPREPLY=($(compgen -W "$(command ps -e -o pid= 2>/dev/null)" -- "$cur"))
    fi
    ;;
  sarif|junit|diff|suppress)
    case $prev in
    --output|--source-root|--baseline) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --top) return ;;
    --sort) COMPREPLY=($(compgen -W "growth size" -- "$cur")); return ;;
    esac
    if [[ $cur == -* ]]; then
      COMPREPLY=($(compgen -W "$(_leakscope_options "$cmd" "$tool")" -- "$cur"))
    else
      COMPREPLY=($(compgen -f -- "$cur"))
    fi
    ;;
  esac
}
complete -F _leakscope leakscope
