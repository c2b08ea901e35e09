// Compiled model code under the explorer: waits that need a wake-up, locks,
// RCU grace periods, failure branches, explicit page choice, and the checks
// the compiler makes when it loads model code.
#include "models/lifecycle.hpp"
#include "lang/error.hpp"
#include "search/explorer.hpp"
#include "lang/primitives.hpp"
#include "lang/reduced.hpp"
#include "lang/runtime.hpp"

#include <catch2/catch.hpp>

#include <cstring>
#include <set>

using namespace pgmapcheck;
using namespace pgmapcheck::lang;

namespace {

struct toy {
  code_setup setup;
  std::vector<std::string> roots;
};

// Loads `code` and builds a model with one thread per root function.
// `type`: MEMORY_DEVICE_* (5: P2PDMA, with its pool), 0 for none.
code_model load(std::string const& code, std::vector<std::string> const& roots, int pages = 1, int failures = 1,
                int free_refcount = 1, int type = 0) {
  code_setup setup;
  setup.facts.pages = pages;
  setup.facts.pagemap_type = type;
  setup.p2pdma = type == 5;
  setup.failures = failures;
  setup.free_refcount = free_refcount;
  source_set src;
  src.add("toy.kc", code, setup.facts);
  check_all(src, setup.facts);
  std::vector<program> threads;
  for (auto const& r : roots) threads.push_back(compile_thread(src, r, r, setup.facts));
  return code_model(std::move(threads), setup);
}

// Every property but the lifecycle monitor: the toys take references on
// pages no allocator handed out.
property_set toy_properties() {
  auto props = property_set::all();
  props.remove(property::lifecycle);
  return props;
}

// The toys change counts on purpose: every toy property but ref-leak.
template <class M>
search_result<code_model> search(M const& m) {
  auto props = toy_properties();
  props.remove(property::ref_leak);
  return explore(m, props);
}

// The message loading `code` raises, or "".
std::string load_error(std::string const& code) {
  try {
    load(code, {"main"});
  } catch (spec_error const& e) {
    return e.what();
  }
  return "";
}

// Every terminal state's refcount of page 0.
std::set<int> final_counts(code_model const& m) {
  std::set<int> out;
  std::vector<code_state> todo{m.initial()};
  std::set<std::vector<std::uint8_t>> seen;
  while (!todo.empty()) {
    code_state s = todo.back();
    todo.pop_back();
    std::vector<std::uint8_t> key(s.bytes.begin(), s.bytes.begin() + static_cast<long>(m.state_bytes()));
    if (!seen.insert(key).second) continue;
    bool any = false;
    m.for_each_successor(s, [&](code_step const&, code_state const& n) {
      any = true;
      todo.push_back(n);
    });
    if (!any) out.insert(m.view(s).page_refcount(0));
  }
  return out;
}

std::string const waiter = R"(
static bool first(struct page *page) { return 1; }
void waiter(void)
{
	struct page *page = choose_page(first);

	wait_var_event(&page->_refcount, page_ref_count(page) == 1);
}
)";

}  // namespace

TEST_CASE("lang: a sleeper looks at its condition again only when woken", "[lang]") {
  // The refcount starts at 2; the putter takes it to 1.
  std::string const with_wake = waiter + R"(
void putter(void)
{
	struct page *page = choose_page(first);

	if (page_ref_dec_return(page) == 1)
		wake_up_var(&page->_refcount);
}
)";
  std::string const without_wake = waiter + R"(
void putter(void)
{
	struct page *page = choose_page(first);

	page_ref_dec(page);
}
)";
  auto good = load(with_wake, {"waiter", "putter"}, 1, 1, 2);
  CHECK(search(good).result == verdict::holds);
  auto lost = load(without_wake, {"waiter", "putter"}, 1, 1, 2);
  auto r = search(lost);
  REQUIRE(r.result == verdict::violation);
  CHECK(r.violated == property::deadlock);
  // The sleeper's condition holds in the final state: a lost wake-up.
  CHECK(lost.view(r.trace.back().after).page_refcount(0) == 1);
  CHECK(lost.view(r.trace.back().after).blocked_on(0) == "asleep in schedule on &page0->_refcount");
}

TEST_CASE("lang: a lock excludes other holders of that lock", "[lang]") {
  std::string const code = R"(
static bool first(struct page *page) { return 1; }
void inc_locked(void)
{
	struct page *page = choose_page(first);
	int v;

	spin_lock(&lock_a);
	v = page_ref_count(page);
	set_page_count(page, v + 1);
	spin_unlock(&lock_a);
}
void inc_unlocked(void)
{
	struct page *page = choose_page(first);
	int v;

	v = page_ref_count(page);
	set_page_count(page, v + 1);
}
)";
  CHECK(final_counts(load(code, {"inc_locked", "inc_locked"})) == std::set<int>{3});
  CHECK(final_counts(load(code, {"inc_unlocked", "inc_unlocked"})) == std::set<int>{2, 3});
  CHECK(final_counts(load(code, {"inc_locked", "inc_unlocked"})) == std::set<int>{2, 3});
}

