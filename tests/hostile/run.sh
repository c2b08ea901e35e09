#!/usr/bin/env bash
# The hostile-input corpus: inputs a new user, a fuzzer or a careless script
# hands the checker, each with the exit code and a piece of the message it
# must give. Every case runs under a time bound and (outside the sanitizer
# build, whose shadow memory a bound would break) a memory bound; a crash,
# a hang, an "internal error" or a "holds" where the code can WARN, BUG,
# oops or never finish fails it. The inputs too large to keep (100,000
# operators, a 2 MB file) are made here, at run time.
# Usage: run.sh PGMAPCHECK SOURCE_DIR [MEMORY_KIB (0: no bound)]
set -uo pipefail
bin=$(realpath "$1")
src=$(realpath "$2")
memory_kib=${3:-2097152}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 2
spec=$src/specs/p2pdma/v1-unbalanced-put-v5.10.toml
passed=0
failed=0

# expect NAME EXIT MESSAGE ARGS...: runs the checker on ARGS; it must exit
# EXIT, print MESSAGE (a fixed string; "" for any), and stay in its bounds.
expect() {
  local name=$1 want=$2 message=$3
  shift 3
  local rc
  (
    [ "$memory_kib" -gt 0 ] && ulimit -v "$memory_kib"
    exec timeout 60 "$bin" "$@" </dev/null >"$work/.output" 2>&1
  )
  rc=$?
  local why=""
  if [ $rc -eq 124 ]; then
    why="timed out (a hang)"
  elif [ $rc -ne "$want" ]; then
    why="exit $rc, expected $want"
  elif [ -n "$message" ] && ! grep -qF -- "$message" "$work/.output"; then
    why="its output lacks '$message'"
  fi
  if [ -z "$why" ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL $name: $why"
    head -c 600 "$work/.output" | sed 's/^/    /'
  fi
}

# A spec of one thread of model code on P2PDMA v6.1: spec NAME CODE [HEAD].
spec() {
  printf 'title = "%s"\nkernel = "v6.1"\npagemap = "p2pdma"\npages = 1\n%s\n[threads.t]\ncode = """\n%s\n"""\n' \
    "$1" "${3:-}" "$2" >"$work/$1.toml"
  echo "$work/$1.toml"
}
repeat() {  # repeat N TEXT: TEXT N times
  local i out=""
  for ((i = 0; i < $1; i++)); do out+=$2; done
  printf '%s' "$out"
}

# --- Every check fires wherever code runs: before a thread's first step,
# between steps, after its last. The quiet twin (arm = 0) holds.
constructs=(
  "warn|WARN_ON(arm);|kernel-warn"
  "warn-once|WARN_ON_ONCE(arm);|kernel-warn"
  "warn-msg|WARN(arm, \"x\");|kernel-warn"
  "bug|BUG_ON(arm);|kernel-bug"
  "vm-bug|VM_BUG_ON(arm);|kernel-bug"
  "null-field|struct page *p = pfn_to_page(0); if (arm) p = NULL; struct dev_pagemap *q = p->pgmap;|kernel-bug"
  "div-zero|int x = 6 / (1 - arm);|kernel-bug"
  "mod-zero|int x = 6 % (1 - arm);|kernel-bug"
  "shift-wide|int x = 1 << (4 + arm * 66);|model-range"
  "shift-negative|int x = 1 >> (0 - arm);|model-range"
  "past-int|int big = 100; bool x = big * big * big * (1 + arm * 99) * big > 0;|model-range"
  "int-min-div|bool x = (0 - 64 * 64 * 64 * 64 * 64) * 2 / (1 - 2 * arm) < 0;|kernel-bug"
  "store-null|struct pci_dev *d = pdev; if (arm) d = NULL; d->p2pdma = NULL;|kernel-bug"
  "type-null|struct dev_pagemap *p = pgmap; if (arm) p = NULL; int x = p->type;|kernel-bug"
  "lock-null|struct mm_struct *mm2 = mm; if (arm) mm2 = NULL; spin_lock(&mm2->page_table_lock); spin_unlock(&mm2->page_table_lock);|kernel-bug"
)
for c in "${constructs[@]}"; do
  IFS='|' read -r name code property <<<"$c"
  for place in before between after; do
    case $place in
      before) body="	int arm = ARM; $code rcu_read_lock(); rcu_read_unlock();" ;;
      between) body="	int arm = ARM; rcu_read_lock(); $code rcu_read_unlock();" ;;
      after) body="	int arm = ARM; rcu_read_lock(); rcu_read_unlock(); $code" ;;
    esac
    expect "check/$name/$place" 1 "$property" check "$(spec "$name-$place" "${body/ARM/1}")"
  done
  expect "check/$name/quiet" 0 "holds" check "$(spec "$name-quiet" "	int arm = 0; rcu_read_lock(); $code rcu_read_unlock();")"
