#include "workloads/formats/vector_graph.hpp"

#include <algorithm>
#include <array>
#include <deque>
#include <limits>
#include <memory>
#include <mutex>
#include <numeric>
#include <thread>

#include "core/error.hpp"
#include "core/splitmix.hpp"
#include "workloads/formats/vector_data.hpp"

namespace aistor::formats {
namespace {

constexpr std::size_t kLockStripes = 4096;

// Marks what `from` reaches that is not yet seen (from included); returns how many it marked.
std::uint64_t walk_from(const VectorGraph& g, std::uint32_t from, std::vector<char>& seen) {
  std::deque<std::uint32_t> q{from};
  seen[from] = 1;
  std::uint64_t n = 1;
  while (!q.empty()) {
    const std::uint32_t id = q.front();
    q.pop_front();
    for (const std::uint32_t m : g.neighbours[id])
      if (seen[m] == 0) {
        seen[m] = 1;
        ++n;
        q.push_back(m);
      }
  }
  return n;
}

struct Scored {
  float d;
  std::uint32_t id;
  bool operator<(const Scored& o) const { return d < o.d || (d == o.d && id < o.id); }
};

class Builder {
 public:
  Builder(std::span<const float> data, const GraphBuildParams& p)
      : data_(data), p_(p), count_(data.size() / p.dim), g_{} {
    g_.neighbours.resize(count_);
  }

  VectorGraph build(const std::atomic<bool>* stop) {
    g_.entry = medoid();
    std::vector<std::uint32_t> order(count_);
    std::iota(order.begin(), order.end(), 0U);
    std::uint64_t state = mix64(p_.seed ^ 0x76616d616e61ULL);
    for (std::size_t i = order.size(); i > 1; --i)
      std::swap(order[i - 1], order[splitmix64(state) % i]);
    for (const double alpha : {1.0, p_.alpha}) {
      std::atomic<std::uint64_t> next{0};
      std::vector<std::thread> pool;
      for (unsigned t = 0; t < std::max(1u, p_.threads); ++t) {
        pool.emplace_back([&, alpha] {
          Scratch s(count_);
          for (std::uint64_t i = next++; i < count_; i = next++) {
            if (stop != nullptr && stop->load(std::memory_order_relaxed)) return;
            insert(order[i], alpha, s);
          }
        });
      }
      for (auto& t : pool)
        t.join();
      if (stop != nullptr && stop->load()) throw InputError("interrupted while building the graph");
    }
    // A link made in place of a neighbour can strand what that neighbour reached: walk again.
    for (int round = 0; round < 8 && reachable_from_entry(g_) < count_; ++round)
      link_unreachable(stop);
    return std::move(g_);
  }

 private:
  struct Scratch {
    explicit Scratch(std::size_t n) : mark(n, 0) {}
    std::vector<std::uint32_t> mark;  // == epoch: visited in this search
    std::uint32_t epoch = 0;
    std::vector<Scored> list;
    std::vector<Scored> visited;
    std::vector<std::uint32_t> adj;
  };

  const float* vec(std::uint32_t i) const { return &data_[std::size_t{i} * p_.dim]; }
  float dist(std::uint32_t a, std::uint32_t b) const { return l2_squared(vec(a), vec(b), p_.dim); }
  std::mutex& lock_of(std::uint32_t i) { return locks_[i % kLockStripes]; }

  std::uint32_t medoid() const {
    std::vector<double> mean(p_.dim, 0.0);
    for (std::uint64_t i = 0; i < count_; ++i)
      for (std::uint32_t d = 0; d < p_.dim; ++d)
        mean[d] += vec(static_cast<std::uint32_t>(i))[d];
    std::vector<float> m(p_.dim);
    for (std::uint32_t d = 0; d < p_.dim; ++d)
      m[d] = static_cast<float>(mean[d] / static_cast<double>(count_));
    std::uint32_t best = 0;
    float best_d = std::numeric_limits<float>::max();
    for (std::uint64_t i = 0; i < count_; ++i) {
      const float d = l2_squared(vec(static_cast<std::uint32_t>(i)), m.data(), p_.dim);
      if (d < best_d) {
        best_d = d;
        best = static_cast<std::uint32_t>(i);
      }
    }
    return best;
  }

  // Best-first search for `target` from the entry; what it expanded lands in s.visited.
  void search(const float* target, Scratch& s) {
    if (++s.epoch == 0) {
      std::fill(s.mark.begin(), s.mark.end(), 0);
      s.epoch = 1;
    }
    s.list.clear();
    s.visited.clear();
    s.list.push_back({l2_squared(vec(g_.entry), target, p_.dim), g_.entry});
    s.mark[g_.entry] = s.epoch;
    std::vector<char> done(1, 0);
    for (;;) {
      std::size_t at = 0;
      while (at < s.list.size() && done[at] != 0)
        ++at;
      if (at == s.list.size()) break;
      done[at] = 1;
      const Scored cur = s.list[at];
      s.visited.push_back(cur);
      {
        const std::scoped_lock l(lock_of(cur.id));
        s.adj = g_.neighbours[cur.id];
      }
      for (const std::uint32_t n : s.adj) {
        if (s.mark[n] == s.epoch) continue;
        s.mark[n] = s.epoch;
        const Scored c{l2_squared(vec(n), target, p_.dim), n};
        if (s.list.size() >= p_.build_list && !(c < s.list.back())) continue;
        const auto pos = std::upper_bound(s.list.begin(), s.list.end(), c);
        const auto idx = pos - s.list.begin();
        s.list.insert(pos, c);
        done.insert(done.begin() + idx, 0);
        if (s.list.size() > p_.build_list) {
          s.list.pop_back();
          done.pop_back();
        }
      }
    }
  }