TEST_CASE("lang: a trylock takes a free lock, says whether it did, and never waits", "[lang]") {
  // Page 0 counts the critical sections run; inside one, a WARN_ON sees
  // whether another thread ran its own at the same time.
  std::string const code = R"(
static bool first(struct page *page) { return 1; }
static void inside(struct page *page)
{
	int v = page_ref_count(page);

	set_page_count(page, v + 1);
	WARN_ON(page_ref_count(page) != v + 1);
}
void locker(void)
{
	struct page *page = choose_page(first);

	spin_lock(&lock_a);
	inside(page);
	spin_unlock(&lock_a);
}
void trier(void)
{
	struct page *page = choose_page(first);

	if (spin_trylock(&lock_a)) {
		inside(page);
		spin_unlock(&lock_a);
	}
}
void mutex_trier(void)
{
	struct page *page = choose_page(first);

	if (mutex_trylock(&lock_a)) {
		inside(page);
		mutex_unlock(&lock_a);
	}
}
void unlocked(void)
{
	struct page *page = choose_page(first);

	inside(page);
}
void keeper(void)
{
	spin_lock(&lock_a);
}
void reader(void)
{
	struct page *page = choose_page(first);

	if (down_read_trylock(&lock_b)) {
		page_ref_inc(page);
		up_read(&lock_b);
	}
}
void writer(void)
{
	struct page *page = choose_page(first);

	if (down_write_trylock(&lock_b)) {
		inside(page);
		up_write(&lock_b);
	}
}
void holding_reader(void)
{
	down_read(&lock_b);
	down_read(&lock_b);
	up_read(&lock_b);
	up_read(&lock_b);
}
)";
  // Taken when free (3: both ran), refused while held (2), and exclusive:
  // the WARN never fires, where without the lock it does.
  CHECK(final_counts(load(code, {"locker", "trier"})) == std::set<int>{2, 3});
  CHECK(final_counts(load(code, {"trier", "mutex_trier"})) == std::set<int>{2, 3});
  CHECK(search(load(code, {"locker", "trier"})).result == verdict::holds);
  auto racy = search(load(code, {"unlocked", "trier"}));
  REQUIRE(racy.result == verdict::violation);
  CHECK(racy.violated == property::kernel_warn);
  // Never waits: a lock held for good fails the trylock, where spin_lock
  // would sleep for ever.
  CHECK(final_counts(load(code, {"keeper", "trier"})) == std::set<int>{1, 2});
  CHECK(search(load(code, {"keeper", "trier"})).result == verdict::holds);
  CHECK(search(load(code, {"keeper", "locker"})).violated == property::deadlock);
  // Readers share the rwsem, a writer excludes them both ways.
  CHECK(final_counts(load(code, {"reader", "reader"})) == std::set<int>{3});
  CHECK(final_counts(load(code, {"holding_reader", "writer"})) == std::set<int>{1, 2});
  CHECK(search(load(code, {"reader", "writer"})).result == verdict::holds);
}

TEST_CASE("lang: each name of a declaration is in scope after it; a return's value may call a function", "[lang]") {
  // Both once failed: 'int a, b;' declared its names in a block of their
  // own, gone at its semicolon ("expected a local variable" at 'a = ...');
  // 'return twice(v);' inlined twice while holding a reference into the
  // call frames it grew (a segfault).
  std::string const code = R"(
static int twice(int v) { return v + v; }
static int call_twice(int v) { return twice(v); }
void both(void)
{
	int a, b = 2;

	a = call_twice(b);
	set_page_count(pfn_to_page(0), a + b);
}
)";
  CHECK(final_counts(load(code, {"both"})) == std::set<int>{6});
}

TEST_CASE("lang: file-scope variables and static keys are shared state, one byte each, only when used", "[lang]") {
  std::string const code = R"(
static int counter;
static bool ready = true;
static int unused = 5;
DEFINE_STATIC_KEY_FALSE(key_off);
DEFINE_STATIC_KEY_TRUE(key_on);

void inc(void)
{
	counter++;
	complete(&pgmap->done);
}
void inc_locked(void)
{
	spin_lock(&lock_a);
	counter++;
	spin_unlock(&lock_a);
	complete(&pgmap->done);
}
void sum(void)
{
	wait_for_completion(&pgmap->done);
	wait_for_completion(&pgmap->done);
	set_page_count(pfn_to_page(0), counter);
}
void keys(void)
{
	int v = 0;

	if (static_branch_unlikely(&key_off))
		v += 1;
	static_branch_inc(&key_off);
	if (static_branch_unlikely(&key_off))
		v += 10;
	if (static_branch_likely(&key_on) && ready)
		v += 20;
	static_branch_dec(&key_on);
	if (!static_key_enabled(&key_on))
		v += 40;
	set_page_count(pfn_to_page(0), v);
}
void underflow(void)
{
	static_branch_dec(&key_off);
}
void plain(void)
{
	set_page_count(pfn_to_page(0), 3);
}
static int a;
static int b;
void copy(void)
{
	a = b;
	complete(&pgmap->done);
}
void store_both(void)
{
	b = 1;
	a = 2;
	complete(&pgmap->done);
}
void show_ab(void)
{
	wait_for_completion(&pgmap->done);
	wait_for_completion(&pgmap->done);
	set_page_count(pfn_to_page(0), a * 10 + b);
}
)";
  // counter++ reads, then stores: unlocked, one increment can be lost (1);
  // under a lock both land (2).
  CHECK(final_counts(load(code, {"inc", "inc", "sum"})) == std::set<int>{1, 2});
  CHECK(final_counts(load(code, {"inc_locked", "inc_locked", "sum"})) == std::set<int>{2});
  // 'a = b' reads b in one step and stores a in another: store_both can run
  // whole between them, and a ends 0 beside b's 1.
  CHECK(final_counts(load(code, {"copy", "store_both", "show_ab"})) == std::set<int>{1, 11, 21});
  // A key's count: FALSE starts at 0, TRUE at 1; a dec below 0 WARNs.
  CHECK(final_counts(load(code, {"keys"})) == std::set<int>{70});
  auto under = search(load(code, {"underflow"}));
  REQUIRE(under.result == verdict::violation);
  CHECK(under.violated == property::kernel_warn);
  // A byte a variable, in the shared part, only for those a thread uses.
  auto shared = [&](std::vector<std::string> const& t) { return load(code, t).components().front().second; };
  std::size_t const none = shared({"plain"});
  CHECK(shared({"inc", "sum"}) == none + 1);
  CHECK(shared({"keys"}) == none + 3);  // key_off, key_on, ready: not counter, not unused
  CHECK(shared({"inc", "keys"}) == none + 4);
}

