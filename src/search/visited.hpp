// The visited set: the states a search has stored, whole or collapsed into
// parts (SPIN's COLLAPSE), on the tables of hash_table.hpp and packed_rows.hpp.
#pragma once

#include "search/hash_table.hpp"
#include "search/memory.hpp"
#include "search/packed_rows.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <span>
#include <utility>
#include <vector>

namespace pgmapcheck::detail {

// The states a search has stored, each with a parent key while its level runs
// (the key a breadth-first search lowers: the first step to reach it).
// Plain: one table of whole states. Collapsed (SPIN's COLLAPSE
// compression), where the model names its state's parts (the shared
// objects; each thread's record): a table per part, where each distinct
// value is stored once, and a table of rows of indices into them, one row
// a state, bit-packed (packed_rows: a part whose table holds 40 values
// takes 6 bits of the row), its parent key dropped once spent.
template <class State>
class visited_set {
 public:
  using part = std::pair<std::size_t, std::size_t>;  // offset, length
  static constexpr std::size_t max_parts = detail::max_parts;
  // A part table's first slots: its indices' first width is 4 bits.
  static constexpr std::size_t part_first_slots = 16;

  visited_set(std::uint64_t max_bytes, std::size_t state_bytes, std::vector<part> parts)
      : memory_(max_bytes), state_bytes_(state_bytes), parts_(std::move(parts)),
        whole_(memory_, fixed_records(state_bytes, true)), rows_(memory_, packed_rows(parts_.size())) {
    tables_.reserve(parts_.size());
    for (auto const& p : parts_) tables_.emplace_back(memory_, fixed_records(p.second, false), part_first_slots);
  }

  // What insert looks up for a state, worked out ahead (prepare): the
  // parts it shares with its parent, and the hashes of the others (or of
  // the whole state), whose slots prepare asked the cache for. Preparing the
  // successors of a state before inserting any lets their table lookups'
  // cache misses overlap.
  // (Left uninitialised: prepare writes what insert reads.)
  struct prepared {
    std::array<std::uint32_t, max_parts> row;   // a part shared with the parent: its id
    std::array<std::uint64_t, max_parts> hash;  // a changed part's hash (hash[0]: the state's, unparted)
    std::uint64_t changed;                      // bit k: part k is looked up
    std::uint64_t row_hash;                     // the row's hash, once the parts are resolved
  };

  // A stored state's row of part indices (read once for all its successors).
  struct row_of {
    std::array<std::uint32_t, packed_rows::max_fields> index;
    bool known = false;
  };
  row_of row(std::uint32_t i) const {
    row_of r;
    if (!parts_.empty() && i != none) {
      rows_.records().read(rows_.chunk(i), rows_.place(i), r.index.data());
      r.known = true;
    }
    return r;
  }

  void prepare(unsigned char const* s, row_of const& parent, prepared& p) const {
    if (parts_.empty()) {
      p.hash[0] = hash_bytes(s, state_bytes_);
      whole_.prefetch(p.hash[0]);
      return;
    }
    // A successor differs from its parent in a part or two: the parent's
    // parts are compared first, and only a changed part is looked up.
    p.changed = 0;
    for (std::size_t k = 0; k < parts_.size(); ++k) {
      auto const [offset, length] = parts_[k];
      if (parent.known && same_bytes(part_bytes(k, parent.index[k]), s + offset, length)) {
        p.row[k] = parent.index[k];
        continue;
      }
      p.changed |= std::uint64_t{1} << k;
      p.hash[k] = hash_bytes(s + offset, length);
      tables_[k].prefetch(p.hash[k]);
    }
  }

  // Looks up the changed parts of state s (prepared as p), inserting new
  // ones, and asks the cache for the slot its row's lookup starts at.
  // Returns full or no_memory if a part table refused (nothing of s's row
  // is stored then), else fresh.
  insert_status resolve(unsigned char const* s, prepared& p) {
    if (parts_.empty()) return insert_status::fresh;
    for (std::uint64_t c = p.changed; c; c &= c - 1) {
      auto const k = static_cast<std::size_t>(std::countr_zero(c));
      auto const id = tables_[k].find_or_insert(s + parts_[k].first, p.hash[k]);
      if (id.status == insert_status::full || id.status == insert_status::no_memory) return id.status;
      p.row[k] = id.index;
    }
    p.row_hash = hash_bytes(reinterpret_cast<unsigned char const*>(p.row.data()), parts_.size() * sizeof(std::uint32_t));
    rows_.prefetch(p.row_hash);
    return insert_status::fresh;
  }