done

# --- Every hang is found: asleep for ever (deadlock) or spinning for ever (livelock).
expect hang/busy-wait 1 livelock check "$(spec busy 'while (!percpu_ref_is_zero(&pgmap->ref))
		;')"
expect hang/retry-never 1 livelock check "$(spec retry 'percpu_ref_kill(&pgmap->ref);
	while (!percpu_ref_tryget_live(&pgmap->ref))
		;
	percpu_ref_put(&pgmap->ref);')"
expect hang/invisible-loop 1 livelock check "$(spec spin 'int i = 0;
	rcu_read_lock();
	while (i < 10)
		i = i * 1;
	rcu_read_unlock();')"
expect hang/invisible-loop-first 1 livelock check "$(spec spin-first 'int i = 0;
	while (i < 10)
		i = i * 1;')"
expect hang/sleep 1 deadlock check "$(spec sleep 'wait_for_completion(&pgmap->done);')"
expect hang/retry-may 0 holds check "$(spec retry-may 'while (should_fail())
		;' 'failures = 3')"
expect hang/catalog-livelock 1 livelock check "$src/specs/p2pdma/polling-teardown-leak-v6.15.toml"
expect hang/catalog-fixed 0 holds check "$src/specs/p2pdma/polling-teardown-v6.15.toml"