TEST_CASE("lang: a wake-up for one wakes every shared waiter and one exclusive waiter; for 0, all", "[lang]") {
  // Each waiter queues, then says so; the waker wakes once both queued.
  std::string const code = R"(
static void counted(void)
{
	schedule();
	finish_wait(&var_a);
	page_ref_inc(pfn_to_page(0));
}
void exclusive(void)
{
	prepare_to_wait_exclusive(&var_a);
	complete(&pgmap->done);
	counted();
}
void shared(void)
{
	prepare_to_wait_event(&var_a);
	complete(&pgmap->done);
	counted();
}
static void both_queued(void)
{
	wait_for_completion(&pgmap->done);
	wait_for_completion(&pgmap->done);
}
void wake_one(void)
{
	both_queued();
	__wake_up(&var_a, 1);
}
void wake_all(void)
{
	both_queued();
	__wake_up(&var_a, 0);
}
void plain_wake_up(void)
{
	both_queued();
	wake_up(&var_a);
}
void wake_two(void)
{
	both_queued();
	__wake_up(&var_a, 2);
}
)";
  // Two exclusive waiters, one woken: the other sleeps for ever (either one).
  for (auto waker : {"wake_one", "plain_wake_up"}) {
    INFO(waker);
    auto r = search(load(code, {"exclusive", "exclusive", waker}));
    REQUIRE(r.result == verdict::violation);
    CHECK(r.violated == property::deadlock);
  }
  // Woken all, or one exclusive beside a shared waiter: both run.
  CHECK(final_counts(load(code, {"exclusive", "exclusive", "wake_all"})) == std::set<int>{3});
  CHECK(final_counts(load(code, {"exclusive", "shared", "wake_one"})) == std::set<int>{3});
  CHECK(final_counts(load(code, {"shared", "shared", "plain_wake_up"})) == std::set<int>{3});
  // Waking two at once is past the model: said, not guessed.
  auto two = search(load(code, {"exclusive", "exclusive", "wake_two"}));
  REQUIRE(two.result == verdict::violation);
  CHECK(two.violated == property::model_range);
}

TEST_CASE("lang: a file-scope variable is an int or a bool with a constant value, defined once", "[lang]") {
  auto refused = [](std::string const& code, std::string const& why) {
    try {
      load(code + "\nvoid t(void)\n{\n}\n", {"t"});
      FAIL("loaded: " << code);
    } catch (spec_error const& e) {
      CHECK_THAT(e.what(), Catch::Contains(why));
    }
  };
  refused("static struct page *p;", "expected an int or a bool");
  refused("static int a = 1 + 2;", "expected a constant");
  refused("static int a;\nstatic int a;", "already defined");
  refused("static int t;", "is a function already");
  refused("static int get_page;", "a name the checker defines");
  refused("static int big = 300;", "between -128 and 127");
  refused("DEFINE_STATIC_KEY_FALSE(k);\nvoid u(void)\n{\n\tint v = k;\n}", "is a static key");
}