  // Finds state s (prepared and resolved as p), inserting it if new with
  // `parent_key` as its parent key (or, during a parallel search, its key). Safe from
  // many threads at once.
  inserted insert(unsigned char const* s, std::uint64_t parent_key, prepared const& p) {
    if (parts_.empty()) return whole_.find_or_insert(s, p.hash[0], parent_key);
    return rows_.find_or_insert(p.row.data(), p.row_hash, parent_key);
  }

  // The same, unprepared. hint: the index of a stored state s likely shares
  // parts with (its parent), or none.
  inserted insert(unsigned char const* s, std::uint64_t parent_key, std::uint32_t hint = none) {
    prepared p;
    prepare(s, row(hint), p);
    if (auto const st = resolve(s, p); st != insert_status::fresh) return {0, st};
    return insert(s, parent_key, p);
  }

  // Inserts from one thread, growing the tables as needed; no_memory when
  // the limit refuses.
  inserted insert_growing(unsigned char const* s, std::uint64_t parent_key, std::uint32_t hint = none) {
    for (;;) {
      auto r = insert(s, parent_key, hint);
      if (r.status != insert_status::full) return r;
      if (!grow()) return {0, insert_status::no_memory};
    }
  }

  // With no insert running, every parent key stored spent (in a breadth-first
  // search: at a level's end, once reorder()ed): grows every table past
  // `load` full, and lays out every row chunk filled since the last call at
  // the widths the part tables now need, sealing the full ones. So a
  // chunk's layout is that of the first grow() after its last row: the same
  // for any number of workers, and so is the memory the rows hold.
  bool grow(double load = byte_table::max_load) {
    if (parts_.empty()) return whole_.grow(load);
    bool ok = rows_.grow(load);
    for (auto& t : tables_) ok = t.grow(load) && ok;
    return settle() && ok;
  }
  // With no insert running, in the middle of a parallel search's level:
  // grows the tables an insert found full, and only those. Which other
  // tables are full by now depends on the workers' timing; the tables that
  // refuse an insert are the ones the level's values overflow, whatever
  // the order, so the tables' sizes (and memory) are the same for any
  // number of workers. Of the row chunks, only the one rows go on filling
  // is laid out again, and only if a part table's indices outgrew it.
  bool grow_refused() {
    if (parts_.empty()) return whole_.grow_if_refused();
    bool ok = rows_.grow_if_refused();
    for (auto& t : tables_) ok = t.grow_if_refused() && ok;
    set_part_widths();
    rows_.records().seal_none();
    return rows_.recode(rows_.size()) && ok;
  }

  // With no insert running: lays out the row chunks filled since the last
  // grow() as that does, without growing anything (so the memory a search
  // reports at its end does not depend on the workers' timing either).
  // Returns false iff the memory limit refused a chunk.
  bool settle() {
    if (parts_.empty()) return true;
    set_part_widths();
    rows_.records().seal_full();
    bool const ok = rows_.recode(settled_);
    settled_ = rows_.size();
    return ok;
  }

  // With no insert running, at a breadth-first level's end: puts the
  // level's states (from index `first` on, every one stored) in the order
  // given, state first + n being the one that was order[n], so that a
  // state's index tells its place in its level. Their parent keys are spent.
  // in_pieces: as hash_table::reorder's (by default, one piece). Returns
  // false iff the memory limit refused a chunk or the copies.
  template <class InPieces = void (*)(std::size_t, std::function<void(std::size_t, std::size_t)> const&)>
  bool reorder(std::uint32_t first, std::span<std::uint32_t const> order, InPieces&& in_pieces = one_piece) {
    std::uint32_t same = 0;  // (a one-thread search mostly stores a level in order)
    while (same < order.size() && order[same] == first + same) ++same;
    if (same == order.size()) return true;
    first += same;
    order = order.subspan(same);
    if (parts_.empty()) return whole_.reorder(first, order, in_pieces);
    // Every row chunk from there on open at the widths of now: one stride.
    set_part_widths();
    rows_.records().seal_none();
    return rows_.recode(first) && rows_.reorder(first, order, in_pieces);
  }

