// Thread symmetry and dead values: the reductions code_model applies to the
// states it hands the search (docs/performance.md). The partial order is
// partial_order.cpp.
#include "lang/layout.hpp"
#include "lang/reduced.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

namespace pgmapcheck::lang {

using namespace layout;  // the state's bytes: src/lang/layout.hpp

reduced_model::reduced_model(code_model const& m, reduction_options o)
    : m_(m), threads_(m.threads_), layout_(m.layout_) {
  find_groups();
  find_dead();
  find_footprints();
  symmetry_ = o.symmetry && !groups_.empty();
  dead_values_ = o.dead_values;
  partial_order_ = o.partial_order && m.setup_.required.empty();
}

code_state reduced_model::initial() const {
  code_state s = m_.initial();
  if (dead_values_)
    for (std::size_t t = 0; t < threads_.size(); ++t) clear_dead(s, static_cast<int>(t));
  return s;
}

void reduced_model::find_groups() {
  auto kind = [](std::string const& name) { return name.substr(0, name.find('#')); };
  std::vector<bool> placed(threads_.size(), false);
  for (std::size_t a = 0; a < threads_.size(); ++a) {
    if (placed[a] || threads_[a].name.find('#') == std::string::npos) continue;
    std::vector<int> group{static_cast<int>(a)};
    for (std::size_t b = a + 1; b < threads_.size(); ++b) {
      auto const& x = threads_[a];
      auto const& y = threads_[b];
      if (!placed[b] && kind(x.name) == kind(y.name) && x.code.size() == y.code.size() &&
          x.slot_names == y.slot_names && x.uses_rcu_gp == y.uses_rcu_gp) {
        group.push_back(static_cast<int>(b));
        placed[b] = true;
      }
    }
    if (group.size() > 1) groups_.push_back(std::move(group));
  }
}

void reduced_model::canonicalize(state& s) const {
  if (groups_.empty()) return;
  auto record = [&](int t) {
    std::size_t const begin = layout_[static_cast<std::size_t>(t)].base;
    std::size_t const end = static_cast<std::size_t>(t) + 1 < layout_.size() ? layout_[static_cast<std::size_t>(t) + 1].base
                                                                           : m_.state_bytes();
    return std::pair{begin, end - begin};
  };
  std::array<int, 32> perm{};  // the thread now at i was thread perm[i]
  for (std::size_t i = 0; i < threads_.size(); ++i) perm[i] = static_cast<int>(i);
  bool moved = false;
  for (auto const& g : groups_) {
    std::array<int, 32> order{};
    std::copy(g.begin(), g.end(), order.begin());
    // A stable insertion sort: a group is a few records, and this runs on
    // every successor (std::stable_sort would allocate each time).
    std::size_t const n = record(g.front()).second;
    auto less = [&](int x, int y) {
      return std::memcmp(s.bytes.data() + record(x).first, s.bytes.data() + record(y).first, n) < 0;
    };
    for (std::size_t k = 1; k < g.size(); ++k)
      for (std::size_t j = k; j > 0 && less(order[j], order[j - 1]); --j) std::swap(order[j], order[j - 1]);
    for (std::size_t k = 0; k < g.size(); ++k) {
      perm[static_cast<std::size_t>(g[k])] = order[k];
      moved |= order[k] != g[k];
    }
  }
  if (!moved) return;
  state const old = s;
  for (std::size_t i = 0; i < threads_.size(); ++i) {
    if (perm[i] == static_cast<int>(i)) continue;
    auto const [to, n] = record(static_cast<int>(i));
    std::memcpy(s.bytes.data() + to, old.bytes.data() + record(perm[i]).first, n);
  }
  for (auto const& l : layout_) {
    if (!l.gp) continue;
    std::uint32_t mask = 0, renamed = 0;
    std::memcpy(&mask, s.bytes.data() + l.gp, 4);
    for (std::size_t i = 0; i < threads_.size(); ++i)
      if (mask >> perm[i] & 1u) renamed |= 1u << i;
    std::memcpy(s.bytes.data() + l.gp, &renamed, 4);
  }
}

void reduced_model::find_dead() {
  for (auto const& prog : threads_) {
    std::size_t const n = prog.code.size(), slots = prog.slot_names.size();
    // Every local an instruction may read: its expressions' locals, and, to
    // be safe, each action argument taken as a slot number too.
    auto uses = [&](instr const& in, std::vector<bool>& live) {
      std::vector<std::uint16_t> roots;
      if (in.k == instr::kind::assign || in.k == instr::kind::branch) roots.push_back(in.a);
      if (in.k == instr::kind::action)
        for (std::size_t i = 0; i < in.nargs; ++i) {
          roots.push_back(in.args[i]);
          if (in.args[i] < slots) live[in.args[i]] = true;
        }
      if (in.wait_cond != 0xffff) roots.push_back(in.wait_cond);
      while (!roots.empty()) {
        std::uint16_t const e = roots.back();
        roots.pop_back();
        if (e >= prog.exprs.size()) continue;
        auto const& x = prog.exprs[e];
        if (x.k == cexpr::kind::local && static_cast<std::size_t>(x.value) < slots) live[static_cast<std::size_t>(x.value)] = true;
        if (x.k == cexpr::kind::constant) continue;
        for (std::size_t i = 0; i < x.nargs; ++i) roots.push_back(x.args[i]);
      }
    };
    // Backward liveness over bit sets: live[i] = uses(i) | (out(i) & ~defs(i)),
    // out(i) the union of i's successors' live sets (a use wins over a def
    // of the same slot: x = x + 1). uses and defs are
    // computed once an instruction; the fixed point then runs on words.
    std::size_t const words = (slots + 63) / 64;
    auto bit = [](std::vector<std::uint64_t>& v, std::size_t k) { v[k / 64] |= std::uint64_t{1} << (k % 64); };
    std::vector<std::vector<std::uint64_t>> gen(n, std::vector<std::uint64_t>(words, 0));
    std::vector<std::vector<std::uint64_t>> keep(n, std::vector<std::uint64_t>(words, ~std::uint64_t{0}));
    std::vector<bool> scratch(slots, false);
    for (std::size_t i = 0; i < n; ++i) {
      auto const& in = prog.code[i];
      std::fill(scratch.begin(), scratch.end(), false);
      uses(in, scratch);
      for (std::size_t k = 0; k < slots; ++k)
        if (scratch[k]) bit(gen[i], k);
      auto kill = [&](std::size_t k) { keep[i][k / 64] &= ~(std::uint64_t{1} << (k % 64)); };
      if ((in.k == instr::kind::assign || in.k == instr::kind::action) && in.dest >= 0 &&
          static_cast<std::size_t>(in.dest) < slots)
        kill(static_cast<std::size_t>(in.dest));
      if (in.k == instr::kind::clear)
        for (int k = 0; k < in.value; ++k)
          if (static_cast<std::size_t>(in.dest + k) < slots) kill(static_cast<std::size_t>(in.dest + k));
    }
    std::vector<std::vector<std::uint64_t>> live(n, std::vector<std::uint64_t>(words, 0));
    std::vector<std::uint64_t> out(words);
    for (bool changed = true; changed;) {
      changed = false;
      for (std::size_t i = n; i-- > 0;) {
        auto const& in = prog.code[i];
        std::fill(out.begin(), out.end(), 0);
        auto join = [&](std::size_t to) {
          if (to < n)
            for (std::size_t w = 0; w < words; ++w) out[w] |= live[to][w];
        };
        if (in.k == instr::kind::jump) join(in.target);
        else if (in.k != instr::kind::finish) join(i + 1);
        if (in.k == instr::kind::branch) join(in.target);
        for (std::size_t w = 0; w < words; ++w) out[w] = (out[w] & keep[i][w]) | gen[i][w];
        if (out != live[i]) {
          live[i] = out;
          changed = true;
        }
      }
    }
    auto& dead = dead_at_.emplace_back(n);
    for (std::size_t i = 0; i < n; ++i)
      if (prog.code[i].visible || prog.code[i].k == instr::kind::finish)
        for (std::size_t k = 0; k < slots; ++k)
          if (!(live[i][k / 64] >> (k % 64) & 1)) dead[i].push_back(static_cast<std::uint16_t>(k));
  }
}

void reduced_model::clear_dead(state& s, int t) const {
  auto const& l = layout_[static_cast<std::size_t>(t)];
  for (auto const k : dead_at_[static_cast<std::size_t>(t)][record_pc(s.bytes.data() + l.base)]) s.bytes[l.locals + k] = 0;
}

void reduced_model::reduce(state& s) const {
  for (std::size_t t = 0; t < threads_.size(); ++t) clear_dead(s, static_cast<int>(t));
  canonicalize(s);
}

}  // namespace pgmapcheck::lang