TEST_CASE("lang: the page lock is a bit of the page: lock_page waits for it, trylock_page never does", "[lang]") {
  // Page 0 counts the critical sections run under page 1's lock; inside
  // one, a WARN_ON sees whether another ran at the same time.
  std::string const code = R"(
static void inside(void)
{
	struct page *counter = pfn_to_page(0);
	int v = page_ref_count(counter);

	set_page_count(counter, v + 1);
	WARN_ON(page_ref_count(counter) != v + 1);
}
void locker(void)
{
	struct page *page = pfn_to_page(1);

	lock_page(page);
	WARN_ON(!PageLocked(page));
	inside();
	unlock_page(page);
}
void trier(void)
{
	struct page *page = pfn_to_page(1);

	if (trylock_page(page)) {
		inside();
		unlock_page(page);
	}
}
void unlocked(void)
{
	inside();
}
void keeper(void)
{
	lock_page(pfn_to_page(1));
}
void other_unlocks(void)
{
	struct page *page = pfn_to_page(1);

	if (PageLocked(page))
		unlock_page(page);
}
void stray_unlock(void)
{
	unlock_page(pfn_to_page(1));
}
void waiter(void)
{
	struct page *page = pfn_to_page(1);
	bool locked;

	prepare_to_wait_event(page_waitqueue(page));
	locked = PageLocked(page);
	if (locked)
		schedule();
	finish_wait(page_waitqueue(page));
}
void woken_waiter(void)
{
	struct page *page = pfn_to_page(1);
	bool locked;

	prepare_to_wait_event(page_waitqueue(page));
	locked = PageLocked(page);
	if (locked) {
		schedule();
		page_ref_inc(pfn_to_page(0));
	}
	finish_wait(page_waitqueue(page));
}
void relocker(void)
{
	struct page *page = pfn_to_page(1);

	lock_page(page);
	unlock_page(page);
	lock_page(page);
}
)";
  auto model = [&](std::vector<std::string> const& threads) { return load(code, threads, 2); };
  // Two lockers both run (3), one after the other: the WARN never fires,
  // where without the lock it does.
  CHECK(final_counts(model({"locker", "locker"})) == std::set<int>{3});
  CHECK(search(model({"locker", "locker"})).result == verdict::holds);
  auto racy = search(model({"locker", "unlocked"}));
  REQUIRE(racy.result == verdict::violation);
  CHECK(racy.violated == property::kernel_warn);
  // A trylock takes a free page lock (3) and is refused a held one (2).
  CHECK(final_counts(model({"locker", "trier"})) == std::set<int>{2, 3});
  CHECK(search(model({"locker", "trier"})).result == verdict::holds);
  // Held for good: trylock_page gives up, lock_page sleeps for ever.
  CHECK(final_counts(model({"keeper", "trier"})) == std::set<int>{1, 2});
  CHECK(search(model({"keeper", "locker"})).violated == property::deadlock);
  // No owner: another thread's unlock_page wakes the sleeper, which runs
  // its section (2).
  CHECK(final_counts(model({"keeper", "other_unlocks", "locker"})).count(2) == 1);
  // A waiter queued on page_waitqueue while the page is locked sleeps until
  // the next unlock_page, which wakes it, and does not take the lock: beside
  // a locker both finish (the locker's section ran: 2); a page locked again
  // at once after its unlock still lets it go (the kernel's waiter does not
  // look at the bit again); on a page locked for good it sleeps for ever.
  CHECK(final_counts(model({"locker", "waiter"})) == std::set<int>{2});
  CHECK(search(model({"locker", "waiter"})).result == verdict::holds);
  CHECK(search(model({"waiter"})).result == verdict::holds);
  CHECK(final_counts(model({"relocker", "woken_waiter"})).count(2) == 1);
  CHECK(search(model({"keeper", "waiter"})).violated == property::deadlock);
  // Unlocking a page no one locked is the kernel's VM_BUG_ON_FOLIO.
  auto stray = search(model({"stray_unlock"}));
  REQUIRE(stray.result == verdict::violation);
  CHECK(stray.violated == property::kernel_bug);
}

TEST_CASE("lang: synchronize_rcu waits for the readers inside a section when it starts", "[lang]") {
  // Page 0 stands for the published pointer (0: unpublished), page 1 for the
  // object it points to (9: freed). The writer unpublishes, waits a grace
  // period, then frees; a reader that found the pointer must not see 9.
  std::string const code = R"(
void reader(void)
{
	rcu_read_lock();
	if (page_ref_count(pfn_to_page(0)) != 0)
		WARN_ON(page_ref_count(pfn_to_page(1)) == 9);
	rcu_read_unlock();
}
void writer(void)
{
	set_page_count(pfn_to_page(0), 0);
	synchronize_rcu();
	set_page_count(pfn_to_page(1), 9);
}
void writer_no_gp(void)
{
	set_page_count(pfn_to_page(0), 0);
	set_page_count(pfn_to_page(1), 9);
}
)";
  CHECK(search(load(code, {"reader", "writer"}, 2)).result == verdict::holds);
  auto r = search(load(code, {"reader", "writer_no_gp"}, 2));
  REQUIRE(r.result == verdict::violation);
  CHECK(r.violated == property::kernel_warn);
  // An unbalanced rcu_read_unlock is a bug.
  CHECK(search(load("void main(void) { rcu_read_unlock(); }", {"main"})).violated == property::kernel_bug);
}

TEST_CASE("lang: an operation that can fail for reasons outside the model branches both ways", "[lang]") {
  std::string const code = R"(
static bool first(struct page *page) { return 1; }
void leaky(void)
{
	struct page *page = choose_page(first);

	get_page(page);
	if (should_fail())
		goto out;
	put_page_testzero(page);
out:
	WARN_ON(page_ref_count(page) != 1);
}
)";
  auto r = search(load(code, {"leaky"}, 1, 1));
  REQUIRE(r.result == verdict::violation);
  CHECK(r.violated == property::kernel_warn);
  CHECK(search(load(code, {"leaky"}, 1, 0)).result == verdict::holds);  // no failure budget: success path only
}

TEST_CASE("lang: choose_page branches over the pages its predicate accepts", "[lang]") {
  std::string const code = R"(
static bool busy(struct page *page) { return page_ref_count(page) > 1; }
void main(void)
{
	struct page *page = choose_page(busy);

	if (!page)
		return;
	get_page(page);
}
)";
  auto m = load(code, {"main"}, 3, 1, 1);
  std::size_t n = 0;
  m.for_each_successor(m.initial(), [&](code_step const&, code_state const&) { ++n; });
  CHECK(n == 1);  // no page is busy: one outcome, NULL
  auto m2 = load(code, {"main"}, 3, 1, 2);
  n = 0;
  m2.for_each_successor(m2.initial(), [&](code_step const&, code_state const&) { ++n; });
  CHECK(n == 3);
}