  // Robust pruning of `cands` (scored by distance to `node`) down to at most `degree`.
  std::vector<std::uint32_t> prune(std::uint32_t node, std::vector<Scored>& cands,
                                   double alpha) const {
    std::sort(cands.begin(), cands.end());
    cands.erase(std::unique(cands.begin(), cands.end(),
                            [](const Scored& a, const Scored& b) { return a.id == b.id; }),
                cands.end());
    std::vector<std::uint32_t> out;
    std::vector<char> gone(cands.size(), 0);
    for (std::size_t i = 0; i < cands.size() && out.size() < p_.degree; ++i) {
      if (gone[i] != 0 || cands[i].id == node) continue;
      out.push_back(cands[i].id);
      for (std::size_t j = i + 1; j < cands.size(); ++j) {
        if (gone[j] != 0) continue;
        if (alpha * dist(cands[i].id, cands[j].id) <= cands[j].d) gone[j] = 1;
      }
    }
    return out;
  }

  void insert(std::uint32_t node, double alpha, Scratch& s) {
    search(vec(node), s);
    std::vector<Scored> cands = s.visited;
    {
      const std::scoped_lock l(lock_of(node));
      for (const std::uint32_t n : g_.neighbours[node])
        cands.push_back({dist(node, n), n});
    }
    std::vector<std::uint32_t> chosen = prune(node, cands, alpha);
    {
      const std::scoped_lock l(lock_of(node));
      g_.neighbours[node] = chosen;
    }
    for (const std::uint32_t n : chosen) {
      std::vector<Scored> back;
      {
        const std::scoped_lock l(lock_of(n));
        auto& adj = g_.neighbours[n];
        if (std::find(adj.begin(), adj.end(), node) != adj.end()) continue;
        if (adj.size() < p_.degree) {
          adj.push_back(node);
          continue;
        }
        for (const std::uint32_t m : adj)
          back.push_back({dist(n, m), m});
      }
      back.push_back({dist(n, node), node});
      std::vector<std::uint32_t> pruned = prune(n, back, alpha);
      const std::scoped_lock l(lock_of(n));
      g_.neighbours[n] = std::move(pruned);
    }
  }

  // Links every node the entry cannot reach from the nearest reachable node with room (or in
  // place of that node's farthest neighbour): one walk from the entry, then for each node still
  // unseen a link and a walk from it, so each component costs one search.
  void link_unreachable(const std::atomic<bool>* stop) {
    Scratch s(count_);
    std::vector<char> seen(count_, 0);
    (void)walk_from(g_, g_.entry, seen);
    for (std::uint32_t u = 0; u < count_; ++u) {
      if (seen[u] != 0) continue;
      if (stop != nullptr && stop->load(std::memory_order_relaxed))
        throw InputError("interrupted while building the graph");
      search(vec(u), s);  // what it expanded is reachable (u's component is not linked yet)
      std::sort(s.visited.begin(), s.visited.end());
      std::uint32_t from = g_.entry;
      for (const Scored& v : s.visited)
        if (seen[v.id] != 0) {
          from = v.id;
          break;
        }
      for (const Scored& v : s.visited)
        if (seen[v.id] != 0 && g_.neighbours[v.id].size() < p_.degree) {
          from = v.id;
          break;
        }
      auto& adj = g_.neighbours[from];
      if (adj.size() >= p_.degree) {
        // In place of its farthest neighbour (a later round re-links what that strands).
        auto far = std::max_element(adj.begin(), adj.end(), [&](std::uint32_t a, std::uint32_t b) {
          return dist(from, a) < dist(from, b);
        });
        *far = u;
      } else {
        adj.push_back(u);
      }
      (void)walk_from(g_, u, seen);
    }
  }

  std::span<const float> data_;
  GraphBuildParams p_;
  std::uint64_t count_;
  VectorGraph g_;
  std::array<std::mutex, kLockStripes> locks_;
};

}  // namespace

VectorGraph build_graph(std::span<const float> data, const GraphBuildParams& p,
                        const std::atomic<bool>* stop) {
  auto builder = std::make_unique<Builder>(data, p);
  return builder->build(stop);
}

std::uint64_t reachable_from_entry(const VectorGraph& g) {
  std::vector<char> seen(g.neighbours.size(), 0);
  return walk_from(g, g.entry, seen);
}

}  // namespace aistor::formats
