// The model language compiled: each thread's code, its calls inlined, as a
// flat list of instructions over small expressions, and the table of the
// C++ primitives (the atomic kernel operations) that code calls.
#pragma once

#include "lang/ast.hpp"

#include <array>
#include <map>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pgmapcheck::lang {

// The shared objects of a scenario, by id. A value of pointer type holds one
// of these (or 0, NULL); a page pointer holds page index + 1.
enum class object : std::uint8_t {
  null = 0,
  pgmap,            // struct dev_pagemap *: the scenario's one pgmap
  pgmap_ref,        // &pgmap->ref: its percpu_ref
  pgmap_done,       // &pgmap->done: the completion its release completes
  pgmap_array,      // &pgmap_array: the xarray get_dev_pagemap looks in
  mm,               // struct mm_struct *: the process
  mmap_lock,        // &mm->mmap_lock (rwsem)
  page_table_lock,  // &mm->page_table_lock (the PTL)
  mapping,          // struct address_space *: the file (FS_DAX) or device inode
  invalidate_lock,  // &mapping->invalidate_lock (rwsem; ext4/xfs MMAPLOCK)
  i_pages,          // &mapping->i_pages: the xa_lock of the file's page cache (spinlock)
  pdev,             // struct pci_dev *
  p2pdma,           // struct pci_p2pdma *: pdev->p2pdma while published
  pool,             // the p2pdma gen_pool
  p2p_pgmap,        // struct pci_p2pdma_pagemap *: the struct embedding the pgmap
  lock_a,           // two spare locks and wait objects for spec-level code
  lock_b,
  var_a,
  var_b,
  queue,            // struct request_queue *: pmem's block queue (v5.10 FS_DAX: pgmap->ref is &q->q_usage_counter)
  module_refcnt,    // &THIS_MODULE->refcnt: the device driver module's references (kernel/module/main.c)
  count,
};
inline constexpr std::size_t object_count = static_cast<std::size_t>(object::count);

inline constexpr std::array<std::string_view, object_count> object_names{
    "NULL",     "pgmap",           "&pgmap->ref", "&pgmap->done", "&pgmap_array", "mm",  "&mm->mmap_lock",
    "&mm->page_table_lock", "mapping", "&mapping->invalidate_lock", "&mapping->i_pages", "pdev", "pdev->p2pdma", "pool",
    "p2p_pgmap", "&lock_a", "&lock_b", "&var_a", "&var_b", "q", "&THIS_MODULE->refcnt",
};

// A wait target: an object, or &page->_refcount of page i (wait_var_event).
// Stored in a thread record as one byte.
constexpr std::uint8_t page_var(int page) { return static_cast<std::uint8_t>(object_count + page); }
// The wait queue of page `page`'s PG_locked (folio_waitqueue: the kernel
// hashes the folio and the bit): a key after the pages' refcount keys.
inline constexpr int max_pages = 16;
constexpr std::uint8_t page_lock_var(int page) { return static_cast<std::uint8_t>(object_count + max_pages + page); }
// The wait queue of the DAX entry at page `page`'s index (fs/dax.c:
// dax_entry_waitqueue hashes the mapping and the index; the model's are
// one a page): a key after the PG_locked ones.
constexpr std::uint8_t dax_entry_var(int page) { return static_cast<std::uint8_t>(object_count + 2 * max_pages + page); }

// Fields of the singleton objects and of pages that model code may name.
// A constant field (page->pgmap, p2pdma->pool) is a fixed object; a mutable
// pointer field (pdev->p2pdma, and pgmap->ref before v5.17, which
// dev_pagemap_cleanup sets to NULL) is read as shared state and written
// through store_pointer. `base` object::null stands for a struct page.
struct field_rule {
  object base;
  std::string_view field;
  object result;
  bool addr_only;  // named only as &obj->field (a lock, a completion)
  bool mutable_ptr;
};
inline constexpr std::array<field_rule, 10> field_rules{{
    {object::pgmap, "ref", object::pgmap_ref, false, true},
    {object::pgmap, "done", object::pgmap_done, true, false},
    {object::mm, "mmap_lock", object::mmap_lock, true, false},
    {object::mm, "page_table_lock", object::page_table_lock, true, false},
    {object::mapping, "invalidate_lock", object::invalidate_lock, true, false},
    {object::mapping, "i_pages", object::i_pages, true, false},
    {object::p2pdma, "pool", object::pool, false, false},
    {object::p2p_pgmap, "pgmap", object::pgmap, true, false},
    {object::pdev, "p2pdma", object::p2pdma, false, true},
    {object::null, "pgmap", object::pgmap, false, false},
}};