TEST_CASE("lang: get_page on a page at refcount 0 is get-from-zero", "[lang]") {
  std::string const code = R"(
static bool first(struct page *page) { return 1; }
void main(void) { struct page *page = choose_page(first); get_page(page); }
)";
  CHECK(search(load(code, {"main"}, 1, 1, 0)).violated == property::get_from_zero);
  CHECK(search(load(code, {"main"}, 1, 1, 1)).result == verdict::holds);
}

TEST_CASE("lang: a value past what the state stores is model-range, never a wrap", "[lang]") {
  // Each kind of stored value, first within its range (holds), then one
  // past it: a local, a page refcount, pgmap->ref, a thread's references
  // on one page (two bits).
  auto code = [](std::string const& body) {
    return "static bool first(struct page *page) { return 1; }\nvoid main(void) {\n"
           "\tstruct page *page = choose_page(first);\n\tint x;\n" +
           body + "\n}\n";
  };
  struct row {
    char const* fits;
    char const* past;
  };
  for (auto const& r : {
           row{"x = 100; x = x + 27; if (x < 0) BUG_ON(1);", "x = 100; x = x + 28; if (x < 0) BUG_ON(1);"},
           row{"page_ref_add(page, 126); page_ref_add(page, -126);", "page_ref_add(page, 127); page_ref_add(page, -127);"},
           row{"percpu_ref_get_many(&pgmap->ref, 126); percpu_ref_put_many(&pgmap->ref, 126);",
               "percpu_ref_get_many(&pgmap->ref, 127); percpu_ref_put_many(&pgmap->ref, 127);"},
           row{"get_page(page); get_page(page); get_page(page); put_page_testzero(page); put_page_testzero(page); "
               "put_page_testzero(page);",
               "get_page(page); get_page(page); get_page(page); get_page(page); put_page_testzero(page); "
               "put_page_testzero(page); put_page_testzero(page); put_page_testzero(page);"},
       }) {
    INFO(r.past);
    auto const ok = search(load(code(r.fits), {"main"}));
    CHECK(ok.result == verdict::holds);
    auto const bad = search(load(code(r.past), {"main"}));
    CHECK(bad.result == verdict::violation);
    CHECK(bad.violated == property::model_range);
  }
}

TEST_CASE("lang: the completion a percpu_ref release completes wakes its waiter", "[lang]") {
  std::string const code = R"(
void teardown(void)
{
	percpu_ref_kill(&pgmap->ref);
	wait_for_completion(&pgmap->done);
	percpu_ref_exit(&pgmap->ref);
}
void user(void)
{
	if (!percpu_ref_tryget_live(&pgmap->ref))
		return;
	percpu_ref_put(&pgmap->ref);
}
void leaker(void)
{
	if (!percpu_ref_tryget_live(&pgmap->ref))
		return;
}
)";
  CHECK(search(load(code, {"teardown", "user"})).result == verdict::holds);
  auto r = search(load(code, {"teardown", "leaker"}));
  REQUIRE(r.result == verdict::violation);
  CHECK(r.violated == property::deadlock);
}

TEST_CASE("lang: a thread that returns with a reference still held leaks it", "[lang]") {
  std::string const code = R"(
static bool first(struct page *page) { return 1; }
void balanced(void) { struct page *page = choose_page(first); get_page(page); page_ref_dec(page); }
void leaky(void) { struct page *page = choose_page(first); get_page(page); }
)";
  CHECK(explore(load(code, {"balanced"}), toy_properties()).result == verdict::holds);
  auto r = explore(load(code, {"leaky"}), toy_properties());
  REQUIRE(r.result == verdict::violation);
  CHECK(r.violated == property::ref_leak);
}

TEST_CASE("lang: model code is checked when it is loaded", "[lang]") {
  CHECK(load_error("void main(void) { frobnicate(); }") ==
        "toy.kc:1:19: unknown function or primitive 'frobnicate' (pgmapcheck list --primitives)");
  CHECK(load_error("void main(void) { struct page *p; get_page(p, 1); }") ==
        "toy.kc:1:35: 'get_page' takes 1 argument, not 2");
  CHECK(load_error("void main(void) { int x; x = 1; out: return; }") == "toy.kc:1:33: label 'out' is never used");
  CHECK(load_error("void main(void) { return; get_page(0); }") == "toy.kc:1:27: unreachable code in 'main'");
  CHECK(load_error("void f(void) { f(); }\nvoid main(void) { f(); }") ==
        "toy.kc:1:16: recursion: 'f' calls itself (model code is inlined)");
  CHECK(load_error("void main(void) { int x; get_page(x); }") ==
        "toy.kc:1:35: argument 1 of 'get_page': expected a struct page *, got an integer");
  CHECK(load_error("void main(void) { goto nowhere; }") == "toy.kc:1:19: goto to an undefined label 'nowhere'");
  CHECK(load_error("void main(void) { y = 1; }") ==
        "toy.kc:1:19: expected a local variable to assign to (shared state changes through primitives)");
  CHECK(load_error("void main(void) { }\nvoid main(void) { }") ==
        "toy.kc:2:1: function 'main' is already defined at toy.kc:1");
}