  // How many parts state s, prepared as p, differs from its parent in
  // (none, unparted).
  unsigned parts_changed(prepared const& p) const {
    return parts_.empty() ? 0 : static_cast<unsigned>(std::popcount(p.changed));
  }
  // How many parts the state stored at index i differs from the state of
  // row r in (none, unparted: whole states are not told apart by parts).
  unsigned parts_apart(std::uint32_t i, row_of const& r) const {
    if (parts_.empty()) return 0;
    auto const here = row(i);
    unsigned n = 0;
    for (std::size_t k = 0; k < parts_.size(); ++k) n += here.index[k] != r.index[k];
    return n;
  }

  // Returns true iff state s is the one stored at index i.
  // (memcmp: not in an insert's way, and fit for states of any size.)
  bool holds(std::uint32_t i, unsigned char const* s) const {
    if (parts_.empty()) return std::memcmp(whole_.records().bytes(whole_.chunk(i), whole_.place(i)), s, state_bytes_) == 0;
    auto const r = row(i);
    for (std::size_t k = 0; k < parts_.size(); ++k)
      if (std::memcmp(part_bytes(k, r.index[k]), s + parts_[k].first, parts_[k].second) != 0) return false;
    return true;
  }

  State operator[](std::uint32_t i) const {
    State s;
    auto* b = reinterpret_cast<unsigned char*>(&s);
    if (parts_.empty()) {
      std::memcpy(b, whole_.records().bytes(whole_.chunk(i), whole_.place(i)), state_bytes_);
      return s;
    }
    auto const r = row(i);
    for (std::size_t k = 0; k < parts_.size(); ++k) std::memcpy(b + parts_[k].first, part_bytes(k, r.index[k]), parts_[k].second);
    return s;
  }

  // A state's parent key: only a state stored since the last grow() or settle().
  std::uint64_t& parent_key(std::uint32_t i) {
    return parts_.empty() ? *whole_.records().extra(whole_.chunk(i), whole_.place(i))
                          : *rows_.records().extra(rows_.chunk(i), rows_.place(i));
  }
  std::size_t size() const { return parts_.empty() ? whole_.size() : rows_.size(); }
  // Bytes a row takes now, its parent key apart (unparted: the whole state).
  std::size_t row_bytes() const { return parts_.empty() ? state_bytes_ : rows_.records().stride(); }
  // The account of the memory held (what a search holds beside the set
  // for a while is counted in it too: counted_array).
  memory_account& memory() { return memory_; }
  // Bytes held now, and the most ever held at once.
  std::uint64_t memory_bytes() const { return memory_.held(); }
  std::uint64_t peak_bytes() const { return memory_.peak(); }

  static constexpr std::uint32_t none = 0xffffffffu;

 private:
  static void one_piece(std::size_t n, std::function<void(std::size_t, std::size_t)> const& body) { body(0, n); }
  unsigned char const* part_bytes(std::size_t k, std::uint32_t i) const {
    return tables_[k].records().bytes(tables_[k].chunk(i), tables_[k].place(i));
  }
  // Sets the widths of row chunks to come to what the part tables can hand out.
  void set_part_widths() {
    std::array<std::uint8_t, max_parts> width{};
    for (std::size_t k = 0; k < parts_.size(); ++k)
      width[k] = static_cast<std::uint8_t>(std::bit_width(std::max<std::size_t>(tables_[k].capacity(), 1) - 1));
    rows_.records().set_widths(width);
  }

  memory_account memory_;
  std::size_t state_bytes_;
  std::vector<part> parts_;
  byte_table whole_;                    // unparted: the states
  hash_table<packed_rows> rows_;        // parted: the rows
  std::vector<byte_table> tables_;      // parted: a table per part
  std::size_t settled_ = 0;             // rows before this one were laid out by grow()
};

}  // namespace pgmapcheck::detail
