# bash completion for keep(1): commands, their flags (with the values a flag
# takes where they are fixed), container names and ids, image names and
# secret names.  Needs nothing from the bash-completion package.
#
# The lists of running things come from keep itself (`keep ps -a --format
# json`, `keep images --format json`, `keep list --format json`, `keep
# secret ls`), run as the keep being completed, so a build tree's keep
# completes its own containers.  A failing keep completes nothing.

_keep_commands='run ps logs attach exec stop start restart kill rm wait inspect secret network gc
pull load images image rmi verify sign audit seccomp trace
create state delete pause resume list spec features version help'

# Options of each command; a trailing `=` is not used: values are completed
# after the option as its own word, or after `--option=`.
_keep_opts_run='-e --env --env-file -u --user -w --workdir --entrypoint --storage-driver
-i --interactive -t --tty --hostname -v --volume --tmpfs --read-write -m --memory --cpus
--pids-limit --cgroups=off --cap-add --cap-drop --security-opt --network --network-alias --ip -p --publish
-d --detach --name
--rm --restart --stop-signal --stop-timeout --log-opt --secret --log-denied --bundle --pid-file
--console-socket --no-pivot --help'
_keep_opts_ps='-a --all -q --quiet --no-trunc --format --help'
_keep_opts_logs='-f --follow -n --tail --since -t --timestamps --help'
_keep_opts_exec='-i --interactive -t --tty -d --detach -u --user -e --env -w --workdir --process
--pid-file --console-socket --cwd --help'
_keep_opts_stop='-t --time --timeout --help'
_keep_opts_trace="-o --output --merge --landlock-out --apparmor-out $_keep_opts_run"
_keep_opts_restart=$_keep_opts_stop
_keep_opts_kill='-s --signal -a --all --help'
_keep_opts_rm='-f --force --help'
_keep_opts_attach='--detach-keys --help'
_keep_opts_pull='--policy --registries.d --platform --insecure-registry --authfile --creds
--cert-dir -q --quiet --help'
_keep_opts_load='-i --input -t --tag --platform -q --quiet --help'
_keep_opts_images='--format -q --quiet --help'
_keep_opts_sign='--sign-by -o --output --registries.d --help'
_keep_opts_audit='--format --fail-on --root --vuln-db --vuln-db-max-age --help'
_keep_opts_create='-b --bundle --pid-file --console-socket --no-pivot --no-new-keyring --help'
_keep_opts_delete='-f --force --help'
_keep_opts_list='--format'
_keep_opts_spec='--rootless -b --bundle --help'
_keep_opts_global='--root --log --log-format --debug --cgroup-manager --help --version'

# Options that take a value (the next word, or after `=`), for command $cmd.
_keep_takes_value() {
  case $cmd:$1 in
  stop:-t | restart:-t | load:-t | load:-i | kill:-s | logs:-n | sign:-o) return 0 ;;
  *:-t | *:-i | *:-s | *:-n | *:-o) return 1 ;;
  esac
  case $1 in
  -e | --env | --env-file | -u | --user | -w | --workdir | --entrypoint | --storage-driver | \
    --hostname | -v | --volume | --tmpfs | -m | --memory | --cpus | --pids-limit | --cgroups | \
    --cap-add | --cap-drop | --security-opt | --network | --net | --network-alias | --ip | -p | \
    --publish | --subnet | --name | --restart | \
    --stop-signal | --stop-timeout | --log-opt | --secret | -b | --bundle | --pid-file | \
    --console-socket | --format | --tail | --since | --time | --timeout | --signal | \
    --process | --cwd | --policy | --registries.d | --platform | --insecure-registry | \
    --authfile | --creds | --cert-dir | --input | --tag | --sign-by | --output | --fail-on | \
    --root | --vuln-db | --vuln-db-max-age | --preserve-fds | --log | --log-format | \
    --cgroup-manager)
    return 0 ;;
  esac
  return 1
}

