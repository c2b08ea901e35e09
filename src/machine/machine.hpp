// The compile-time state-machine DSL: transition tables that read like boost-ext/sml.
//
//   src + event<put_page> [ last_pin ] / drop_ref = state::cache
//
// A table is a hana::tuple of rows. Guards and actions are named constexpr
// callables, so the same table is both executed (fire) and drawn (describe).
// validate_* are constexpr predicates meant for static_assert beside a table.
#pragma once

#include <boost/hana/for_each.hpp>
#include <boost/hana/tuple.hpp>
#include <boost/hana/unpack.hpp>

#include <array>
#include <cstddef>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

namespace pgmapcheck::machine {

// A state enum opts in by specialising state_traits with: names (one per
// enumerator, in order), initial, forbidden_edges (src, dst) and
// forbidden_events (src, event name).
template <class S>
struct state_traits;

template <class S>
concept state_enum = std::is_enum_v<S> && requires { state_traits<S>::names; };

template <class F>
struct guard_t {
  std::string_view name;
  F fn;
};
template <class F>
struct action_t {
  std::string_view name;
  F fn;
};

template <class F>
constexpr guard_t<F> guard(std::string_view name, F fn) {
  return {name, fn};
}
template <class F>
constexpr action_t<F> action(std::string_view name, F fn) {
  return {name, fn};
}

struct always_fn {
  constexpr bool operator()(auto&&...) const { return true; }
};
struct nothing_fn {
  constexpr void operator()(auto&&...) const {}
};
inline constexpr guard_t<always_fn> always{"", {}};
inline constexpr action_t<nothing_fn> nothing{"", {}};

// `event<E> [guard] / action`: the event half of a row. In C++ `[]` binds
// before `/`, which binds before `+`, which binds before `=`, so a row parses
// as `(src + ((event<E>[g]) / a)) = dst`.
template <class E, class G = always_fn, class A = nothing_fn>
struct event_part {
  using type = E;
  guard_t<G> g;
  action_t<A> a;

  template <class G2>
  constexpr event_part<E, G2, A> operator[](guard_t<G2> g2) const {
    static_assert(std::is_same_v<G, always_fn>, "a row takes one guard");
    return {g2, a};
  }
};
template <class E>
inline constexpr event_part<E> event{always, nothing};

template <class E, class G, class A, class A2>
constexpr event_part<E, G, A2> operator/(event_part<E, G, A> e, action_t<A2> a) {
  static_assert(std::is_same_v<A, nothing_fn>, "a row takes one action");
  return {e.g, a};
}

template <class S, class E, class G, class A>
struct row {
  using state_type = S;
  using event_type = E;
  S src;
  guard_t<G> guard;
  action_t<A> action;
  S dst;
};

// The partial row `src + event<E> [g] / a`; `= dst` completes it.
template <class S, class E, class G, class A>
struct row_builder {
  S src;
  guard_t<G> g;
  action_t<A> a;

  constexpr row<S, E, G, A> operator=(S dst) const { return {src, g, a, dst}; }  // NOLINT
};

template <state_enum S, class E, class G, class A>
constexpr row_builder<S, E, G, A> operator+(S src, event_part<E, G, A> e) {
  return {src, e.g, e.a};
}

template <class... Rows>
constexpr auto make_table(Rows... rows) {
  return boost::hana::make_tuple(rows...);
}

// What a row is, for validation and drawing.
template <class S>
struct row_info {
  S src;
  std::string_view event;
  std::string_view guard;
  std::string_view action;
  S dst;
};

template <class Table>
constexpr auto describe(Table const& table) {
  return boost::hana::unpack(table, [](auto const&... r) {
    using S = typename std::tuple_element_t<0, std::tuple<std::decay_t<decltype(r)>...>>::state_type;
    return std::array<row_info<S>, sizeof...(r)>{
        row_info<S>{r.src, std::decay_t<decltype(r)>::event_type::name, r.guard.name, r.action.name, r.dst}...};
  });
}

// Returns true iff no two rows share (src, event, guard).
template <class S, std::size_t N>
constexpr bool validate_unique(std::array<row_info<S>, N> const& rows) {
  for (std::size_t i = 0; i < N; ++i)
    for (std::size_t j = i + 1; j < N; ++j)
      if (rows[i].src == rows[j].src && rows[i].event == rows[j].event && rows[i].guard == rows[j].guard)
        return false;
  return true;
}

// Returns true iff every state of S is reachable from state_traits<S>::initial.
template <class S, std::size_t N>
constexpr bool validate_reachable(std::array<row_info<S>, N> const& rows) {
  constexpr std::size_t count = state_traits<S>::names.size();
  std::array<bool, count> seen{};
  seen[static_cast<std::size_t>(state_traits<S>::initial)] = true;
  for (bool grew = true; grew;) {
    grew = false;
    for (auto const& r : rows)
      if (seen[static_cast<std::size_t>(r.src)] && !seen[static_cast<std::size_t>(r.dst)])
        seen[static_cast<std::size_t>(r.dst)] = grew = true;
  }
  for (bool s : seen)
    if (!s) return false;
  return true;
}

// Returns true iff no row takes an edge or an event that S forbids.
template <class S, std::size_t N>
constexpr bool validate_allowed(std::array<row_info<S>, N> const& rows) {
  for (auto const& r : rows) {
    for (auto const& [src, dst] : state_traits<S>::forbidden_edges)
      if (r.src == src && r.dst == dst) return false;
    for (auto const& [src, ev] : state_traits<S>::forbidden_events)
      if (r.src == src && r.event == ev) return false;
  }
  return true;
}

// Fires event E: the first row whose src is `state` and whose guard holds
// runs its action and moves `state` to its dst. Returns true iff a row fired.
template <class E, class Table, class S, class... Args>
constexpr bool fire(Table const& table, S& state, Args&&... args) {
  bool fired = false;
  boost::hana::for_each(table, [&](auto const& r) {
    if constexpr (std::is_same_v<typename std::decay_t<decltype(r)>::event_type, E>) {
      if (!fired && r.src == state && r.guard.fn(args...)) {
        fired = true;
        r.action.fn(args...);
        state = r.dst;
      }
    }
  });
  return fired;
}

}  // namespace pgmapcheck::machine