TEST_CASE("lang: the primitives fire the type's lifecycle table; a move with no row is a violation", "[lang]") {
  // P2PDMA (type 5): a page goes out of the pool and back; a consumer's
  // get_page is a move from cache to pinned.
  std::string const code = R"(
static bool first(struct page *page) { return 1; }
void owner(void)
{
	struct pci_p2pdma *p2pdma = rcu_dereference(pdev->p2pdma);
	struct percpu_ref *ref;
	struct page *page = gen_pool_alloc_owner(p2pdma->pool, PAGE_SIZE, &ref);

	if (!page)
		return;
	get_page(page);
	page_ref_dec(page);
	gen_pool_free(p2pdma->pool, page, PAGE_SIZE);
}
void stale(void)
{
	struct page *page = choose_page(first);

	get_page(page);
	page_ref_dec(page);
}
)";
  property_set life;
  life.add(property::lifecycle);
  CHECK(explore(load(code, {"owner"}, 1, 1, 1, 5), life).result == verdict::holds);
  // A reference on a page still in the pool: the p2pdma table has no get_page from free.
  auto r = explore(load(code, {"stale"}, 1, 1, 1, 5), life);
  REQUIRE(r.result == verdict::violation);
  CHECK(r.violated == property::lifecycle);
  REQUIRE_FALSE(r.trace.empty());
  CHECK(r.trace.back().step.why == reason::no_lifecycle_row);
  CHECK(r.trace.back().step.life == (models::events::get_page::id << 2 | static_cast<unsigned>(models::page_state::free)));
}

TEST_CASE("lang: every check fires wherever code runs: before a thread's first step, between steps, after its last",
          "[lang]") {
  // Each construct fires when `arm` is 1 and is quiet when it is 0; the
  // invisible code around it is on locals alone.
  struct construct {
    std::string name, code;
    property fires;
  };
  std::vector<construct> const constructs{
      {"WARN_ON", "WARN_ON(arm);", property::kernel_warn},
      {"WARN_ON_ONCE", "WARN_ON_ONCE(arm);", property::kernel_warn},
      {"WARN", "WARN(arm, \"x\");", property::kernel_warn},
      {"WARN_ONCE", "WARN_ONCE(arm, \"x\");", property::kernel_warn},
      {"BUG_ON", "BUG_ON(arm);", property::kernel_bug},
      {"VM_BUG_ON", "VM_BUG_ON(arm);", property::kernel_bug},
      {"a field read through NULL", "struct page *p = pfn_to_page(0); if (arm) p = NULL; struct dev_pagemap *q = p->pgmap;",
       property::kernel_bug},
      {"&field through NULL", "struct page *p = pfn_to_page(0); if (arm) p = NULL; struct dev_pagemap *q = p->pgmap; "
                              "struct percpu_ref *r = &q->ref;",
       property::kernel_bug},
      {"division by zero", "int x = 6 / (1 - arm);", property::kernel_bug},
      {"modulo by zero", "int x = 6 % (1 - arm);", property::kernel_bug},
      {"a shift by the int's width", "int x = 1 << (4 + arm * 28);", property::model_range},
      {"a shift by a negative amount", "int x = 1 >> (0 - arm);", property::model_range},
      {"a result past an int", "int big = 100; bool x = big * big * big * (1 + arm * 99) * big > 0;",
       property::model_range},
      {"a value past the byte a local is stored in", "int x = 100 + arm * 100;", property::model_range},
  };
  std::vector<std::pair<std::string, std::string>> const places{
      {"before the first step", "CODE rcu_read_lock(); rcu_read_unlock();"},
      {"between steps", "rcu_read_lock(); CODE rcu_read_unlock();"},
      {"after the last step", "rcu_read_lock(); rcu_read_unlock(); CODE"},
  };
  for (auto const& c : constructs)
    for (auto const& [where, shape] : places)
      for (int arm : {1, 0}) {
        std::string body = shape;
        body.replace(body.find("CODE"), 4, c.code);
        std::string const code = "void main(void)\n{\n\tint arm = " + std::to_string(arm) + ";\n\t" + body + "\n}\n";
        INFO(c.name << ", " << where << ", arm " << arm << ":\n" << code);
        auto m = load(code, {"main"});
        auto const r = search(m);
        if (arm) {
          REQUIRE(r.result == verdict::violation);
          CHECK(r.violated == c.fires);
          CHECK(r.violation_at_step);
        } else {
          CHECK(r.result == verdict::holds);
        }
      }
}

namespace {

// Every toy property, livelock included, with a second search that has the
// reductions on and must agree.
search_result<code_model> search_both_ways(code_model& m) {
  auto plain = search(m);
  auto reduced = search(lang::reduced_model(m, lang::reduction_options::all(true)));
  CHECK(reduced.result == plain.result);
  if (plain.result == verdict::violation && reduced.result == verdict::violation) CHECK(reduced.violated == plain.violated);
  limits dfs;
  dfs.order = search_order::dfs;
  auto props = toy_properties();
  props.remove(property::ref_leak);
  auto deep = explore(m, props, dfs);
  CHECK(deep.result == plain.result);
  if (plain.result == verdict::violation && deep.result == verdict::violation) CHECK(deep.violated == plain.violated);
  return plain;
}

// Requires that both searches (search_both_ways) find a livelock; returns the plain one.
search_result<code_model> require_livelock(code_model& m) {
  auto r = search_both_ways(m);
  REQUIRE(r.result == verdict::violation);
  CHECK(r.violated == property::livelock);
  return r;
}

std::string const spinner = R"(
void spinner(void)
{
	struct page *page = pfn_to_page(0);

	while (page_ref_count(page) != 2)
		;
}
)";

}  // namespace