_keep_capabilities='CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP
LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE
SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME
SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG
WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF CHECKPOINT_RESTORE ALL'
_keep_signals='SIGTERM SIGKILL SIGINT SIGHUP SIGQUIT SIGUSR1 SIGUSR2 SIGWINCH SIGSTOP SIGCONT'

# keep, as the command line being completed names it.
_keep_run() {
  "${_keep_bin:-keep}" "$@" 2>/dev/null </dev/null
}

# Container names and 12-digit ids: `all`, `running` or `stopped` ones.
_keep_containers() {
  _keep_run ps -a --format json | awk -v want="$1" '
    function val(s) { sub(/^ *"[A-Za-z]+": "/, "", s); sub(/",?$/, "", s); return s }
    /^    "Id": "/ { id = val($0) }
    /^    "Names": "/ { name = val($0) }
    /^    "State": "/ { state = val($0) }
    /^  }/ {
      if (id != "" && (want == "all" || (want == "running") == (state == "running"))) {
        if (name != "") print name
        print substr(id, 1, 12)
      }
      id = name = state = ""
    }'
}

# Ids of OCI containers (keep create), under the global --root if given.
_keep_oci_ids() {
  _keep_run "${_keep_global[@]}" list --format json |
    sed -n 's/^    "id": "\([^"]*\)",\{0,1\}$/\1/p'
}

# Image names: repository:tag, or repository@digest for an untagged one.
_keep_images() {
  _keep_run images --format json | awk '
    function val(s) { sub(/^ *"[A-Za-z]+": "/, "", s); sub(/",?$/, "", s); return s }
    /^    "repository": "/ { repo = val($0) }
    /^    "tag": "/ { tag = val($0) }
    /^    "digest": "/ { digest = val($0) }
    /^  }/ {
      if (repo != "") print (tag == "<none>" ? repo "@" digest : repo ":" tag)
      repo = tag = digest = ""
    }'
}

# Network names: `keep network ls -q`.
_keep_networks() {
  _keep_run network ls -q
}

# Secret names: `keep secret ls -q`, else the first column of `keep secret ls`.
_keep_secrets() {
  _keep_run secret ls -q || _keep_run secret ls | awk 'NR > 1 || $1 != "NAME" { print $1 }'
}

# COMPREPLY from a word list, for the current word $cur.
_keep_words() {
  local IFS=$' \t\n'
  COMPREPLY+=($(compgen -W "$1" -- "$cur"))
}
_keep_files() {
  local IFS=$'\n'
  COMPREPLY+=($(compgen -f -- "$cur"))
  compopt -o filenames 2>/dev/null
}
_keep_dirs() {
  local IFS=$'\n'
  COMPREPLY+=($(compgen -d -- "$cur"))
  compopt -o filenames 2>/dev/null
}

# The value of option $1 (the current word is that value).
_keep_value() {
  case $1 in
  --restart) _keep_words 'no on-failure on-failure:3 always unless-stopped' ;;
  --log-opt) _keep_words 'max-size= max-file='; compopt -o nospace 2>/dev/null ;;
  --security-opt)
    if [[ $cur == seccomp=* ]]; then
      _keep_words 'seccomp=unconfined'
      local f
      while IFS= read -r f; do COMPREPLY+=("seccomp=$f"); done < <(compgen -f -- "${cur#seccomp=}")
    else
      _keep_words 'seccomp= seccomp=unconfined landlock=off no-new-privileges'
      compopt -o nospace 2>/dev/null
    fi
    ;;
  --cgroups) _keep_words 'off on' ;;
  --storage-driver) _keep_words 'overlay vfs' ;;
  --format)
    if [[ $cmd == audit ]]; then _keep_words 'table json sarif'; else _keep_words 'table json'; fi ;;
  --fail-on) _keep_words 'pass info warn fail' ;;
  --log-format) _keep_words 'text json' ;;
  --cgroup-manager) _keep_words 'cgroupfs' ;;
  --cap-add | --cap-drop) _keep_words "$_keep_capabilities" ;;
  --stop-signal | -s | --signal) _keep_words "$_keep_signals" ;;
  --platform) _keep_words 'linux/amd64 linux/arm64 linux/386 linux/arm/v7' ;;
  --secret) _keep_words "$(_keep_secrets)" ;;
  --network | --net) _keep_words "none host $(_keep_networks)" ;;
  --tail | -n) _keep_words 'all 10 100' ;;
  -v | --volume | --env-file | --process | --pid-file | --console-socket | --policy | \
    --authfile | -o | --output | -i | --input | --log) _keep_files ;;
  -b | --bundle | --registries.d | --cert-dir | --vuln-db | --root | -w | --workdir | --cwd | \
    --tmpfs) _keep_dirs ;;
  esac
}