enum class value_type : std::uint8_t { void_, integer, boolean, page, object, any };

// Which kind of operation a primitive is.
enum class prim_kind : std::uint8_t {
  constant,  // a function of the scenario alone (is_device_private_page): folded, no step
  read,      // reads shared state, changes nothing: may stand in expressions; the step that evaluates it is visible
  action,    // changes shared state or blocks: one visible step of its own
  local,     // changes only the calling thread's record (a check, a finish_wait): no step
};

struct primitive {
  std::string_view name;
  prim_kind kind;
  value_type result;
  std::array<value_type, 4> params;
  std::uint8_t arity;
  std::string_view call;    // the kernel call, the arguments kept named: "vm_insert_page(_, _, page)"
  std::string_view models;  // the kernel function it stands for: file:function
};

// A compiled expression node; children are indices into the thread's pool.
struct cexpr {
  enum class kind : std::uint8_t { constant, local, unary, binary, logical_and, logical_or, ternary, read, member };
  kind k = kind::constant;
  std::uint8_t op = 0;       // unary: '!', '-', '~'; binary: an operator code; member: 1 if a mutable pointer
                             // (a shared read); constant: 1 if an out-parameter (value: the slot)
  std::int16_t value = 0;    // constant value, local slot, or member: the field rule
  std::uint16_t prim = 0;    // read: the primitive
  std::array<std::uint16_t, 4> args{};
  std::uint8_t nargs = 0;
  value_type type = value_type::integer;
};

// Binary operator codes.
enum class binop : std::uint8_t { add, sub, mul, div, mod, shl, shr, lt, le, gt, ge, eq, ne, band, bor, bxor };

// Where an instruction came from: what a trace line shows.
struct site {
  source_pos pos;
  std::string text;      // the statement's source line, trimmed
  std::string function;  // the model function it is in
  std::vector<std::string> calls;  // the inline call path from the thread's root, outermost first
};

struct instr {
  enum class kind : std::uint8_t {
    action,  // primitive `prim` on args; result into `dest` (or none)
    assign,  // dest = expr a
    branch,  // if !expr a goto target
    jump,    // goto target
    clear,   // zero the slots [dest, dest + value): locals that die here
    finish,  // the thread has returned
  };
  kind k = kind::finish;
  bool visible = false;  // a step boundary: the thread's pc rests here between steps
  std::uint16_t prim = 0;
  std::array<std::uint16_t, 4> args{};
  std::uint8_t nargs = 0;
  std::int16_t dest = -1;
  std::uint16_t a = 0;
  std::uint16_t target = 0;
  std::int16_t value = 0;
  std::uint16_t site = 0;
  std::uint16_t wait_cond = 0xffff;  // schedule() in a wait loop: the condition it waits for (an expr), for reports
};

// The functions a site runs in: its inline call path from the thread's
// root, its own function last.
std::vector<std::string> call_path(site const& s);
// Returns true iff the site runs inside function `name`: its own, or one on its call path.
bool runs_in(site const& s, std::string_view name);

// One thread's compiled program.
struct program {
  std::string name;  // the thread's name: "memunmap#0", "teardown"
  std::vector<instr> code;
  std::vector<cexpr> exprs;
  std::vector<site> sites;
  std::vector<std::string> slot_names;  // "page", "memunmap_pages.i": what each local slot holds
  std::vector<value_type> slot_types;
  // The file-scope variables the thread reads or writes: each one's id in
  // the source set (global_read's argument) and what it starts at.
  std::map<std::uint16_t, global> globals;
  bool uses_rcu_gp = false;  // calls synchronize_rcu: its record keeps a grace-period mask
};

// The bytes a compiled program holds: what it takes of --max-memory while
// the search runs.
std::uint64_t footprint(program const& p);

// The primitives, by id; docs/language.md lists them with their semantics.
std::vector<primitive> const& primitives();
// The id of primitive `name`, or -1.
int find_primitive(std::string_view name);
// What a step at `in` does to shared state: its primitive, or the first
// shared state its statement reads ("a read", "a field read" if nothing names it).
std::string primitive_of(program const& thread, instr const& in);

}  // namespace pgmapcheck::lang