TEST_CASE("lang: a thread that can never finish while threads still step is a livelock", "[lang]") {
  SECTION("a busy-wait no one ends") {
    auto m = load(spinner, {"spinner"});
    CHECK_FALSE(require_livelock(m).violation_at_step);
  }
  SECTION("a busy-wait another thread ends: no livelock (only \"some thread runs\" is assumed)") {
    auto m = load(spinner + R"(
void getter(void)
{
	page_ref_inc(pfn_to_page(0));
}
)",
                  {"spinner", "getter"});
    // However long the spinner spins first, the getter's step can still come.
    CHECK(search_both_ways(m).result == verdict::holds);
  }
  SECTION("a busy-wait that another thread's step can leave for ever unmet") {
    // Once the getter has put its reference back, no run lets the spinner out.
    auto m = load(spinner + R"(
void getter(void)
{
	page_ref_inc(pfn_to_page(0));
	page_ref_dec(pfn_to_page(0));
}
)" + R"(
void late(void)
{
	struct page *page = pfn_to_page(0);

	while (page_ref_count(page) != 1)
		;
	page_ref_inc(page);
	page_ref_inc(page);
	page_ref_dec(page);
	page_ref_dec(page);
}
)",
                  {"spinner", "late"});
    require_livelock(m);
  }
  SECTION("a retry loop that may succeed on a later pass holds; one that never can is a livelock") {
    std::string const retry = R"(
void retry(void)
{
	while (should_fail())
		;
}
)";
    auto may = load(retry, {"retry"}, 1, 3);
    CHECK(search_both_ways(may).result == verdict::holds);
    auto never = load(R"(
void retry(void)
{
	percpu_ref_kill(&pgmap->ref);
	while (!percpu_ref_tryget_live(&pgmap->ref))
		;
	percpu_ref_put(&pgmap->ref);
}
)",
                      {"retry"}, 1, 1);
    // Once killed, the tryget fails on every pass.
    require_livelock(never);
  }
  SECTION("threads that keep each other running") {
    auto m = load(R"(
void ping(void)
{
	struct page *page = pfn_to_page(0);

	for (;;) {
		if (page_ref_count(page) == 1)
			set_page_count(page, 2);
	}
}
void pong(void)
{
	struct page *page = pfn_to_page(0);

	for (;;) {
		if (page_ref_count(page) == 2)
			set_page_count(page, 1);
	}
}
)",
                  {"ping", "pong"});
    require_livelock(m);
  }
  SECTION("a loop of invisible code with no step in it") {
    auto m = load(R"(
void main(void)
{
	int i = 0;

	rcu_read_lock();
	while (i < 10)
		i = i * 1;
	rcu_read_unlock();
}
)",
                  {"main"});
    auto const r = search(m);
    REQUIRE(r.result == verdict::violation);
    CHECK(r.violated == property::livelock);
    CHECK(r.violation_at_step);
  }
}

TEST_CASE("lang: a livelock's counterexample runs to the first stuck state, then round a loop that closes", "[lang]") {
  auto m = load(spinner + R"(
void getter(void)
{
	page_ref_inc(pfn_to_page(0));
	page_ref_dec(pfn_to_page(0));
	page_ref_dec(pfn_to_page(0));
}
)",
                {"spinner", "getter"}, 1, 1, 2);
  // The refcount starts at 2: the spinner may leave at once, but once the
  // getter has taken the count to 1 or 0 for good it never can.
  auto const r = search(m);
  REQUIRE(r.result == verdict::violation);
  REQUIRE(r.violated == property::livelock);
  REQUIRE(r.loop_from < r.trace.size());
  CHECK(r.stuck_at <= r.loop_from);
  auto const& loop_start = r.loop_from ? r.trace[r.loop_from - 1].after : r.initial;
  CHECK(std::memcmp(loop_start.bytes.data(), r.trace.back().after.bytes.data(), m.state_bytes()) == 0);
  // Stuck only after the getter's last put (step 3 of the shortest run).
  std::size_t const stuck = r.stuck_at;
  auto const& before = stuck >= 2 ? r.trace[stuck - 2].after : r.initial;
  CHECK(m.view(r.trace[stuck - 1].after).page_refcount(0) == 1);
  CHECK(m.view(before).page_refcount(0) == 2);
  for (std::size_t i = r.loop_from; i < r.trace.size(); ++i) CHECK(r.trace[i].step.thread == 0);  // the spinner spins
}