# --- Limits on model code: each refused at its line, exit 2.
expect limit/operators 2 "nested more than 256" check "$(spec ops "int x = $(repeat 100000 '1 + ')1;")"
expect limit/parens 2 "deeper than 64 brackets" check "$(spec parens "int x = $(repeat 100000 '(')1$(repeat 100000 ')');")"
expect limit/unary 2 "nested too deep" check "$(spec unary "int x = $(repeat 100000 '- ')1;")"
expect limit/not 2 "nested too deep" check "$(spec not "int x = $(repeat 100000 '! ')1;")"
expect limit/ternary 2 "nested too deep" check "$(spec ternary "int x = $(repeat 100000 '1 ? 1 : ')1;")"
expect limit/else-if 2 "nested too deep" check "$(spec elseif "int x = 1; $(repeat 5000 'if (x) x = 1; else ')x = 2;")"
expect limit/members 2 "nested more than 256" check "$(spec members "int x = pgmap$(repeat 100000 '->ref');")"
expect limit/postfix 2 "nested more than 256" check "$(spec postfix "int x = 1; x$(repeat 100000 '++');")"
expect limit/blocks 2 "deeper than 64 brackets" check "$(spec blocks "$(repeat 5000 '{');$(repeat 5000 '}')")"
expect limit/statements 0 "holds" check "$(spec statements "int x = 0; $(repeat 2000 'x = 1; ')")"
expect limit/statements-file 2 "more than 10,000 statements" check "$(spec statements-file "int x = 0; $(repeat 20000 'x = 1; ')")"
expect limit/locals 2 "bytes of state" check "$(spec locals "$(for i in $(seq 1100); do printf 'int v%d = 1; ' "$i"; done)")"
helper=$(repeat 50 '	percpu_ref_get(&pgmap->ref);
	percpu_ref_put(&pgmap->ref);
')
calls() { repeat 50 "	$1();
"; }
printf 'title = "t"\nkernel = "v6.1"\npagemap = "p2pdma"\npages = 1\n[functions]\nf1 = """\nstatic void f1(void)\n{\n%s}\n"""\nf2 = """\nstatic void f2(void)\n{\n%s}\n"""\nf3 = """\nstatic void f3(void)\n{\n%s}\n"""\n[threads.t]\ncode = """\n\tf3();\n"""\n' \
  "$helper" "$(calls f1)" "$(calls f2)" >"$work/inline.toml"
expect limit/inline-expansion 2 "runs past" check "$work/inline.toml"
printf 'title = "t"\nkernel = "v6.1"\npagemap = "p2pdma"\npages = 1\n[functions]\nf = """\nstatic void f(void)\n{\n\tf();\n}\n"""\n[threads.t]\ncode = """\n\tf();\n"""\n' >"$work/recursion.toml"
expect limit/recursion 2 "recursion" check "$work/recursion.toml"
{
  printf 'title = "t"\nkernel = "v6.1"\npagemap = "p2pdma"\npages = 1\n[functions]\n'
  for i in $(seq 1 40); do printf 'g%d = """\nstatic void g%d(void)\n{\n\tg%d();\n}\n"""\n' "$i" "$i" $((i + 1)); done
  printf 'g41 = """\nstatic void g41(void)\n{\n}\n"""\n[threads.t]\ncode = """\n\tg1();\n"""\n'
} >"$work/chain.toml"
expect limit/call-chain 2 "nested deeper than 32" check "$work/chain.toml"
statement="x = x$(repeat 250 '+x');"
expect limit/load-memory 3 "memory limit reached loading the model code (at $work/load.toml:8:" check --json --max-memory 16 "$(spec load "int x = 0; $(repeat 1900 "$statement")")"
printf 'title = "t"\nkernel = "v6.1"\npagemap = "p2pdma"\npages = 1\nx = [%s1]\n' "$(printf '1,%.0s' $(seq 300000))" >"$work/toml.toml"
expect limit/load-memory-toml 3 "incomplete: $work/toml.toml:1:1: loading passes --max-memory here (16 MiB)" check --max-memory 16 "$work/toml.toml"
expect limit/load-memory-toml-roomy 2 "unknown key 'x'" check --max-memory 128 "$work/toml.toml"
expect limit/load-memory-library 3 "memory limit reached loading the model code (at models/kernel/" check --json --max-memory 1 "$(spec library 'int x = 0;')"
expect limit/number 2 "expected a number below" check "$(spec number 'int x = 99999999999999999999;')"
expect limit/number-16-bits 2 "expected a number below 32768" check "$(spec number16 'int big = 100; WARN_ON(big > 40000);')"
expect spec/wrong-object-field 2 "unknown field" check "$(spec wrong-field 'spin_lock(&pgmap->page_table_lock);')"
expect limit/threads 2 "from 0 to 32" check "$(printf 'title = "t"\nkernel = "v5.10"\npagemap = "p2pdma"\npages = 1\n[actors]\np2p_alloc = 33\n' >"$work/actors.toml"; echo "$work/actors.toml")"
expect limit/pages 2 "from 1 to 16" check "$(printf 'title = "t"\nkernel = "v5.10"\npagemap = "p2pdma"\npages = 1099511627776\n[actors]\np2p_alloc = 1\n' >"$work/pages.toml"; echo "$work/pages.toml")"
expect limit/failures 2 "failures is -1" check "$(printf 'title = "t"\nkernel = "v5.10"\npagemap = "p2pdma"\npages = 1\nfailures = -1\n[actors]\np2p_alloc = 1\n' >"$work/failures.toml"; echo "$work/failures.toml")"

# --- Files: only regular files, at most 4 MiB.
mkfifo "$work/fifo.toml"
expect file/fifo 2 "not a regular file" check "$work/fifo.toml"
expect file/dev-zero 2 "not a regular file" check /dev/zero
expect file/dev-null 2 "not a regular file" check /dev/null
expect file/missing 2 "cannot read the file" check "$work/no-such.toml"
head -c 2000000 /dev/zero | tr '\0' '#' >"$work/big.toml"
expect file/too-large 2 "larger than 1 MiB" check "$work/big.toml"
mkdir -p "$work/empty"
expect file/empty-folder-check 2 "holds no spec" check "$work/empty"
expect file/empty-folder-test 2 "holds no spec" test "$work/empty"
: >"$work/empty.toml"
expect file/empty-spec 2 "empty.toml" check "$work/empty.toml"
printf 'title = "t"\0\n' >"$work/nul.toml"
expect file/nul-byte 2 "nul.toml" check "$work/nul.toml"
printf 'title = "\xff\xfe"\n' >"$work/utf8.toml"
expect file/bad-utf8 2 "utf8.toml" check "$work/utf8.toml"
head -c 4096 /dev/urandom >"$work/random.toml" 2>/dev/null || printf '\x01\x02\x03' >"$work/random.toml"
expect file/random-bytes 2 "random.toml" check "$work/random.toml"
printf '[actors\n' >"$work/broken.toml"
expect file/broken-toml 2 "broken.toml:" check "$work/broken.toml"
expect file/patch-fifo 2 "not a regular file" diff --base v5.10 --patch "$work/fifo.toml" "$spec"
expect file/patch-dev-zero 2 "not a regular file" diff --base v5.10 --patch /dev/zero "$spec"

# --- Spec contents.
sp() { printf '%b' "$2" >"$work/$1.toml"; echo "$work/$1.toml"; }
expect spec/unknown-key 2 "unknown" check "$(sp unknown-key 'title = "t"\nkernel = "v5.10"\npagemap = "p2pdma"\npages = 1\nwizard = 1\n[actors]\np2p_alloc = 1\n')"
expect spec/unknown-kernel 2 "unknown kernel" check "$(sp unknown-kernel 'title = "t"\nkernel = "v4.19"\npagemap = "p2pdma"\npages = 1\n[actors]\np2p_alloc = 1\n')"
expect spec/unknown-pagemap 2 "pagemap" check "$(sp unknown-pagemap 'title = "t"\nkernel = "v5.10"\npagemap = "hbm"\npages = 1\n[actors]\np2p_alloc = 1\n')"
expect spec/unknown-actor 2 "unknown actor kind" check "$(sp unknown-actor 'title = "t"\nkernel = "v5.10"\npagemap = "p2pdma"\npages = 1\n[actors]\nwizard = 1\n')"
expect spec/pages-string 2 "pages" check "$(sp pages-string 'title = "t"\nkernel = "v5.10"\npagemap = "p2pdma"\npages = "one"\n[actors]\np2p_alloc = 1\n')"
expect spec/pages-zero 2 "pages" check "$(sp pages-zero 'title = "t"\nkernel = "v5.10"\npagemap = "p2pdma"\npages = 0\n[actors]\np2p_alloc = 1\n')"
expect spec/no-actors 2 "no actors" check "$(sp no-actors 'title = "t"\nkernel = "v5.10"\npagemap = "p2pdma"\npages = 1\n[actors]\np2p_alloc = 0\n')"
expect spec/unknown-property 2 "property" check "$(sp unknown-property 'title = "t"\nkernel = "v5.10"\npagemap = "p2pdma"\npages = 1\nproperties = ["wizardry"]\n[actors]\np2p_alloc = 1\n')"
expect spec/expect-unknown 2 "verdict 'maybe'" check "$(sp expect-unknown 'title = "t"\nkernel = "v5.10"\npagemap = "p2pdma"\npages = 1\n[actors]\np2p_alloc = 1\n[expect]\nverdict = "maybe"\n')"
expect spec/bad-model-code 2 "bad-code.toml:" check "$(spec bad-code 'this is not C')"
expect spec/unknown-function 2 "unknown" check "$(spec unknown-function 'frobnicate(pgmap);')"
expect spec/unknown-field 2 "unknown field" check "$(spec unknown-field 'struct page *p = pfn_to_page(0); int x = p->flags;')"
expect spec/defines-primitive 2 "cannot define it" check "$(printf 'title = "t"\nkernel = "v6.1"\npagemap = "p2pdma"\npages = 1\n[functions]\nget_page = """\nvoid get_page(struct page *page)\n{\n}\n"""\n[threads.t]\ncode = """\n\trcu_read_lock();\n\trcu_read_unlock();\n"""\n' >"$work/defprim.toml"; echo "$work/defprim.toml")"
expect spec/two-threads-same 2 "cannot redefine" check "$(printf 'title = "t"\nkernel = "v6.1"\npagemap = "p2pdma"\npages = 1\n[threads.t]\ncode = "rcu_read_lock(); rcu_read_unlock();"\n[threads.t]\ncode = "rcu_read_lock(); rcu_read_unlock();"\n' >"$work/twice.toml"; echo "$work/twice.toml")"
expect spec/huge-witness 2 "more than 1000 terms" check "$(printf 'title = "t"\nkernel = "v5.10"\npagemap = "p2pdma"\npages = 1\n[actors]\np2p_alloc = 1\n[witness]\nreach = "%s ref>0"\n' "$(repeat 100000 'ref>0 && ')" >"$work/witness.toml"; echo "$work/witness.toml")"

# [setup] runs alone before the search and must run to its end: each way it
# cannot is refused at its line, exit 2, in bounded time.
setup_head() { printf '[setup]\ncode = """\n%s\n"""' "$1"; }
expect spec/setup-spins 2 "[setup] takes more than 100000 steps" check "$(spec setup-spins 'rcu_read_lock(); rcu_read_unlock();' "$(setup_head 'for (;;) { spin_lock(&lock_a); spin_unlock(&lock_a); }')")"
expect spec/setup-invisible-loop 2 "[setup] loops with no step" check "$(spec setup-invisible 'rcu_read_lock(); rcu_read_unlock();' "$(setup_head 'int i = 0; for (;;) i = 1 - i;')")"
expect spec/setup-sleeps 2 "[setup] sleeps or waits for a lock" check "$(spec setup-sleeps 'rcu_read_lock(); rcu_read_unlock();' "$(setup_head 'mutex_lock(&lock_a); mutex_lock(&lock_a);')")"
expect spec/setup-warns 2 "[setup] breaks kernel-warn" check "$(spec setup-warns 'rcu_read_lock(); rcu_read_unlock();' "$(setup_head 'WARN_ON(1);')")"
expect spec/setup-not-table 2 "'setup' must be a table" check "$(sp setup-not-table 'title = "t"\nkernel = "v6.1"\npagemap = "p2pdma"\npages = 1\nsetup = 3\n[actors]\np2p_alloc = 1\n')"

# --- Witness conditions on the command line.
expect witness/long-number 2 "expected a number from" check --witness "refcount(page0) == 99999999999999999999999" "$spec"
expect witness/long-page 2 "expected a page number" check --witness "refcount(page99999999999999999) == 1" "$spec"
expect witness/no-page 2 "does not exist" check --witness "refcount(page9) == 1" "$spec"
expect witness/minus 2 "expected a number" check --witness "- == 1" "$spec"
expect witness/parens 2 "nested more than 64" check --witness "$(repeat 5000 '(')done(memunmap)$(repeat 5000 ')')" "$spec"
expect witness/nots 2 "nested more than 64" check --witness "$(repeat 5000 '!')done(memunmap)" "$spec"
expect witness/terms 2 "more than 1000 terms" check --witness "$(repeat 5000 'done(p2p_alloc) && ')done(p2p_alloc)" "$spec"
expect witness/unknown 2 "unknown" check --witness "wizard(1)" "$spec"
expect witness/trailing 2 "expected && or ||" check --witness "done(p2p_alloc) done(p2p_alloc)" "$spec"
expect witness/empty 2 "" check --witness "" "$spec"

# --- Patches: refused whole, never half-applied.
pf() { printf '%b' "$2" >"$work/$1.toml"; echo "$work/$1.toml"; }
found='void put_dev_pagemap(struct dev_pagemap *pgmap)\n{\n\tif (pgmap)\n\t\tpercpu_ref_put(&pgmap->ref);\n}\n'
expect patch/other-name 2 "and no other" diff --base v6.15 --patch "$(pf other 'title = "t"\nbase = "v6.15"\n[functions.put_dev_pagemap]\nreplaces = """\n'"$found"'"""\nwith = """\nvoid put_dev_pagemap2(struct dev_pagemap *pgmap)\n{\n}\n"""\n')" "$src/specs/p2pdma/v1-unbalanced-put-v6.15.toml"
expect patch/two-names 2 "and no other" diff --base v6.15 --patch "$(pf two 'title = "t"\nbase = "v6.15"\n[functions.put_dev_pagemap]\nreplaces = """\n'"$found"'"""\nwith = """\n'"$found"'static void helper(void)\n{\n}\n"""\n')" "$src/specs/p2pdma/v1-unbalanced-put-v6.15.toml"
expect patch/primitive 2 "cannot define it" diff --base v6.15 --patch "$(pf prim 'title = "t"\nbase = "v6.15"\n[functions.percpu_ref_get]\nwith = """\nvoid percpu_ref_get(struct percpu_ref *ref)\n{\n}\n"""\n')" "$src/specs/p2pdma/v1-unbalanced-put-v6.15.toml"
expect patch/macro 2 "cannot define it" diff --base v6.15 --patch "$(pf macro 'title = "t"\nbase = "v6.15"\n[functions.WARN_ON]\nwith = """\nbool WARN_ON(int c)\n{\n\treturn 0;\n}\n"""\n')" "$src/specs/p2pdma/v1-unbalanced-put-v6.15.toml"
expect patch/stale 2 "has changed since the patch was written" diff --base v6.15 --patch "$(pf stale 'title = "t"\nbase = "v6.15"\n[functions.put_dev_pagemap]\nreplaces = """\nvoid put_dev_pagemap(struct dev_pagemap *pgmap)\n{\n}\n"""\nwith = """\n'"$found"'"""\n')" "$src/specs/p2pdma/v1-unbalanced-put-v6.15.toml"
expect patch/no-with 2 "needs with" diff --base v6.15 --patch "$(pf nowith 'title = "t"\nbase = "v6.15"\n[functions.put_dev_pagemap]\nreplaces = """\n'"$found"'"""\n')" "$src/specs/p2pdma/v1-unbalanced-put-v6.15.toml"
expect patch/unknown-key 2 "unknown key" diff --base v6.15 --patch "$(pf badkey 'title = "t"\nbase = "v6.15"\n[functions.put_dev_pagemap]\nwith = """\n'"$found"'"""\nwizard = 1\n')" "$src/specs/p2pdma/v1-unbalanced-put-v6.15.toml"
expect patch/adds-existing 2 "already defines" diff --base v6.15 --patch "$(pf adds 'title = "t"\nbase = "v6.15"\n[functions.put_dev_pagemap]\nwith = """\n'"$found"'"""\n')" "$src/specs/p2pdma/v1-unbalanced-put-v6.15.toml"
expect patch/replaces-missing 2 "does not define" diff --base v6.15 --patch "$(pf missing 'title = "t"\nbase = "v6.15"\n[functions.no_such]\nreplaces = """\nvoid no_such(void)\n{\n}\n"""\nwith = """\nvoid no_such(void)\n{\n}\n"""\n')" "$src/specs/p2pdma/v1-unbalanced-put-v6.15.toml"
expect patch/wrong-base 2 "written for v6.15" diff --base v5.10 --patch "$(pf wrongbase 'title = "t"\nbase = "v6.15"\n[functions.put_dev_pagemap]\nreplaces = """\n'"$found"'"""\nwith = """\n'"$found"'"""\n')" "$spec"
expect patch/bad-code 2 "badcode.toml:" diff --base v6.15 --patch "$(pf badcode 'title = "t"\nbase = "v6.15"\n[functions.put_dev_pagemap]\nreplaces = """\n'"$found"'"""\nwith = """\nvoid put_dev_pagemap(struct dev_pagemap *pgmap)\n{\n\tthis is not C\n}\n"""\n')" "$src/specs/p2pdma/v1-unbalanced-put-v6.15.toml"
expect patch/empty 2 "missing key 'base'" diff --base v6.15 --patch "$(pf empty-patch '')" "$src/specs/p2pdma/v1-unbalanced-put-v6.15.toml"

# A patch's change list that the patch does not meet fails `test`.
mkdir -p "$work/patches"
ln -s "$src/specs/p2pdma" "$work/p2pdma"
cp "$src/specs/patches/p2pdma-mmap-put-on-error-on-v6.15.toml" "$src/specs/patches/p2pdma-mmap-put-on-error-on-v6.15.expected" \
  "$work/patches/"
echo "p2pdma/p2p-mmap kernel-warn introduced" >>"$work/patches/p2pdma-mmap-put-on-error-on-v6.15.expected"
expect patch/expected-missed 1 "missing:    p2pdma/p2p-mmap kernel-warn introduced" test "$work/patches"

# --- The command line: out-of-range values are refused, never wrapped.
for a in "--max-states -1" "--max-states 0" "--max-states 99999999999999999999999" "--max-memory 0" "--max-memory -5" \
  "--max-memory 17592186044417" "--threads 0" "--threads -1" "--threads 100000" "--width 0" "--width -3" \
  "--width 100000000" "--failures -2" "--failures 300" "--search sideways" "--kernel v9.99"; do
  read -r option value <<<"$a"
  expect "cli/check $a" 2 "${option#--}" check "$option" "$value" "$spec"
done
expect "cli/test --max-states 0" 2 "--max-states" test --max-states 0 "$spec"
expect "cli/diff --max-states -1" 2 "--max-states" diff --max-states -1 --base v5.10 --patch "$src/specs/patches/rfc-v3-on-v5.10.toml" "$spec"
expect "cli/no subcommand" 2 "A subcommand is required"
expect "cli/unknown subcommand" 2 "" wizard
expect "cli/no spec" 2 "spec is required" check
expect "cli/show unknown" 2 "no function" show no_such_function

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