_keep() {
  local _keep_bin=keep
  local -a words _keep_global=()
  # Words from the line up to the cursor, split on blanks: bash itself
  # splits `--log-opt=max-size` at `=`; this keeps it one word.
  if [[ -n ${COMP_LINE-} ]]; then
    local line=${COMP_LINE:0:${COMP_POINT:-${#COMP_LINE}}}
    read -ra words <<<"$line"
    [[ -z $line || $line == *[[:blank:]] ]] && words+=("")
  else
    words=("${COMP_WORDS[@]:0:COMP_CWORD+1}")
  fi
  ((${#words[@]} > 1)) || words+=("")
  case ${words[0]} in
  */*) _keep_bin=${words[0]/#\~/$HOME} ;;
  esac
  local cur=${words[${#words[@]} - 1]} prev=${words[${#words[@]} - 2]}
  local n=$((${#words[@]} - 1))
  COMPREPLY=()

  # Global options, then the command.
  local i=1 cmd='' cmdi=0
  while ((i < n)); do
    case ${words[i]} in
    --root | --log | --log-format | --criu | --rootless | --cgroup-manager)
      [[ ${words[i]} == --root ]] && _keep_global=(--root "${words[i + 1]}")
      ((i += 2))
      continue
      ;;
    --root=*) _keep_global=("${words[i]}") ;;
    -*) ;;
    *)
      cmd=${words[i]} cmdi=$i
      break
      ;;
    esac
    ((i++))
  done

  # --option=value: complete the value, keeping the option before it.
  local opt=''
  if [[ $cur == --*=* ]]; then
    opt=${cur%%=*}
    cur=${cur#*=}
  elif _keep_takes_value "$prev" && ((n - 1 > cmdi || (cmdi == 0 && n > 1))); then
    opt=$prev
  fi
  if [[ -n $opt ]]; then
    _keep_value "$opt"
    if [[ $cur != "${words[n]}" ]]; then
      local k
      for k in "${!COMPREPLY[@]}"; do COMPREPLY[k]="$opt=${COMPREPLY[k]}"; done
      cur=${words[n]}
    fi
    _keep_trim
    return 0
  fi

  if [[ -z $cmd ]]; then
    if [[ $cur == -* ]]; then _keep_words "$_keep_opts_global"; else _keep_words "$_keep_commands"; fi
    _keep_trim
    return 0
  fi

  # Positional arguments of the command so far (options and their values skipped).
  local -a args=()
  local dashdash=0
  for ((i = cmdi + 1; i < n; i++)); do
    if ((dashdash)) || [[ ${words[i]} != -* ]]; then
      args+=("${words[i]}")
    elif [[ ${words[i]} == -- ]]; then
      dashdash=1
      [[ $cmd == audit ]] && args+=(--)
    elif [[ ${words[i]} != *=* ]] && _keep_takes_value "${words[i]}"; then
      ((i++))
    fi
  done
  local nargs=${#args[@]}

  if [[ $cur == -* && $dashdash == 0 ]]; then
    local var=_keep_opts_$cmd
    case $cmd in
    image) [[ ${args[0]-} == ls || ${args[0]-} == list ]] && var=_keep_opts_images ;;
    pause | resume | state | wait | inspect | rmi | verify | gc | seccomp | features) var='' ;;
    start) _keep_words '-a --attach --help' ;;
    esac
    [[ -n $var && -n ${!var-} ]] && _keep_words "${!var}"
    _keep_trim
    return 0
  fi

  case $cmd in
  run | trace)
    if ((nargs == 0)); then
      _keep_words "$(_keep_images)"
      _keep_dirs
    else
      _keep_files
    fi
    ;;
  stop | kill) _keep_words "$(_keep_containers running) $(_keep_oci_ids)" ;;
  exec) ((nargs == 0)) && _keep_words "$(_keep_containers running) $(_keep_oci_ids)" ;;
  start) _keep_words "$(_keep_containers stopped) $(_keep_oci_ids)" ;;
  pause | resume | state | delete | ps) ((nargs == 0)) && _keep_words "$(_keep_oci_ids)" ;;
  logs) ((nargs == 0)) && _keep_words "$(_keep_containers all)" ;;
  attach) ((nargs == 0)) && _keep_words "$(_keep_containers running)" ;;
  inspect | restart | rm | wait) _keep_words "$(_keep_containers all)" ;;
  rmi | verify | sign) _keep_words "$(_keep_images)" ;;
  pull) ;;
  load) _keep_files ;;
  image)
    if ((nargs == 0)); then
      _keep_words 'ls inspect rm load pull unpack'
    elif [[ ${args[0]} == inspect || ${args[0]} == rm || ${args[0]} == unpack ]]; then
      _keep_words "$(_keep_images)"
    elif [[ ${args[0]} == load ]]; then
      _keep_files
    fi
    ;;
  secret)
    if ((nargs == 0)); then
      _keep_words 'create ls inspect rm'
    elif [[ ${args[0]} == inspect || ${args[0]} == rm ]]; then
      _keep_words "$(_keep_secrets)"
    elif [[ ${args[0]} == create ]] && ((nargs == 2)); then
      _keep_words '-'
      _keep_files
    fi
    ;;
  audit)
    if ((nargs == 0)); then
      _keep_words 'config run host image'
    elif [[ ${args[0]} == image ]]; then
      _keep_words "$(_keep_images)"
    elif [[ ${args[0]} == config ]]; then
      _keep_words "$(_keep_containers running)"
      _keep_files
    elif [[ ${args[0]} == run && ${args[1]-} == -- ]]; then
      if [[ $cur == -* ]]; then _keep_words "$_keep_opts_run"; else
        _keep_words "$(_keep_images)"
        _keep_dirs
      fi
    elif [[ ${args[0]} == run ]]; then
      _keep_words '--'
    fi
    ;;
  network)
    if ((nargs == 0)); then
      _keep_words 'create ls inspect rm connect disconnect'
    elif [[ ${args[0]} == inspect || ${args[0]} == rm ]]; then
      _keep_words "$(_keep_networks)"
    elif [[ ${args[0]} == connect || ${args[0]} == disconnect ]]; then
      if ((nargs == 1)); then _keep_words "$(_keep_networks)"; else _keep_words "$(_keep_containers running)"; fi
    elif [[ ${args[0]} == create && $cur == -* ]]; then
      _keep_words '--subnet --egress --internal --help'
    fi
    ;;
  seccomp) ((nargs == 0)) && _keep_words 'default' ;;
  help) _keep_words "$_keep_commands" ;;
  esac
  _keep_trim
  return 0
}

# readline replaces only the part of the word after its last break character
# (`:` of registry:port/name:tag, `=` of --opt=value): drop that part from
# each reply, as bash-completion's __ltrim_colon_completions does.
_keep_trim() {
  local breaks=${COMP_WORDBREAKS-:=}
  local word=${words[n]} c pre='' k
  for ((k = ${#word} - 1; k >= 0; k--)); do
    c=${word:k:1}
    if [[ $c == [:=] && $breaks == *"$c"* ]]; then
      pre=${word:0:k+1}
      break
    fi
  done
  [[ -n $pre ]] || return 0
  for k in "${!COMPREPLY[@]}"; do
    COMPREPLY[k]=${COMPREPLY[k]#"$pre"}
  done
}

complete -F _keep keep