TEST_CASE("primitives: one list, read by the table and the enum alike", "[lang]") {
  // PGMAPCHECK_PRIMITIVES is expanded into both: an id is its row.
  REQUIRE(lang::primitives().size() == lang::prim_count);
#define PGMAPCHECK_PRIMITIVE_NAMED(id, kind, result, params, traits, reads, writes, call, models)                 \
  CHECK(lang::primitives()[static_cast<std::size_t>(lang::prim::id)].name == #id); \
  CHECK(lang::find_primitive(#id) == static_cast<int>(lang::prim::id));
  PGMAPCHECK_PRIMITIVES(PGMAPCHECK_PRIMITIVE_NAMED)
#undef PGMAPCHECK_PRIMITIVE_NAMED
}

TEST_CASE("primitives: a row's columns agree with each other", "[lang]") {
  using lang::loc;
  for (std::size_t i = 0; i < lang::prim_count; ++i) {
    auto const id = static_cast<lang::prim>(i);
    auto const& p = lang::primitives()[i];
    auto const f = lang::footprint_of(id);
    auto touches = [&](std::uint32_t set, loc l) { return (set & static_cast<std::uint32_t>(l)) != 0; };
    INFO(p.name);
    // A value changes nothing; a failure spends the budget; a wake-up and a
    // grace period touch what their sleepers wait on; a lock is an argument.
    if (p.kind == lang::prim_kind::read || p.kind == lang::prim_kind::constant) CHECK(f.writes == 0);
    if (lang::has(id, lang::prim_trait::fails)) CHECK(touches(f.writes, loc::failures));
    if (lang::has(id, lang::prim_trait::wakes)) CHECK(touches(f.writes, loc::wait));
    if (lang::has(id, lang::prim_trait::grace_period)) CHECK(touches(f.writes, loc::rcu));
    if (lang::has(id, lang::prim_trait::on_queue)) CHECK(touches(f.writes, loc::wait));
    if (touches(f.reads | f.writes, loc::lock_arg)) CHECK((p.arity >= 1 && p.params[0] == lang::value_type::object));
    CHECK(f.reads < (1u << lang::loc_count));
    CHECK(f.writes < (1u << lang::loc_count));
    // The kernel call names each argument the model keeps, in order.
    if (p.call.empty()) continue;
    auto const open = p.call.find('(');
    REQUIRE(open != std::string_view::npos);
    REQUIRE(p.call.back() == ')');
    std::string_view args = p.call.substr(open + 1, p.call.size() - open - 2);
    int kept = 0;
    while (!args.empty()) {
      auto const comma = args.find(", ");
      auto const a = args.substr(0, comma);
      CHECK(!a.empty());
      kept += a != "_";
      args = comma == std::string_view::npos ? std::string_view{} : args.substr(comma + 2);
    }
    CHECK(kept == p.arity);
  }
}

TEST_CASE("lang: an out-parameter (struct X **p) is the caller's local, read and set as *p, and passed on", "[lang]") {
  std::string const code = R"(
static void pick(struct page **p, int i)
{
	if (!*p)
		*p = pfn_to_page(i);
}
static void pass_on(struct page **p)
{
	pick(p, 1);
}
void main(void)
{
	struct page *page = NULL;
	struct page *other = NULL;

	pick(&page, 0);
	pick(&page, 1);
	pass_on(&other);
	set_page_count(page, 5);
	set_page_count(other, page == pfn_to_page(0) ? 7 : 9);
}
)";
  // pick sets page once, to page 0; pass_on sets other to page 1, so page 0
  // ends at 5 (had *p been a copy, page would stay NULL and oops).
  CHECK(final_counts(load(code, {"main"}, 2)) == std::set<int>{5});
  CHECK(load_error("static void f(struct page **p)\n{\n}\nvoid main(void)\n{\n\tint x = 0;\n\tf(&x);\n}\n")
            .find("expected the address of a struct page *") != std::string::npos);
  CHECK(load_error("static void f(struct page **p)\n{\n}\nvoid main(void)\n{\n\tstruct page *x = NULL;\n\tf(x);\n}\n")
            .find("is an out-parameter (struct page **): expected &local") != std::string::npos);
  CHECK(load_error("void main(void)\n{\n\tstruct page *x = NULL;\n\t*x = NULL;\n}\n")
            .find("'*' applies only to an out-parameter") != std::string::npos);
  CHECK(load_error("void main(void)\n{\n\tstruct page **x = NULL;\n}\n").find("struct values are not modelled") !=
        std::string::npos);
}

TEST_CASE("lang: a branch the scenario rules out (type, release) is left out of the thread, locals and all", "[lang]") {
  std::string const code = R"(
static int heavy(void)
{
	int a = 1, b = 2, c = 3, d = 4;

	return a + b + c + d;
}
void plain(void)
{
	set_page_count(pfn_to_page(0), 3);
}
void dead(void)
{
	if (KERNEL < V5_0 || pgmap->type == 99) {
		set_page_count(pfn_to_page(0), heavy());
		return;
	}
	set_page_count(pfn_to_page(0), 3);
}
void taken(void)
{
	if (KERNEL >= V5_0 && !(pgmap->type == 99))
		set_page_count(pfn_to_page(0), heavy() - 7);
	else
		set_page_count(pfn_to_page(0), 1);
}
void label_kept(void)
{
	int n = 0;

	if (KERNEL < V5_0) {
again:
		n++;
	}
	if (n < 2)
		goto again;
	set_page_count(pfn_to_page(0), n);
}
)";
  auto bytes = [&](char const* root) { return load(code, {root}).state_bytes(); };
  CHECK(bytes("dead") == bytes("plain"));  // heavy's five locals are not there
  CHECK(bytes("taken") > bytes("plain"));
  CHECK(final_counts(load(code, {"dead"})) == std::set<int>{3});
  CHECK(final_counts(load(code, {"taken"})) == std::set<int>{3});
  // A branch with a label stays code: the goto reaches it.
  CHECK(final_counts(load(code, {"label_kept"})) == std::set<int>{2});
}
