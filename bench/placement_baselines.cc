// First-fit and best-fit decreasing for placement_benchmark (see placement_baselines.h).
#include "bench/placement_baselines.h"

#include <algorithm>
#include <numeric>
#include <utility>

#include "absl/container/btree_set.h"

namespace atl::bench {
namespace {

double Slack(double cap) { return 1e-9 * std::max(1.0, cap); }

// Items sorted by dominant share against the largest bin, largest first.
std::vector<int32_t> Decreasing(const std::vector<Bin>& bins, const std::vector<Item>& items,
                                double* ref_mem, double* ref_rps) {
  *ref_mem = 0;
  *ref_rps = 0;
  for (const Bin& bin : bins) {
    *ref_mem = std::max(*ref_mem, bin.memory_mb);
    *ref_rps = std::max(*ref_rps, bin.request_rate);
  }
  std::vector<double> share(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    share[i] = std::max(items[i].memory_mb / *ref_mem, items[i].request_rate / *ref_rps);
  }
  std::vector<int32_t> order(items.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return share[a] > share[b]; });
  return order;
}

bool Has(const std::vector<int32_t>& on, int32_t bin) {
  return std::find(on.begin(), on.end(), bin) != on.end();
}

// Per-dimension maxima of the residuals over positions in the bin order.
class MaxTree {
 public:
  MaxTree(const std::vector<Bin>& bins, const std::vector<int32_t>& order) : order_(order) {
    while (size_ < order.size()) size_ *= 2;
    mem_.assign(2 * size_, -1);
    rps_.assign(2 * size_, -1);
    for (size_t p = 0; p < order.size(); ++p) {
      mem_[size_ + p] = bins[order[p]].memory_mb;
      rps_[size_ + p] = bins[order[p]].request_rate;
    }
    for (size_t i = size_; i-- > 1;) Pull(i);
  }

  // The first position whose bin has room for (dm, dr) and is not in `exclude`; -1: none.
  int32_t First(double dm, double dr, const std::vector<int32_t>& exclude) const {
    return Find(1, 0, size_, dm, dr, exclude);
  }

  void Take(size_t pos, double dm, double dr) {
    size_t i = size_ + pos;
    mem_[i] -= dm;
    rps_[i] -= dr;
    for (i /= 2; i >= 1; i /= 2) Pull(i);
  }

 private:
  void Pull(size_t i) {
    mem_[i] = std::max(mem_[2 * i], mem_[2 * i + 1]);
    rps_[i] = std::max(rps_[2 * i], rps_[2 * i + 1]);
  }

  int32_t Find(size_t i, size_t lo, size_t hi, double dm, double dr,
               const std::vector<int32_t>& exclude) const {
    if (mem_[i] + Slack(dm) < dm || rps_[i] + Slack(dr) < dr || lo >= order_.size()) return -1;
    if (hi - lo == 1) return Has(exclude, order_[lo]) ? -1 : static_cast<int32_t>(lo);
    size_t mid = (lo + hi) / 2;
    int32_t found = Find(2 * i, lo, mid, dm, dr, exclude);
    return found >= 0 ? found : Find(2 * i + 1, mid, hi, dm, dr, exclude);
  }

  const std::vector<int32_t>& order_;
  size_t size_ = 1;
  std::vector<double> mem_, rps_;
};

Packing Empty(const std::vector<Bin>& bins, const std::vector<Item>& items) {
  Packing out;
  out.bins.resize(items.size());
  out.memory_mb.assign(bins.size(), 0);
  out.request_rate.assign(bins.size(), 0);
  return out;
}

}  // namespace

Packing FirstFitDecreasing(const std::vector<Bin>& bins, const std::vector<int32_t>& order,
                           const std::vector<Item>& items) {
  double ref_mem, ref_rps;
  std::vector<int32_t> sorted = Decreasing(bins, items, &ref_mem, &ref_rps);
  Packing out = Empty(bins, items);
  MaxTree tree(bins, order);
  for (int32_t t : sorted) {
    const Item& item = items[t];
    for (int r = 0; r < item.replicas; ++r) {
      int32_t pos = tree.First(item.memory_mb, item.request_rate, out.bins[t]);
      if (pos < 0) {
        out.unplaced += item.replicas - r;
        break;
      }
      tree.Take(pos, item.memory_mb, item.request_rate);
      int32_t bin = order[pos];
      out.bins[t].push_back(bin);
      out.memory_mb[bin] += item.memory_mb;
      out.request_rate[bin] += item.request_rate;
    }
  }
  return out;
}

Packing BestFitDecreasing(const std::vector<Bin>& bins, const std::vector<int32_t>& order,
                          const std::vector<Item>& items) {
  double ref_mem, ref_rps;
  std::vector<int32_t> sorted = Decreasing(bins, items, &ref_mem, &ref_rps);
  Packing out = Empty(bins, items);
  std::vector<double> key(bins.size());
  auto key_of = [&](int32_t b) {
    return std::min((bins[b].memory_mb - out.memory_mb[b]) / ref_mem,
                    (bins[b].request_rate - out.request_rate[b]) / ref_rps);
  };
  auto fits = [&](int32_t b, const Item& item) {
    return out.memory_mb[b] + item.memory_mb <= bins[b].memory_mb + Slack(bins[b].memory_mb) &&
           out.request_rate[b] + item.request_rate <= bins[b].request_rate + Slack(bins[b].request_rate);
  };
  absl::btree_set<std::pair<double, int32_t>> open;
  size_t next = 0;  // the first bin of `order` not opened yet
  std::vector<bool> opened(bins.size());
  for (int32_t t : sorted) {
    const Item& item = items[t];
    const double s = std::max(item.memory_mb / ref_mem, item.request_rate / ref_rps);
    for (int r = 0; r < item.replicas; ++r) {
      int32_t bin = -1;
      for (auto it = open.lower_bound({s, -1}); it != open.end(); ++it) {
        if (!Has(out.bins[t], it->second) && fits(it->second, item)) {
          bin = it->second;
          break;
        }
      }
      if (bin < 0) {
        size_t i = next;
        while (i < order.size() && (opened[order[i]] || !fits(order[i], item))) ++i;
        if (i == order.size()) {
          out.unplaced += item.replicas - r;
          break;
        }
        bin = order[i];
        opened[bin] = true;
        while (next < order.size() && opened[order[next]]) ++next;
      } else {
        open.erase({key[bin], bin});
      }
      out.bins[t].push_back(bin);
      out.memory_mb[bin] += item.memory_mb;
      out.request_rate[bin] += item.request_rate;
      key[bin] = key_of(bin);
      open.insert({key[bin], bin});
    }
  }
  return out;
}

}  // namespace atl::bench
